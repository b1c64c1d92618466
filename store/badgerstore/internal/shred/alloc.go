package shred

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// randomKey fills k from crypto/rand (which never fails; Go aborts the
// process rather than return weak bytes), redrawing the all-zero key that
// marks a destroyed slot.
func randomKey(k *[KeySize]byte) {
	for {
		rand.Read(k[:])
		if *k != ([KeySize]byte{}) {
			return
		}
	}
}

// randomGen draws a generation: random, so that no counter has to survive
// a damaged slot, and never 0, which marks a never-used slot.
func randomGen() uint64 {
	var b [8]byte
	for {
		rand.Read(b[:])
		if g := binary.LittleEndian.Uint64(b[:]); g != 0 {
			return g
		}
	}
}

// Alloc gives a fresh key to a new customer: it reuses a free slot (zeroed
// at open or destroyed since) or appends one, writes a random key under a
// new random generation, and fsyncs the file before it returns. Only then
// may the caller seal with ref and commit (see the package comment).
func (k *Keys) Alloc() (Ref, error) {
	refs, err := k.AllocN(1)
	if err != nil {
		return Ref{}, err
	}
	return refs[0], nil
}

// AllocN is Alloc for n customers at once with one fsync for all of them:
// a bulk load or a migration would otherwise wait for one fsync per
// customer. Every key is durable when it returns; on an error none of them
// is handed out (the slots written before the failure hold keys nobody
// refers to, which Reclaim destroys at the next open).
func (k *Keys) AllocN(n int) ([]Ref, error) {
	if n <= 0 {
		return nil, nil
	}
	k.wmu.Lock()
	defer k.wmu.Unlock()
	if err := k.writable(); err != nil {
		return nil, err
	}
	// Slots past k.n and the free list change only under wmu, held here.
	k.mu.RLock()
	free, next := len(k.free), k.n
	k.mu.RUnlock()
	if uint64(next)+uint64(max(n-free, 0)) > 1<<32-1 {
		return nil, fmt.Errorf("shred: key file is full")
	}
	type fresh struct {
		i   uint32
		gen uint64
		key [KeySize]byte
	}
	out := make([]fresh, n)
	defer func() {
		for j := range out {
			clear(out[j].key[:])
		}
	}()
	for j := range out {
		if free > 0 {
			free--
			out[j].i = k.free[free]
		} else {
			out[j].i = next
			next++
		}
		randomKey(&out[j].key)
		out[j].gen = randomGen()
		if err := k.writeSlotNoSync(out[j].i, out[j].gen, &out[j].key); err != nil {
			return nil, err
		}
	}
	if err := k.sync(); err != nil {
		return nil, err
	}
	refs := make([]Ref, n)
	k.mu.Lock()
	for j, f := range out {
		if f.i >= k.n {
			k.grow(f.i)
			k.n = f.i + 1
		}
		*k.slotAt(f.i) = slot{gen: f.gen, key: f.key, state: stateLive}
		refs[j] = Ref{Slot: f.i, Gen: f.gen}
	}
	k.free = k.free[:free]
	k.mu.Unlock()
	return refs, nil
}

// Valid reports whether ref's key is there to seal and open with: nil, or
// ErrDestroyed, ErrDamaged, ErrUnknownRef or ErrClosed, as Open would fail.
// The store's check uses it to find records whose key is gone.
func (k *Keys) Valid(ref Ref) error {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.state(ref)
}

// state is Valid's answer. Callers hold mu.
func (k *Keys) state(ref Ref) error {
	if k.closed {
		return ErrClosed
	}
	s := k.slotAt(ref.Slot)
	switch {
	case s == nil || ref.IsZero():
		return ErrUnknownRef
	case s.state == stateDamaged:
		return ErrDamaged
	case s.state != stateLive || s.gen != ref.Gen:
		return ErrDestroyed
	}
	return nil
}

// Destroy shreds ref's key: readers stop finding it at once, then the
// slot's key bytes are overwritten with zeros in place and the file is
// fsynced; once Destroy returns nil no file holds the key (see the package
// comment for what the device may still keep). It is idempotent: a ref
// already destroyed, or whose slot has since been given to another
// generation, is left alone and Destroy returns nil. A damaged slot is
// zeroed whatever the ref's generation: its key, if any, is unusable
// anyway. The slot becomes free for Alloc.
func (k *Keys) Destroy(ref Ref) error {
	k.wmu.Lock()
	defer k.wmu.Unlock()
	if err := k.writable(); err != nil {
		return err
	}
	k.mu.RLock()
	s := k.slotAt(ref.Slot)
	k.mu.RUnlock()
	if s == nil || ref.IsZero() {
		return ErrUnknownRef
	}
	// Only writers (wmu, held) change a slot, so s can be read here.
	switch {
	case s.state == stateDamaged:
		return k.shred(ref.Slot, randomGen())
	case s.state != stateLive || s.gen != ref.Gen:
		return nil
	}
	return k.shred(ref.Slot, s.gen)
}

// Reclaim destroys the keys no record refers to: every slot that was live
// or damaged when the file was opened and for which inUse does not report
// the generation the slot holds. inUse answers from the store's own
// records (slot -> generation of the customer owning it). Slots allocated
// since Open are never reclaimed — their owner may be committing now — so
// run Reclaim at open, before serving, or from the store's check.
// It returns how many slots it zeroed.
func (k *Keys) Reclaim(inUse func(slot uint32) (gen uint64, ok bool)) (int, error) {
	k.wmu.Lock()
	defer k.wmu.Unlock()
	if err := k.writable(); err != nil {
		return 0, err
	}
	k.mu.RLock()
	n := k.n
	k.mu.RUnlock()
	zeroed := 0
	for i := range n {
		k.mu.RLock()
		s := k.slotAt(i)
		k.mu.RUnlock()
		if !s.loaded {
			continue
		}
		gen, ok := inUse(i)
		switch {
		case s.state == stateLive && (!ok || gen != s.gen):
			if err := k.shred(i, s.gen); err != nil {
				return zeroed, err
			}
		case s.state == stateDamaged && !ok:
			if err := k.shred(i, randomGen()); err != nil {
				return zeroed, err
			}
		default:
			continue
		}
		zeroed++
	}
	return zeroed, nil
}

// shred takes slot i out of use, wipes its key from memory, writes the
// destroyed slot (gen, zero key) in place and fsyncs. Callers hold wmu.
func (k *Keys) shred(i uint32, gen uint64) error {
	k.mu.Lock()
	s := k.slotAt(i)
	s.state = stateShredding
	clear(s.key[:])
	s.gen = gen
	s.loaded = false
	k.dropCached(i)
	k.mu.Unlock()
	if err := k.writeSlot(i, gen, nil); err != nil {
		return err
	}
	k.mu.Lock()
	s.state = stateFree
	k.free = append(k.free, i)
	k.mu.Unlock()
	return nil
}

// writeSlot writes slot i in place and fsyncs. A failure breaks the Keys
// for writing (see Keys.broken). Callers hold wmu.
func (k *Keys) writeSlot(i uint32, gen uint64, key *[KeySize]byte) error {
	if err := k.writeSlotNoSync(i, gen, key); err != nil {
		return err
	}
	return k.sync()
}

// writeSlotNoSync writes slot i in place; the caller fsyncs (sync) before
// it relies on it. Callers hold wmu.
func (k *Keys) writeSlotNoSync(i uint32, gen uint64, key *[KeySize]byte) error {
	var b [SlotSize]byte
	encodeSlot(b[:], i, gen, key)
	_, err := k.f.WriteAt(b[:], slotOffset(i))
	clear(b[:])
	if err != nil {
		k.broken = fmt.Errorf("shred: key file write failed, reopen it: %w", err)
		return k.broken
	}
	return nil
}

// sync fsyncs the key file. Callers hold wmu.
func (k *Keys) sync() error {
	if err := k.f.Sync(); err != nil {
		k.broken = fmt.Errorf("shred: key file fsync failed, reopen it: %w", err)
		return k.broken
	}
	return nil
}

// writable reports why writers cannot proceed. Callers hold wmu.
func (k *Keys) writable() error {
	if k.closed {
		return ErrClosed
	}
	return k.broken
}
