package shred

import (
	"bytes"
	"errors"
	"testing"
)

// countingFile counts fsyncs.
type countingFile struct {
	file
	syncs int
}

func (c *countingFile) Sync() error { c.syncs++; return c.file.Sync() }

// TestAllocNOneSync: a batch of keys costs one fsync, reuses free slots
// before it appends, and every key of it survives a reopen.
func TestAllocNOneSync(t *testing.T) {
	k, path := newKeys(t, Options{})
	first := mustAlloc(t, k)
	second := mustAlloc(t, k)
	if err := k.Destroy(first); err != nil {
		t.Fatal(err)
	}
	cf := &countingFile{file: k.f}
	k.f = cf
	refs, err := k.AllocN(5)
	if err != nil {
		t.Fatal(err)
	}
	if cf.syncs != 1 {
		t.Fatalf("AllocN(5) fsynced %d times, want 1", cf.syncs)
	}
	if refs[0].Slot != first.Slot {
		t.Errorf("first ref in slot %d, want the freed slot %d", refs[0].Slot, first.Slot)
	}
	seen := map[uint32]bool{second.Slot: true}
	for _, r := range refs {
		if seen[r.Slot] {
			t.Fatalf("slot %d handed out twice", r.Slot)
		}
		seen[r.Slot] = true
	}
	if k.Len() != 6 || k.Live() != 6 {
		t.Fatalf("Len %d Live %d, want 6 and 6", k.Len(), k.Live())
	}
	sealed, err := k.Seal(nil, refs[4], "c1", []byte("c/c1"), []byte("Jan de Vries"))
	if err != nil {
		t.Fatal(err)
	}
	k2 := reopen(t, k, path)
	for _, r := range append(refs, second) {
		if err := k2.Valid(r); err != nil {
			t.Errorf("ref %+v after reopen: %v", r, err)
		}
	}
	if got, err := k2.Open(nil, refs[4], "c1", []byte("c/c1"), sealed); err != nil || string(got) != "Jan de Vries" {
		t.Fatalf("Open after reopen = %q, %v", got, err)
	}
	if refs, err := k2.AllocN(0); err != nil || refs != nil {
		t.Fatalf("AllocN(0) = %v, %v", refs, err)
	}
}

func TestValid(t *testing.T) {
	k, _ := newKeys(t, Options{})
	a := mustAlloc(t, k)
	if err := k.Valid(a); err != nil {
		t.Fatalf("live ref: %v", err)
	}
	if err := k.Valid(Ref{Slot: a.Slot, Gen: a.Gen + 1}); !errors.Is(err, ErrDestroyed) {
		t.Errorf("other generation: %v", err)
	}
	if err := k.Valid(Ref{Slot: 9, Gen: 1}); !errors.Is(err, ErrUnknownRef) {
		t.Errorf("slot past the end: %v", err)
	}
	if err := k.Destroy(a); err != nil {
		t.Fatal(err)
	}
	if err := k.Valid(a); !errors.Is(err, ErrDestroyed) {
		t.Errorf("destroyed ref: %v", err)
	}
	k.Close()
	if err := k.Valid(a); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// TestOpenMemory: the in-memory Keys seals, opens, hashes and shreds like
// a file-backed one, and two of them share no index key.
func TestOpenMemory(t *testing.T) {
	k := OpenMemory(Options{})
	defer k.Close()
	refs, err := k.AllocN(3)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal(nil, refs[1], "c1", []byte("c/c1"), []byte("+31612345678"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("612345678")) {
		t.Fatal("sealed value holds the plaintext")
	}
	if got, err := k.Open(nil, refs[1], "c1", []byte("c/c1"), sealed); err != nil || string(got) != "+31612345678" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if err := k.Destroy(refs[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Open(nil, refs[1], "c1", []byte("c/c1"), sealed); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("Open after Destroy = %v", err)
	}
	// Every in-memory key was allocated since "open": Reclaim spares them.
	if n, err := k.Reclaim(func(uint32) (uint64, bool) { return 0, false }); err != nil || n != 0 || k.Live() != 2 {
		t.Fatalf("Reclaim = %d, %v, %d live; want 0 and 2 live", n, err, k.Live())
	}
	other := OpenMemory(Options{})
	defer other.Close()
	if bytes.Equal(k.IndexHash('p', "+31612345678"), other.IndexHash('p', "+31612345678")) {
		t.Fatal("two in-memory key sets share their index key")
	}
}
