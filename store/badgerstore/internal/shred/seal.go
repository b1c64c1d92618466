package shred

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"math/bits"
	"sync"
	"sync/atomic"
)

// Sealed values are nonce[12] | AES-256-GCM ciphertext | tag[16]: Overhead
// bytes longer than the plaintext. Nonces are random: under one customer's
// key the 2^32-message bound for random 96-bit nonces is out of reach.
const (
	NonceSize = 12
	TagSize   = 16
	Overhead  = NonceSize + TagSize
)

// aeadEntry is one cached AES-GCM instance, valid for exactly one slot and
// generation.
type aeadEntry struct {
	slot uint32
	gen  uint64
	aead cipher.AEAD
}

func (k *Keys) initCache(size int) {
	if size <= 0 {
		size = DefaultCacheSize
	}
	size = 1 << bits.Len(uint(size-1))
	k.cache = make([]atomic.Pointer[aeadEntry], size)
	k.mask = uint32(size - 1)
}

// aead returns ref's AES-GCM instance, from the cache or built from the key
// in memory. It holds mu shared throughout, so Destroy (which clears the
// cache under mu) cannot interleave: no instance of a destroyed key is
// cached after Destroy.
func (k *Keys) aead(ref Ref) (cipher.AEAD, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if err := k.state(ref); err != nil {
		return nil, err
	}
	s := k.slotAt(ref.Slot)
	bucket := &k.cache[ref.Slot&k.mask]
	if e := bucket.Load(); e != nil && e.slot == ref.Slot && e.gen == ref.Gen {
		return e.aead, nil
	}
	block, err := aes.NewCipher(s.key[:])
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	bucket.Store(&aeadEntry{slot: ref.Slot, gen: ref.Gen, aead: g})
	return g, nil
}

// dropCached forgets slot i's instance. Callers hold mu exclusively.
func (k *Keys) dropCached(i uint32) {
	bucket := &k.cache[i&k.mask]
	if e := bucket.Load(); e != nil && e.slot == i {
		bucket.Store(nil)
	}
}

// Seal encrypts plaintext under ref's key and appends nonce, ciphertext
// and tag to dst. customerID and recordKey (the Badger key the value is
// stored under) are authenticated, not stored: Open with any other customer
// or key fails, so sealed values cannot be swapped between records or
// customers. plaintext must not overlap dst's spare capacity.
func (k *Keys) Seal(dst []byte, ref Ref, customerID string, recordKey, plaintext []byte) ([]byte, error) {
	g, err := k.aead(ref)
	if err != nil {
		return nil, err
	}
	ret, out := grow(dst, NonceSize+len(plaintext)+TagSize)
	nonce := out[:NonceSize]
	rand.Read(nonce)
	ad := getAD(customerID, recordKey)
	g.Seal(nonce, nonce, plaintext, *ad)
	putAD(ad)
	return ret, nil
}

// Open authenticates and decrypts what Seal made for the same ref,
// customerID and recordKey, appending the plaintext to dst. It fails with
// ErrDestroyed once ref's key is destroyed and with ErrOpenFailed for a
// sealed value that does not belong to this record.
func (k *Keys) Open(dst []byte, ref Ref, customerID string, recordKey, sealed []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrOpenFailed
	}
	g, err := k.aead(ref)
	if err != nil {
		return nil, err
	}
	ad := getAD(customerID, recordKey)
	out, err := g.Open(dst, sealed[:NonceSize], sealed[NonceSize:], *ad)
	putAD(ad)
	if err != nil {
		return nil, ErrOpenFailed
	}
	return out, nil
}

// The additional data is uvarint(len(customerID)) | customerID | recordKey:
// the length prefix keeps ("ab", "c") and ("a", "bc") apart. Buffers are
// pooled: AEAD is an interface, so a stack buffer would escape anyway.
var adPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func getAD(customerID string, recordKey []byte) *[]byte {
	p := adPool.Get().(*[]byte)
	b := binary.AppendUvarint((*p)[:0], uint64(len(customerID)))
	b = append(b, customerID...)
	*p = append(b, recordKey...)
	return p
}

func putAD(p *[]byte) {
	if cap(*p) <= 4096 {
		adPool.Put(p)
	}
}

// grow extends b by n bytes, returning the whole slice and the new tail.
func grow(b []byte, n int) (whole, tail []byte) {
	if total := len(b) + n; cap(b) >= total {
		whole = b[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, b)
	}
	return whole, whole[len(b):]
}
