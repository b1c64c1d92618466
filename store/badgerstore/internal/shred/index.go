package shred

import "hash"

// IndexHashSize is the length of an index hash.
const IndexHashSize = 16

// IndexHash is the key-safe stand-in for a readable index term: the first
// 16 bytes of HMAC-SHA256 under the store-wide index key of kind followed
// by canonical. kind keeps the spaces apart (an identifier kind's code, a
// name-prefix tag), canonical is the term in the one form lookups build
// (canonical identifier, folded name prefix). The store uses it for
// identifier index keys and display-name prefix index keys, so that no
// Badger key holds an identifier or a name in readable form.
//
// Why 16 bytes are enough: HMAC-SHA256 is a pseudo-random function, and a
// prefix of a PRF's output is a PRF, so 128-bit outputs collide only by
// chance: among n distinct terms the probability of any collision is at
// most n²/2^129 — about 10^-23 for 10^8 terms (a million customers with
// their identifiers and 32 name prefixes each). An attacker cannot aim for
// a collision without the index key. A collision would merely put two terms
// in one index entry; the store compares the record's own values anyway.
func (k *Keys) IndexHash(kind byte, canonical string) []byte {
	return k.AppendIndexHash(make([]byte, 0, IndexHashSize), kind, canonical)
}

// AppendIndexHash appends IndexHash(kind, canonical) to dst. It panics
// after Close: hashing needs the index key, which Close wiped, and an index
// key built without it would silently miss.
func (k *Keys) AppendIndexHash(dst []byte, kind byte, canonical string) []byte {
	k.mu.RLock()
	pool := k.hmacs
	k.mu.RUnlock()
	if pool == nil {
		panic("shred: IndexHash on a closed key file")
	}
	x := pool.Get().(*indexHasher)
	x.h.Reset()
	x.buf = append(append(x.buf[:0], kind), canonical...)
	x.h.Write(x.buf)
	out := x.h.Sum(x.sum[:0])
	dst = append(dst, out[:IndexHashSize]...)
	clear(x.buf)
	if cap(x.buf) <= 4096 {
		pool.Put(x)
	}
	return dst
}

// indexHasher is a keyed HMAC with scratch space, pooled so hashing does
// not allocate (writes through the hash.Hash interface would make the
// caller's string escape).
type indexHasher struct {
	h   hash.Hash
	buf []byte
	sum [32]byte
}
