package main

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herken/herken/server/auth"
)

func TestAuthFlagsLoopbackRule(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	tests := []struct {
		addr     string
		flags    authFlags
		wantFlag string // "" means valid
	}{
		{"localhost:50051", authFlags{}, ""},
		{"127.0.0.1:50051", authFlags{}, ""},
		{"127.1.2.3:50051", authFlags{}, ""},
		{"[::1]:50051", authFlags{}, ""},
		{"0.0.0.0:50051", authFlags{}, "--insecure-no-auth"},
		{":50051", authFlags{}, "--keys-file"},
		{"[::]:50051", authFlags{}, "--keys-file"},
		{"10.0.0.5:50051", authFlags{}, "--keys-file"},
		{"herken.internal:50051", authFlags{}, "--keys-file"},
		{"localhost.evil.example:50051", authFlags{}, "--keys-file"},
		{"0.0.0.0:50051", authFlags{KeysFile: keys}, ""},
		{"0.0.0.0:50051", authFlags{InsecureNoAuth: true}, ""},
		{"0.0.0.0:50051", authFlags{KeysFile: keys, InsecureNoAuth: true}, "contradict"},
		{"localhost:50051", authFlags{ReloadInterval: -1}, "--keys-reload-interval"},
	}
	for _, tc := range tests {
		err := tc.flags.validate(tc.addr)
		if tc.wantFlag == "" && err != nil || tc.wantFlag != "" && (err == nil || !strings.Contains(err.Error(), tc.wantFlag)) {
			t.Errorf("validate(%q) with %+v = %v, want mention of %q", tc.addr, tc.flags, err, tc.wantFlag)
		}
		// The refusal names both ways out.
		if err != nil && strings.Contains(err.Error(), "loopback") &&
			!(strings.Contains(err.Error(), "--keys-file") && strings.Contains(err.Error(), "--insecure-no-auth")) {
			t.Errorf("refusal does not name both flags: %v", err)
		}
	}
}

func TestAuthFlagsFromEnvAndKeyring(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	key, err := auth.Create(path, "pbx-1", []auth.Scope{auth.ScopeLookup}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HERKEN_KEYS_FILE", path)
	var f authFlags
	e := &envFlags{fs: newFlagSet()}
	f.addFlags(e)
	if err := e.parse([]string{"--keys-reload-interval", "50ms"}); err != nil {
		t.Fatal(err)
	}
	if err := f.validate("0.0.0.0:1"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	k, err := f.keyring(slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil || k == nil {
		t.Fatalf("keyring: %v, %v", k, err)
	}
	defer k.Close()
	if id, ok := k.Authenticate(key); !ok || id.Name != "pbx-1" {
		t.Errorf("key from the file: %+v %v", id, ok)
	}
	if strings.Contains(logs.String(), "authentication is off") {
		t.Errorf("warned about no auth with a keys file:\n%s", logs.String())
	}

	logs.Reset()
	k, err = (&authFlags{}).keyring(slog.New(slog.NewTextHandler(&logs, nil)))
	if k != nil || err != nil {
		t.Fatalf("no keys file: %v, %v", k, err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "authentication is off: serving on loopback only") {
		t.Errorf("no warning without a keys file:\n%s", logs.String())
	}
	if _, err := (&authFlags{KeysFile: path + ".missing"}).keyring(slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "--keys-file") {
		t.Errorf("missing keys file: %v", err)
	}
}

func TestTLSFlagsValidate(t *testing.T) {
	for _, tc := range []struct {
		f    tlsFlags
		want string
	}{
		{tlsFlags{}, ""},
		{tlsFlags{Cert: "c", Key: "k"}, ""},
		{tlsFlags{Cert: "c", Key: "k", ClientCA: "ca"}, ""},
		{tlsFlags{Cert: "c"}, "--tls-key"},
		{tlsFlags{Key: "k"}, "--tls-cert"},
		{tlsFlags{ClientCA: "ca"}, "--tls-client-ca"},
	} {
		err := tc.f.validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("validate(%+v) = %v, want mention of %q", tc.f, err, tc.want)
		}
	}
	creds, err := (&tlsFlags{}).credentials(slog.New(slog.DiscardHandler))
	if creds != nil || err != nil {
		t.Errorf("no TLS flags: %v, %v", creds, err)
	}
	if _, err := (&tlsFlags{Cert: "/nonexistent.crt", Key: "/nonexistent.key"}).credentials(slog.New(slog.DiscardHandler)); err == nil {
		t.Error("missing certificate files loaded")
	}
}
