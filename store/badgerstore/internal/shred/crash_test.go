package shred

import (
	"errors"
	"os"
	"testing"
)

// A crash between Alloc and the store's commit leaves an orphan key that no
// record names; Reclaim at the next open destroys it and keeps the others.
func TestReclaimDestroysOrphans(t *testing.T) {
	k, path := newKeys(t, Options{})
	kept := mustAlloc(t, k)
	orphan := mustAlloc(t, k)
	reused := mustAlloc(t, k) // the store names this slot with another generation
	// "crash": the process dies; the file is what Alloc left.
	k2 := reopen(t, k, path)
	n, err := k2.Reclaim(func(slot uint32) (uint64, bool) {
		switch slot {
		case kept.Slot:
			return kept.Gen, true
		case reused.Slot:
			return reused.Gen ^ 1, true
		}
		return 0, false
	})
	if err != nil || n != 2 {
		t.Fatalf("Reclaim = %d, %v; want 2 zeroed", n, err)
	}
	if k2.Live() != 1 {
		t.Fatalf("%d live after Reclaim, want 1", k2.Live())
	}
	for _, r := range []Ref{orphan, reused} {
		if _, err := k2.Seal(nil, r, "c", nil, []byte("x")); !errors.Is(err, ErrDestroyed) {
			t.Errorf("ref %+v after Reclaim: %v, want ErrDestroyed", r, err)
		}
	}
	if _, err := k2.Seal(nil, kept, "c", nil, []byte("x")); err != nil {
		t.Errorf("Reclaim destroyed a key in use: %v", err)
	}
	if n, err := k2.Reclaim(func(uint32) (uint64, bool) { return 0, false }); err != nil || n != 1 {
		t.Errorf("second Reclaim with nothing in use = %d, %v; want 1 (kept)", n, err)
	}
}

// Slots allocated since Open may belong to a commit in flight: Reclaim
// leaves them alone even when the caller does not know them yet.
func TestReclaimSparesSlotsAllocatedSinceOpen(t *testing.T) {
	k, _ := newKeys(t, Options{})
	fresh := mustAlloc(t, k)
	n, err := k.Reclaim(func(uint32) (uint64, bool) { return 0, false })
	if err != nil || n != 0 {
		t.Fatalf("Reclaim = %d, %v; want 0", n, err)
	}
	if _, err := k.Seal(nil, fresh, "c", nil, []byte("x")); err != nil {
		t.Fatalf("Reclaim destroyed a key allocated in this session: %v", err)
	}
}

// A crash in the middle of appending a slot leaves a partial slot at the
// end of the file: it is damaged, never handed out, and Reclaim zeros it.
func TestTornAppendIsDamagedThenReclaimed(t *testing.T) {
	k, path := newKeys(t, Options{})
	a := mustAlloc(t, k)
	b := mustAlloc(t, k)
	k.Close()
	if err := os.Truncate(path, slotOffset(b.Slot)+SlotSize/2); err != nil {
		t.Fatal(err)
	}
	k2 := reopen(t, nil, path)
	if d := k2.Damaged(); len(d) != 1 || d[0] != b.Slot {
		t.Fatalf("Damaged = %v, want [%d]", d, b.Slot)
	}
	if _, err := k2.Seal(nil, b, "c", nil, []byte("x")); !errors.Is(err, ErrDamaged) {
		t.Errorf("Seal on the torn slot = %v, want ErrDamaged", err)
	}
	if r := mustAlloc(t, k2); r.Slot != b.Slot+1 {
		t.Errorf("Alloc took slot %d; a damaged slot must not be reused before it is zeroed", r.Slot)
	}
	n, err := k2.Reclaim(func(slot uint32) (uint64, bool) {
		if slot == a.Slot {
			return a.Gen, true
		}
		return 0, false
	})
	if err != nil || n != 1 || len(k2.Damaged()) != 0 {
		t.Fatalf("Reclaim = %d, %v; damaged %v", n, err, k2.Damaged())
	}
	if st, _ := os.Stat(path); st.Size() != slotOffset(b.Slot+2) {
		t.Errorf("file size %d, want %d", st.Size(), slotOffset(b.Slot+2))
	}
	k3 := reopen(t, k2, path)
	if len(k3.Damaged()) != 0 || k3.Live() != 2 {
		t.Errorf("after reopen: damaged %v, %d live", k3.Damaged(), k3.Live())
	}
}

// A slot whose bytes rot (or a Destroy torn mid-write) is damaged; the
// store's pending Destroy zeros it whatever generation it names.
func TestCorruptSlotIsDamagedAndDestroyable(t *testing.T) {
	k, path := newKeys(t, Options{})
	a := mustAlloc(t, k)
	b := mustAlloc(t, k)
	sealedB, _ := k.Seal(nil, b, "c", nil, []byte("b"))
	k.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Half of a's key zeroed: what a Destroy torn between sectors would leave.
	if _, err := f.WriteAt(make([]byte, 16), slotOffset(a.Slot)+slotKey); err != nil {
		t.Fatal(err)
	}
	f.Close()
	k2 := reopen(t, nil, path)
	if d := k2.Damaged(); len(d) != 1 || d[0] != a.Slot {
		t.Fatalf("Damaged = %v", d)
	}
	if err := k2.Destroy(a); err != nil {
		t.Fatal(err)
	}
	if len(k2.Damaged()) != 0 {
		t.Error("Destroy left the slot damaged")
	}
	if p, err := k2.Open(nil, b, "c", nil, sealedB); err != nil || string(p) != "b" {
		t.Errorf("the neighbouring slot suffered: %q, %v", p, err)
	}
	if r := mustAlloc(t, k2); r.Slot != a.Slot {
		t.Errorf("zeroed slot not reused: got %d", r.Slot)
	}
}

// A slot copied to another position does not read as valid there: the
// checksum covers the slot's index.
func TestSlotChecksumBindsPosition(t *testing.T) {
	k, path := newKeys(t, Options{})
	a := mustAlloc(t, k)
	mustAlloc(t, k)
	k.Close()
	raw, _ := os.ReadFile(path)
	copy(raw[slotOffset(1):slotOffset(2)], raw[slotOffset(a.Slot):slotOffset(a.Slot)+SlotSize])
	os.WriteFile(path, raw, 0o600)
	k2 := reopen(t, nil, path)
	if d := k2.Damaged(); len(d) != 1 || d[0] != 1 {
		t.Fatalf("Damaged = %v, want [1]", d)
	}
}
