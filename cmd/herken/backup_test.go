package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/server"
	"github.com/herken/herken/store/badgerstore"
	"github.com/herken/herken/store/storetest"
)

// serveDir serves the Badger store in dir on a loopback port until the
// returned stop is called; it returns the address and the store.
func serveDir(t *testing.T, dir string, key []byte) (string, *badgerstore.Store, func()) {
	t.Helper()
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(herken.NewService(s, norm, herken.ServiceConfig{}), server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	srv.SetServing(true)
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			srv.Shutdown()
			s.Close()
		}
	}
	t.Cleanup(stop)
	return lis.Addr().String(), s, stop
}

func runHerken(args ...string) (int, string) {
	var out bytes.Buffer
	code := run(context.Background(), args, &out, &out)
	return code, out.String()
}

// TestBackupRestoreCommands: herken backup of a running server, a customer
// erased after it, herken restore with --erasures-from the old directory:
// the restored store has the kept customer, not the erased one, and
// checks clean; a second restore into the now non-empty directory is
// refused.
func TestBackupRestoreCommands(t *testing.T) {
	ctx := context.Background()
	old := t.TempDir()
	addr, s, stop := serveDir(t, old, nil)
	kept := storetest.NewCustomer("Blijft", storetest.Phone("+31612345678"))
	gone := storetest.NewCustomer("Gaat", storetest.Phone("+31687654321"))
	for _, c := range []herken.Customer{kept, gone} {
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "herken.bak")
	code, out := runHerken("backup", "--addr", addr, "--out", file)
	if code != 0 || !strings.Contains(out, "snapshot") {
		t.Fatalf("backup: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(file + ".tmp"); err == nil {
		t.Fatal("the temporary file was left")
	}
	if code, out := runHerken("backup", "--addr", addr, "--out", file); code != 1 || !strings.Contains(out, "exists") {
		t.Fatalf("backup over an existing file: exit %d\n%s", code, out)
	}
	if _, err := s.EraseCustomer(ctx, gone.ID, time.Now(), herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The old directory is in use while the server runs: refused.
	target := filepath.Join(t.TempDir(), "new")
	if code, out := runHerken("restore", "--from", file, "--data-dir", target, "--erasures-from", old); code != 1 || !strings.Contains(out, "stop the server") {
		t.Fatalf("restore with a running server's directory: exit %d\n%s", code, out)
	}
	stop()

	code, out = runHerken("restore", "--from", file, "--data-dir", target, "--erasures-from", old)
	if code != 0 || !strings.Contains(out, "1 customers erased again") || !strings.Contains(out, "no problems") {
		t.Fatalf("restore: exit %d\n%s", code, out)
	}
	r, err := badgerstore.Open(badgerstore.Options{Dir: target})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetCustomer(ctx, kept.ID); err != nil {
		t.Fatalf("kept customer: %v", err)
	}
	if _, err := r.GetCustomer(ctx, gone.ID); err == nil {
		t.Fatal("the customer erased after the backup is back")
	}
	r.Close()
	if code, out := runHerken("restore", "--from", file, "--data-dir", target); code != 1 || !strings.Contains(out, "not empty") {
		t.Fatalf("restore into a non-empty directory: exit %d\n%s", code, out)
	}
	if code, out := runHerken("check", "--data-dir", target); code != 0 {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
}

// TestEncryptionCommands: encryption-key create writes a 0600 key; a
// store encrypted with it is checked with --encryption-key-file and
// refused without; rotate-encryption-key moves it to a second key; a key
// file readable by others is refused.
func TestEncryptionCommands(t *testing.T) {
	keys := t.TempDir()
	a, b := filepath.Join(keys, "a.key"), filepath.Join(keys, "b.key")
	for _, f := range []string{a, b} {
		if code, out := runHerken("encryption-key", "create", f); code != 0 {
			t.Fatalf("create: exit %d\n%s", code, out)
		}
	}
	if st, err := os.Stat(a); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	if code, _ := runHerken("encryption-key", "create", a); code != 1 {
		t.Fatal("create over an existing key file succeeded")
	}
	keyA, err := readKeyFile(a)
	if err != nil || len(keyA) != 32 {
		t.Fatalf("read key: %d bytes, %v", len(keyA), err)
	}
	dir := t.TempDir()
	_, _, stop := serveDir(t, dir, keyA)
	stop()

	if code, out := runHerken("check", "--data-dir", dir); code != 1 || !strings.Contains(out, "is encrypted") {
		t.Fatalf("check without the key: exit %d\n%s", code, out)
	}
	if code, out := runHerken("check", "--data-dir", dir, "--encryption-key-file", a); code != 0 {
		t.Fatalf("check with the key: exit %d\n%s", code, out)
	}
	if code, out := runHerken("rotate-encryption-key", "--data-dir", dir, "--old-key-file", a, "--new-key-file", b); code != 0 {
		t.Fatalf("rotate: exit %d\n%s", code, out)
	}
	if code, out := runHerken("check", "--data-dir", dir, "--encryption-key-file", a); code != 1 || !strings.Contains(out, "another key") {
		t.Fatalf("check with the old key: exit %d\n%s", code, out)
	}
	if code, out := runHerken("check", "--data-dir", dir, "--encryption-key-file", b); code != 0 {
		t.Fatalf("check with the new key: exit %d\n%s", code, out)
	}
	if code, out := runHerken("scan", "--data-dir", dir, "--encryption-key-file", b, "Niemand Hier"); code != 0 {
		t.Fatalf("scan with the key: exit %d\n%s", code, out)
	}
	os.Chmod(b, 0o644)
	if code, out := runHerken("check", "--data-dir", dir, "--encryption-key-file", b); code != 1 || !strings.Contains(out, "chmod 600") {
		t.Fatalf("a world-readable key file: exit %d\n%s", code, out)
	}
}

func TestEncryptionFlagsInMemory(t *testing.T) {
	f := encryptionFlags{KeyFile: "/nonexistent"}
	if err := f.validate("memory"); err == nil || !strings.Contains(err.Error(), "--in-memory") {
		t.Fatalf("got %v", err)
	}
}
