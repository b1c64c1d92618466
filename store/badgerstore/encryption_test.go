package badgerstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/herken/herken"
	"github.com/herken/herken/store/badgerstore"
)

var (
	keyA = bytes.Repeat([]byte{0xa1}, 32)
	keyB = bytes.Repeat([]byte{0xb2}, 32)
)

// checkClean fails unless the stopped store in dir checks clean with key.
func checkClean(t *testing.T, dir string, key []byte) {
	t.Helper()
	rep, err := badgerstore.CheckDirKey(context.Background(), dir, key)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		var w bytes.Buffer
		rep.WriteText(&w)
		t.Fatalf("check:\n%s", w.String())
	}
}

// TestEncryptionRefusesWrongKey: an encrypted store opened without its key
// or with another, and a plain store opened with a key, are refused with
// ErrEncryptionKey and a message saying which; the refused opens change
// nothing: the right key opens every record after them and the store
// checks clean.
func TestEncryptionRefusesWrongKey(t *testing.T) {
	e := newBackupEnv(t, keyA)
	e.populate(t, 4)
	want := exports(t, e.svc, e.ids)
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	plain := newBackupEnv(t, nil)
	plain.populate(t, 1)
	plain.s.Close()

	for _, c := range []struct {
		name, dir string
		key       []byte
		says      string
	}{
		{"no key", e.dir, nil, "is encrypted; give its key"},
		{"wrong key", e.dir, keyB, "encrypted with another key"},
		{"short wrong key", e.dir, keyB[:16], "encrypted with another key"},
		{"key for a plain store", plain.dir, keyA, "is not encrypted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := badgerstore.Open(badgerstore.Options{Dir: c.dir, EncryptionKey: c.key})
			if !errors.Is(err, badgerstore.ErrEncryptionKey) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("open: %v, want ErrEncryptionKey saying %q", err, c.says)
			}
			if _, err := badgerstore.CheckDirKey(context.Background(), c.dir, c.key); !errors.Is(err, badgerstore.ErrEncryptionKey) {
				t.Fatalf("check: %v, want ErrEncryptionKey", err)
			}
		})
	}
	if _, err := badgerstore.Open(badgerstore.Options{Dir: e.dir, EncryptionKey: []byte("short")}); err == nil || !strings.Contains(err.Error(), "16, 24 or 32") {
		t.Fatalf("a 5-byte key: %v", err)
	}

	checkClean(t, e.dir, keyA)
	checkClean(t, plain.dir, nil)
	e.open(t)
	if got := exports(t, e.svc, e.ids); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the refused opens the data differs:\n got %v\nwant %v", got, want)
	}
}

// TestEncryptionHidesValues: with a key, no Badger file holds even the
// store's keys in readable form (an unencrypted store's tables and logs
// show "m/format" and "c/{id}" in the clear).
func TestEncryptionHidesValues(t *testing.T) {
	e := newBackupEnv(t, keyA)
	e.populate(t, 3)
	e.s.Close()
	entries, err := os.ReadDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		if ent.Name() == "keys" { // the shred key file: not Badger's
			continue
		}
		b, err := os.ReadFile(filepath.Join(e.dir, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"m/format", "c/" + e.ids[0]} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q in the clear", ent.Name(), s)
			}
		}
	}
}

// TestRotateEncryptionKey: after a rotation the new key opens the store
// with all its data and the old key is refused; a rotation with the wrong
// old key, or while the store is open, changes nothing.
func TestRotateEncryptionKey(t *testing.T) {
	e := newBackupEnv(t, keyA)
	e.populate(t, 3)
	want := exports(t, e.svc, e.ids)
	if err := badgerstore.RotateEncryptionKey(e.dir, keyA, keyB); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("rotation of an open store: %v", err)
	}
	e.s.Close()
	if err := badgerstore.RotateEncryptionKey(e.dir, keyB, keyA); !errors.Is(err, badgerstore.ErrEncryptionKey) {
		t.Fatalf("rotation with the wrong old key: %v", err)
	}
	if err := badgerstore.RotateEncryptionKey(e.dir, keyA, keyB); err != nil {
		t.Fatal(err)
	}
	if _, err := badgerstore.Open(badgerstore.Options{Dir: e.dir, EncryptionKey: keyA}); !errors.Is(err, badgerstore.ErrEncryptionKey) {
		t.Fatalf("old key after rotation: %v", err)
	}
	checkClean(t, e.dir, keyB)
	e.key = keyB
	e.open(t)
	if got := exports(t, e.svc, e.ids); !reflect.DeepEqual(got, want) {
		t.Fatalf("after rotation the data differs")
	}
	e.populate(t, 1) // and it takes writes
}

// TestBackupEncryptedStore: a backup of an encrypted store restores into
// a store encrypted under the key given to Restore.
func TestBackupEncryptedStore(t *testing.T) {
	e := newBackupEnv(t, keyA)
	e.populate(t, 3)
	b := e.backup(t)
	want := exports(t, e.svc, e.ids)
	_, r := restoreTo(t, b, nil, keyB)
	if got := exports(t, r.svc, e.ids); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored data differs")
	}
	r.s.Close()
	if _, err := badgerstore.Open(badgerstore.Options{Dir: r.dir}); !errors.Is(err, badgerstore.ErrEncryptionKey) {
		t.Fatalf("restored store without its key: %v", err)
	}
	var _ herken.Backuper = e.s
}

// TestScanEncryptedStore: the erasure scan decrypts an encrypted store's
// files with its key (it finds a live customer's record key, which is
// plain inside the encryption), and refuses them without it.
func TestScanEncryptedStore(t *testing.T) {
	e := newBackupEnv(t, keyA)
	e.populate(t, 2)
	e.s.Close()
	needle := "c/" + e.ids[1]
	found, err := badgerstore.ScanDirKey(e.dir, []string{needle}, keyA)
	if err != nil || len(found) == 0 {
		t.Fatalf("scan with the key: %v, %d found", err, len(found))
	}
	if _, err := badgerstore.ScanDir(e.dir, []string{needle}); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Fatalf("scan without the key: %v", err)
	}
	if _, err := badgerstore.ScanDirKey(e.dir, []string{needle}, keyB); err == nil {
		t.Fatal("scan with the wrong key succeeded")
	}
}
