package shred

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

func newKeys(t testing.TB, opts Options) (*Keys, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	k, err := Create(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k, path
}

func mustAlloc(t testing.TB, k *Keys) Ref {
	t.Helper()
	r, err := k.Alloc()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func reopen(t *testing.T, k *Keys, path string) *Keys {
	t.Helper()
	if k != nil {
		if err := k.Close(); err != nil {
			t.Fatal(err)
		}
	}
	k2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k2.Close() })
	return k2
}

// diskKey reads slot i's key bytes straight from the file.
func diskKey(t *testing.T, path string, i uint32) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := slotOffset(i)
	if int64(len(b)) < off+SlotSize {
		t.Fatalf("file of %d bytes has no slot %d", len(b), i)
	}
	return b[off+slotKey : off+slotCRC]
}

func TestCreateOpenKeepsKeysAndIndexKey(t *testing.T) {
	k, path := newKeys(t, Options{})
	a, b := mustAlloc(t, k), mustAlloc(t, k)
	if a.Slot != 0 || b.Slot != 1 || a.Gen == 0 || b.Gen == 0 || a.Gen == b.Gen {
		t.Fatalf("refs %+v %+v", a, b)
	}
	sealed, err := k.Seal(nil, a, "c1", []byte("c/c1"), []byte("Jan de Vries"))
	if err != nil {
		t.Fatal(err)
	}
	hash := k.IndexHash('p', "+31612345678")
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}

	k2 := reopen(t, k, path)
	if k2.Len() != 2 || k2.Live() != 2 {
		t.Fatalf("reopened: %d slots, %d live", k2.Len(), k2.Live())
	}
	plain, err := k2.Open(nil, a, "c1", []byte("c/c1"), sealed)
	if err != nil || string(plain) != "Jan de Vries" {
		t.Fatalf("Open after reopen = %q, %v", plain, err)
	}
	if !bytes.Equal(k2.IndexHash('p', "+31612345678"), hash) {
		t.Error("index hash changed across reopen: the index key was not kept")
	}
	if _, err := Create(path, Options{}); !errors.Is(err, ErrExists) {
		t.Errorf("Create over an existing file = %v, want ErrExists", err)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Create left its temporary file: %v", err)
	}
}

func TestOpenMissingFails(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), FileName), Options{}); err == nil {
		t.Fatal("Open of a missing key file succeeded; it must never create one")
	}
}

func TestOpenRejectsBadHeaders(t *testing.T) {
	_, path := newKeys(t, Options{})
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fixCRC := func(b []byte) {
		binary.LittleEndian.PutUint32(b[hdrCRC:], crc32.Checksum(b[:hdrCRC], castagnoli))
	}
	cases := []struct {
		name string
		edit func([]byte) []byte
		want error
	}{
		{"empty", func([]byte) []byte { return nil }, ErrNotKeyFile},
		{"short", func(b []byte) []byte { return b[:HeaderSize-1] }, ErrNotKeyFile},
		{"magic", func(b []byte) []byte { b[0] ^= 1; return b }, ErrNotKeyFile},
		{"index key bit", func(b []byte) []byte { b[hdrIndexKey] ^= 1; return b }, ErrCorruptHeader},
		{"version", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[hdrVersion:], 2)
			fixCRC(b)
			return b
		}, ErrVersion},
		{"slot size", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[hdrSlotSize:], 128)
			fixCRC(b)
			return b
		}, ErrCorruptHeader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), FileName)
			if err := os.WriteFile(p, c.edit(bytes.Clone(good)), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(p, Options{}); !errors.Is(err, c.want) {
				t.Fatalf("Open = %v, want %v", err, c.want)
			}
		})
	}
}

func TestDestroyOverwritesInPlace(t *testing.T) {
	k, path := newKeys(t, Options{})
	a, b := mustAlloc(t, k), mustAlloc(t, k)
	keyA := bytes.Clone(diskKey(t, path, a.Slot))
	keyB := bytes.Clone(diskKey(t, path, b.Slot))
	if bytes.Equal(keyA, make([]byte, KeySize)) {
		t.Fatal("Alloc returned before the key was in the file")
	}
	before, _ := os.Stat(path)
	sealed, _ := k.Seal(nil, a, "c1", []byte("k"), []byte("secret"))

	if err := k.Destroy(a); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) {
		t.Error("Destroy replaced the key file; it must overwrite the slot in the same file")
	}
	if after.Size() != before.Size() {
		t.Errorf("file size %d -> %d", before.Size(), after.Size())
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, keyA) {
		t.Error("the destroyed key is still in the file")
	}
	if !bytes.Contains(raw, keyB) {
		t.Error("destroying one key touched another")
	}
	if !bytes.Equal(diskKey(t, path, a.Slot), make([]byte, KeySize)) {
		t.Error("the slot's key bytes are not zero")
	}
	if _, err := k.Open(nil, a, "c1", []byte("k"), sealed); !errors.Is(err, ErrDestroyed) {
		t.Errorf("Open after Destroy = %v, want ErrDestroyed", err)
	}
	if _, err := k.Seal(nil, a, "c1", []byte("k"), []byte("x")); !errors.Is(err, ErrDestroyed) {
		t.Errorf("Seal after Destroy = %v, want ErrDestroyed", err)
	}
	if err := k.Destroy(a); err != nil {
		t.Errorf("second Destroy = %v, want nil (idempotent)", err)
	}

	// After a reopen the slot reads as destroyed, not live and not damaged.
	k2 := reopen(t, k, path)
	if k2.Live() != 1 || len(k2.Damaged()) != 0 {
		t.Fatalf("reopened: %d live, damaged %v", k2.Live(), k2.Damaged())
	}
	if _, err := k2.Open(nil, a, "c1", []byte("k"), sealed); !errors.Is(err, ErrDestroyed) {
		t.Errorf("Open after reopen = %v, want ErrDestroyed", err)
	}
	if err := k2.Destroy(a); err != nil {
		t.Errorf("Destroy replayed after reopen = %v, want nil", err)
	}
}

func TestStaleDestroyDoesNotTouchReusedSlot(t *testing.T) {
	k, path := newKeys(t, Options{})
	old := mustAlloc(t, k)
	if err := k.Destroy(old); err != nil {
		t.Fatal(err)
	}
	next := mustAlloc(t, k)
	if next.Slot != old.Slot || next.Gen == old.Gen {
		t.Fatalf("Alloc did not reuse the destroyed slot with a new generation: %+v after %+v", next, old)
	}
	sealed, _ := k.Seal(nil, next, "c2", []byte("k"), []byte("new owner"))
	// The store replays a pending Destroy of the old owner after a crash.
	if err := k.Destroy(old); err != nil {
		t.Fatal(err)
	}
	if p, err := k.Open(nil, next, "c2", []byte("k"), sealed); err != nil || string(p) != "new owner" {
		t.Fatalf("a stale Destroy shredded the slot's new owner: %q, %v", p, err)
	}
	k2 := reopen(t, k, path)
	if err := k2.Destroy(old); err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Open(nil, next, "c2", []byte("k"), sealed); err != nil {
		t.Fatalf("stale Destroy after reopen shredded the new owner: %v", err)
	}
}

func TestAllocReusesLowestFreeSlotAfterReopen(t *testing.T) {
	k, path := newKeys(t, Options{})
	refs := []Ref{mustAlloc(t, k), mustAlloc(t, k), mustAlloc(t, k), mustAlloc(t, k)}
	for _, i := range []int{1, 3} {
		if err := k.Destroy(refs[i]); err != nil {
			t.Fatal(err)
		}
	}
	k2 := reopen(t, k, path)
	if r := mustAlloc(t, k2); r.Slot != 1 {
		t.Errorf("first Alloc after reopen took slot %d, want 1", r.Slot)
	}
	if r := mustAlloc(t, k2); r.Slot != 3 {
		t.Errorf("second Alloc took slot %d, want 3", r.Slot)
	}
	if r := mustAlloc(t, k2); r.Slot != 4 {
		t.Errorf("third Alloc took slot %d, want 4 (append)", r.Slot)
	}
}

func TestUnknownRefs(t *testing.T) {
	k, _ := newKeys(t, Options{})
	a := mustAlloc(t, k)
	for _, r := range []Ref{{}, {Slot: a.Slot}, {Slot: 7, Gen: 1}} {
		if _, err := k.Seal(nil, r, "c", nil, []byte("x")); !errors.Is(err, ErrUnknownRef) {
			t.Errorf("Seal(%+v) = %v, want ErrUnknownRef", r, err)
		}
		if err := k.Destroy(r); !errors.Is(err, ErrUnknownRef) {
			t.Errorf("Destroy(%+v) = %v, want ErrUnknownRef", r, err)
		}
	}
	wrongGen := Ref{Slot: a.Slot, Gen: a.Gen + 1}
	if _, err := k.Seal(nil, wrongGen, "c", nil, []byte("x")); !errors.Is(err, ErrDestroyed) {
		t.Errorf("Seal with another generation = %v, want ErrDestroyed", err)
	}
	if err := k.Destroy(wrongGen); err != nil || k.Live() != 1 {
		t.Errorf("Destroy with another generation = %v, live %d: must leave the key", err, k.Live())
	}
}

func TestRefEncoding(t *testing.T) {
	r := Ref{Slot: 0x01020304, Gen: 0xa1a2a3a4a5a6a7a8}
	b, _ := r.AppendBinary([]byte("x"))
	if len(b) != 1+RefSize {
		t.Fatalf("encoded %d bytes", len(b))
	}
	got, err := ParseRef(b[1:])
	if err != nil || got != r {
		t.Fatalf("ParseRef = %+v, %v", got, err)
	}
	zero, _ := Ref{}.AppendBinary(nil)
	for _, bad := range [][]byte{nil, b[1:RefSize], b, zero} {
		if _, err := ParseRef(bad); !errors.Is(err, ErrUnknownRef) {
			t.Errorf("ParseRef(%x) = %v", bad, err)
		}
	}
}

func TestClose(t *testing.T) {
	k, _ := newKeys(t, Options{})
	a := mustAlloc(t, k)
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if k.Len() != 0 || k.Live() != 0 || len(k.Damaged()) != 0 {
		t.Error("a closed Keys still reports slots")
	}
	if _, err := k.Seal(nil, a, "c", nil, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Seal after Close = %v", err)
	}
	if _, err := k.Alloc(); !errors.Is(err, ErrClosed) {
		t.Errorf("Alloc after Close = %v", err)
	}
	if err := k.Destroy(a); !errors.Is(err, ErrClosed) {
		t.Errorf("Destroy after Close = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("IndexHash after Close did not panic")
		}
	}()
	k.IndexHash('p', "x")
}

// TestWriteFailureBreaksWriters: after a failed write or fsync the file's
// state is unknown, so no later write may pretend to succeed.
func TestWriteFailureBreaksWriters(t *testing.T) {
	k, _ := newKeys(t, Options{})
	a := mustAlloc(t, k)
	k.f.Close() // every write now fails
	if _, err := k.Alloc(); err == nil {
		t.Fatal("Alloc on a failing file succeeded")
	}
	if k.Len() != 1 {
		t.Errorf("a failed Alloc added a slot: %d", k.Len())
	}
	if err := k.Destroy(a); err == nil {
		t.Error("Destroy after a failed write succeeded")
	}
	if _, err := k.Reclaim(func(uint32) (uint64, bool) { return 0, false }); err == nil {
		t.Error("Reclaim after a failed write succeeded")
	}
}

// TestOpenReadOnly: herken check opens the key file of a stopped store that
// may sit on a read-only filesystem (a file without write permission here).
func TestOpenReadOnly(t *testing.T) {
	k, path := newKeys(t, Options{})
	a := mustAlloc(t, k)
	sealed, err := k.Seal(nil, a, "c1", []byte("c/c1"), []byte("Jan de Vries"))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 { // root opens read-write anyway
		if _, err := Open(path, Options{}); err == nil {
			t.Fatal("read-write Open of a read-only file succeeded")
		}
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if plain, err := ro.Open(nil, a, "c1", []byte("c/c1"), sealed); err != nil || string(plain) != "Jan de Vries" {
		t.Fatalf("read-only Open = %q, %v", plain, err)
	}
	if _, err := ro.Alloc(); err == nil {
		t.Fatal("Alloc on a read-only key file succeeded")
	}
}
