package auth_test

import (
	"bytes"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/herken/herken/server/auth"
)

func hashLine(name, scopes, key string) string {
	h := auth.HashKey(key)
	return name + " " + scopes + " sha256:" + hex.EncodeToString(h[:]) + "\n"
}

func TestParse(t *testing.T) {
	key := auth.NewKey()
	good := "# comment\n\n" + hashLine("pbx-1", "lookup", key) +
		"crm.sync_2 lookup,write,write sha256:" + strings.Repeat("ab", 32) + " # trailing comment\n" +
		"ivr-2\tadmin\tcertificate"
	entries, err := auth.Parse([]byte(good))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(entries) != 3 || entries[0].Name != "pbx-1" || entries[0].Hash != auth.HashKey(key) ||
		!slices.Equal(entries[1].Scopes, []auth.Scope{auth.ScopeLookup, auth.ScopeWrite}) || !entries[2].Certificate {
		t.Errorf("entries = %+v", entries)
	}

	secret := "hk_" + strings.Repeat("Z", 43) // a key pasted where its hash belongs
	bad := []struct{ name, file, want string }{
		{"duplicate name", hashLine("a", "lookup", "k1") + hashLine("a", "write", "k2"), `line 2: key name "a" already on line 1`},
		{"bad scope", hashLine("a", "lookup,read", "k1"), `line 1: unknown scope "read"`},
		{"empty scope", hashLine("a", "lookup,", "k1"), `line 1: unknown scope ""`},
		{"bad hash hex", "a lookup sha256:xyz\n", "line 1: hash must be"},
		{"short hash", "a lookup sha256:abcd\n", "line 1: hash must be"},
		{"key instead of hash", "a lookup " + secret + "\n", "line 1: third field must be"},
		{"bad name", "A! lookup certificate\n", "line 1: key name must be"},
		{"long name", strings.Repeat("a", 65) + " lookup certificate\n", "line 1: key name must be"},
		{"two fields", "a lookup\n", "line 1: want"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.Parse([]byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error quotes the hash field: %v", err)
			}
		})
	}
}

func TestNewKeyFormat(t *testing.T) {
	a, b := auth.NewKey(), auth.NewKey()
	if !regexp.MustCompile(`^hk_[A-Za-z0-9_-]{43}$`).MatchString(a) || a == b {
		t.Errorf("keys %q, %q", a, b)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, path string, log *slog.Logger) *auth.Keyring {
	t.Helper()
	k, err := auth.Load(path, auth.Options{ReloadEvery: 10 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func TestAuthenticate(t *testing.T) {
	k1, k2 := auth.NewKey(), auth.NewKey()
	k := load(t, writeFile(t, hashLine("one", "lookup", k1)+hashLine("two", "write,admin", k2)+"cert-3 admin certificate\n"), nil)
	for _, tc := range []struct {
		token, name string
	}{{k1, "one"}, {k2, "two"}, {auth.NewKey(), ""}, {"", ""}, {"certificate", ""}, {k1 + " ", ""}} {
		id, ok := k.Authenticate(tc.token)
		if ok != (tc.name != "") || id.Name != tc.name {
			t.Errorf("Authenticate(token of %q) = %+v, %v", tc.name, id, ok)
		}
	}
	id, _ := k.Authenticate(k2)
	if !id.Has(auth.ScopeAdmin) || !id.Has(auth.ScopeWrite) || id.Has(auth.ScopeLookup) || !id.Has(auth.ScopeAnyKey) {
		t.Errorf("scopes of two: %v", id.Scopes)
	}
	if id, ok := k.Certificate([]string{"x", "cert-3"}); !ok || id.Name != "cert-3" || !id.Certificate {
		t.Errorf("Certificate(cert-3) = %+v, %v", id, ok)
	}
	if _, ok := k.Certificate([]string{"one"}); ok {
		t.Error("a key entry authenticated a certificate")
	}
}

// syncBuffer is a log sink the poller writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually polls cond for up to 5s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
	}
}

func TestReload(t *testing.T) {
	k1, k2 := auth.NewKey(), auth.NewKey()
	path := writeFile(t, hashLine("one", "lookup", k1))
	var logs syncBuffer
	k := load(t, path, slog.New(slog.NewTextHandler(&logs, nil)))

	// Added key: picked up.
	rewrite(t, path, hashLine("one", "lookup", k1)+hashLine("two", "write", k2))
	eventually(t, "added key accepted", func() bool { _, ok := k.Authenticate(k2); return ok })

	// A bad file: the keys in force stay, the error is logged without the
	// file's content.
	secret := "hk_" + strings.Repeat("Q", 43)
	rewrite(t, path, hashLine("one", "lookup", k1)+"two write "+secret+"\n")
	eventually(t, "bad file logged", func() bool { return strings.Contains(logs.String(), "keys file not reloaded") })
	if _, ok := k.Authenticate(k2); !ok {
		t.Error("a bad file dropped the keys in force")
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("log quotes the keys file's content")
	}

	// Revoked: refused once the file is read again.
	rewrite(t, path, hashLine("one", "lookup", k1)+hashLine("two", "write", k2))
	if err := auth.Revoke(path, "two"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "revoked key refused", func() bool { _, ok := k.Authenticate(k2); return !ok })
	if _, ok := k.Authenticate(k1); !ok {
		t.Error("revoking two revoked one")
	}

	// Revoking the last key leaves a file that refuses everything.
	if err := auth.Revoke(path, "one"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "last key revoked", func() bool { _, ok := k.Authenticate(k1); return !ok })

	// After Close the file is no longer read.
	k.Close()
	rewrite(t, path, hashLine("one", "lookup", k1))
	time.Sleep(50 * time.Millisecond) // five periods: a running poller would have reloaded
	if _, ok := k.Authenticate(k1); ok {
		t.Error("the keyring still reloads after Close")
	}
}

// rewrite replaces the file at path the way an operator's tooling should:
// a complete new file renamed over it.
func rewrite(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := auth.Load(filepath.Join(t.TempDir(), "missing"), auth.Options{}); err == nil {
		t.Error("missing file loaded")
	}
	if _, err := auth.Load(writeFile(t, "a lookup sha256:00\n"), auth.Options{}); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad file: %v", err)
	}
}

func TestCreateListRevoke(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys")
	key, err := auth.Create(path, "pbx-1", []auth.Scope{auth.ScopeLookup}, false)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("created file: %v, mode %v", err, st.Mode())
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), key) {
		t.Fatal("the keys file holds the key itself")
	}
	// A hand-edited last line without newline is not joined to the next entry.
	if err := os.WriteFile(path, append(data, "# note without newline"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Create(path, "crm", []auth.Scope{auth.ScopeWrite, auth.ScopeLookup}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Create(path, "ivr", []auth.Scope{auth.ScopeLookup}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Create(path, "crm", []auth.Scope{auth.ScopeWrite}, false); err == nil {
		t.Error("duplicate name created")
	}
	if _, err := auth.Create(path, "Bad Name", []auth.Scope{auth.ScopeWrite}, false); err == nil {
		t.Error("bad name created")
	}
	entries, err := auth.List(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	if !slices.Equal(names, []string{"pbx-1", "crm", "ivr"}) || !entries[2].Certificate {
		t.Fatalf("entries %+v", entries)
	}
	k := load(t, path, nil)
	if id, ok := k.Authenticate(key); !ok || id.Name != "pbx-1" {
		t.Errorf("created key: %+v %v", id, ok)
	}

	if err := auth.Revoke(path, "crm"); err != nil {
		t.Fatal(err)
	}
	if err := auth.Revoke(path, "crm"); err == nil {
		t.Error("revoking an absent name succeeded")
	}
	data, _ = os.ReadFile(path)
	if !strings.Contains(string(data), "# note without newline") || strings.Contains(string(data), "crm") {
		t.Errorf("after revoke:\n%s", data)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("revoke changed the mode to %v", st.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestScopeTableCoversEveryMethod: every RPC of every herken.v1 service
// has a scope, so a new RPC cannot ship without someone deciding who may
// call it.
func TestScopeTableCoversEveryMethod(t *testing.T) {
	n := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("herken.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				m := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				n++
				if sc, ok := auth.ScopeFor(m); !ok || sc == auth.ScopeAnyKey {
					t.Errorf("%s has no scope", m)
				}
			}
		}
		return true
	})
	if n < 20 {
		t.Fatalf("only %d herken.v1 methods found", n)
	}
	for m, want := range map[string]auth.Scope{
		"/herken.v1.RecognitionService/Lookup":                      auth.ScopeLookup,
		"/herken.v1.CustomerService/UpdateCustomer":                 auth.ScopeWrite,
		"/herken.v1.CustomerService/EraseCustomer":                  auth.ScopeAdmin,
		"/herken.v1.CustomerService/ExportCustomer":                 auth.ScopeAdmin,
		"/herken.v1.PromiseService/KeepPromise":                     auth.ScopeWrite,
		"/herken.v1.BackupService/Backup":                           auth.ScopeAdmin,
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": auth.ScopeAnyKey,
	} {
		if got, ok := auth.ScopeFor(m); !ok || got != want {
			t.Errorf("ScopeFor(%s) = %q, %v; want %q", m, got, ok, want)
		}
	}
	for _, m := range []string{"/herken.v1.CustomerService/DropAll", "/other.Service/X", ""} {
		if _, ok := auth.ScopeFor(m); ok {
			t.Errorf("ScopeFor(%q) allowed", m)
		}
	}
}
