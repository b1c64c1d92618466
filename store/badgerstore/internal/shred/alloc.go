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
	k.wmu.Lock()
	defer k.wmu.Unlock()
	if err := k.writable(); err != nil {
		return Ref{}, err
	}
	// Slots past k.n and the free list change only under wmu, held here.
	var i uint32
	if n := len(k.free); n > 0 {
		i = k.free[n-1]
	} else {
		if k.n == 1<<32-1 {
			return Ref{}, fmt.Errorf("shred: key file is full")
		}
		i = k.n
	}
	var key [KeySize]byte
	randomKey(&key)
	gen := randomGen()
	if err := k.writeSlot(i, gen, &key); err != nil {
		clear(key[:])
		return Ref{}, err
	}
	k.mu.Lock()
	if i == k.n {
		k.grow(i)
		k.n++
	} else {
		k.free = k.free[:len(k.free)-1]
	}
	s := k.slotAt(i)
	*s = slot{gen: gen, key: key, state: stateLive}
	k.mu.Unlock()
	clear(key[:])
	return Ref{Slot: i, Gen: gen}, nil
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
	var b [SlotSize]byte
	encodeSlot(b[:], i, gen, key)
	_, err := k.f.WriteAt(b[:], slotOffset(i))
	clear(b[:])
	if err == nil {
		err = k.f.Sync()
	}
	if err != nil {
		k.broken = fmt.Errorf("shred: key file write failed, reopen it: %w", err)
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
