package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/server"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/server/tlsfiles"
	"github.com/herken/herken/server/tlsfiles/tlsfilestest"
	"github.com/herken/herken/store/memstore"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestKeysCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	code, out, errOut := runCmd(t, "keys", "create", "--keys-file", path, "--name", "pbx-1", "--scopes", "lookup")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	key := strings.TrimSpace(out)
	if !strings.HasPrefix(key, "hk_") || strings.Count(out, "\n") != 1 {
		t.Fatalf("create printed %q, want the key on one line", out)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), key) || strings.Contains(errOut, key) {
		t.Fatal("the key is in the keys file or on stderr")
	}
	if code, _, errOut := runCmd(t, "keys", "create", "--keys-file", path, "--name", "crm", "--scopes", "lookup,write"); code != 0 {
		t.Fatalf("create crm: %s", errOut)
	}
	if code, out, errOut := runCmd(t, "keys", "create", "--keys-file", path, "--name", "ivr-2", "--scopes", "lookup", "--certificate"); code != 0 || out != "" {
		t.Fatalf("create certificate entry: exit %d, stdout %q, %s", code, out, errOut)
	}

	// The printed key authenticates, as its name, with its scopes.
	k, err := auth.Load(path, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, ok := k.Authenticate(key)
	k.Close()
	if !ok || id.Name != "pbx-1" || !id.Has(auth.ScopeLookup) || id.Has(auth.ScopeWrite) {
		t.Fatalf("printed key: %+v, %v", id, ok)
	}

	code, out, _ = runCmd(t, "keys", "list", "--keys-file", path)
	if code != 0 || out != "pbx-1\tlookup\tkey\ncrm\tlookup,write\tkey\nivr-2\tlookup\tcertificate\n" {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCmd(t, "keys", "revoke", "--keys-file", path, "--name", "pbx-1"); code != 0 {
		t.Fatalf("revoke: %s", errOut)
	}
	if _, out, _ := runCmd(t, "keys", "list", "--keys-file", path); strings.Contains(out, "pbx-1") {
		t.Fatalf("revoked key still listed:\n%s", out)
	}

	// Mistakes are refused with a message, and change nothing.
	before, _ := os.ReadFile(path)
	t.Setenv("HERKEN_KEYS_FILE", path) // the env works like the flag
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "create", "--name", "crm", "--scopes", "write"}, "already has a key"},
		{[]string{"keys", "create", "--name", "x", "--scopes", "read"}, "--scopes"},
		{[]string{"keys", "create", "--name", "Bad Name", "--scopes", "write"}, "key name"},
		{[]string{"keys", "revoke", "--name", "nobody"}, "no key named"},
		{[]string{"keys", "revoke"}, "--name"},
		{[]string{"keys", "rotate"}, "unknown command"},
	} {
		code, _, errOut := runCmd(t, tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want mention of %q", tc.args, code, errOut, tc.want)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a refused command changed the keys file")
	}
	t.Setenv("HERKEN_KEYS_FILE", "")
	if code, _, errOut := runCmd(t, "keys", "list"); code == 0 || !strings.Contains(errOut, "--keys-file") {
		t.Errorf("list without a file: exit %d %q", code, errOut)
	}
	// A missing flag or a stray argument is a usage error, exit 2, as in
	// the other commands.
	for _, args := range [][]string{
		{"keys", "list"},
		{"keys", "create", "--keys-file", path, "--scopes", "lookup"},
		{"keys", "revoke", "--keys-file", path},
		{"keys", "list", "--keys-file", path, "extra"},
	} {
		if code, _, errOut := runCmd(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)\n%s", args, code, errOut)
		}
	}
}

// TestLookupWithTLSAndKey: `herken lookup` reaches a server that wants TLS
// and a key through its --tls-* and --api-key flags.
func TestLookupWithTLSAndKey(t *testing.T) {
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "keys")
	_, key, _ := runCmd(t, "keys", "create", "--keys-file", keysFile, "--name", "pbx-1", "--scopes", "lookup")
	key = strings.TrimSpace(key)
	ring, err := auth.Load(keysFile, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	ca := tlsfilestest.NewCA(t, "test CA")
	certFile, keyFile := ca.Server(t).Write(t, dir, "server")
	caFile := ca.Write(t, dir, "ca")
	creds, err := tlsfiles.ServerCredentials(certFile, keyFile, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	norm, _ := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	srv, err := server.New(herken.NewService(memstore.New(memstore.Options{}), norm, herken.ServiceConfig{}), server.Config{Keys: ring, Creds: creds})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	defer srv.Shutdown()
	srv.SetServing(true)
	addr := lis.Addr().String()
	lookup := func(extra ...string) (int, string) {
		args := append([]string{"lookup", "--addr", addr, "--timeout", "5s"}, extra...)
		code, out, errOut := runCmd(t, append(args, "+31612345678")...)
		return code, out + errOut
	}
	if code, out := lookup("--tls-ca", caFile, "--api-key", key); code != 3 || !strings.Contains(out, "Unknown caller") {
		t.Fatalf("lookup with TLS and key: exit %d\n%s", code, out)
	}
	if code, out := lookup("--tls-ca", caFile); code == 0 || !strings.Contains(out, "API_KEY_MISSING") {
		t.Errorf("lookup without key: exit %d\n%s", code, out)
	}
	if code, out := lookup("--api-key", key); code == 0 {
		t.Errorf("plaintext lookup against a TLS server: exit %d\n%s", code, out)
	}
	t.Setenv("HERKEN_API_KEY", key)
	t.Setenv("HERKEN_TLS_CA", caFile)
	if code, out := lookup("--tls-server-name", "localhost"); code != 3 {
		t.Errorf("lookup with key and CA from the environment: exit %d\n%s", code, out)
	}
	if code, out := lookup("--tls-server-name", "other.example"); code == 0 {
		t.Errorf("lookup verifying the wrong server name: exit %d\n%s", code, out)
	}
}
