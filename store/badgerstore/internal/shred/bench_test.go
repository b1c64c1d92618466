package shred

import (
	"bytes"
	"os"
	"testing"
)

// A customer record of about the size the store seals: 300 bytes.
var record300 = bytes.Repeat([]byte("Jan de Vries, Kerkstraat 1 "), 12)[:300]

func BenchmarkSeal300(b *testing.B) {
	k, _ := newKeys(b, Options{})
	r := mustAlloc(b, k)
	dst := make([]byte, 0, 512)
	key := []byte("c/0123456789abcdef01234567")
	b.ReportAllocs()
	b.SetBytes(300)
	for b.Loop() {
		if _, err := k.Seal(dst[:0], r, "0123456789abcdef01234567", key, record300); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen300(b *testing.B) {
	k, _ := newKeys(b, Options{})
	r := mustAlloc(b, k)
	key := []byte("c/0123456789abcdef01234567")
	sealed, _ := k.Seal(nil, r, "0123456789abcdef01234567", key, record300)
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(300)
	for b.Loop() {
		if _, err := k.Open(dst[:0], r, "0123456789abcdef01234567", key, sealed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen300Cold misses the AES-GCM cache on every call (two keys
// sharing one cache entry): the cost for a customer not served recently.
func BenchmarkOpen300Cold(b *testing.B) {
	k, _ := newKeys(b, Options{CacheSize: 1})
	r := [2]Ref{mustAlloc(b, k), mustAlloc(b, k)}
	key := []byte("c/0123456789abcdef01234567")
	var sealed [2][]byte
	for i := range r {
		sealed[i], _ = k.Seal(nil, r[i], "0123456789abcdef01234567", key, record300)
	}
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(300)
	i := 0
	for b.Loop() {
		i ^= 1
		if _, err := k.Open(dst[:0], r[i], "0123456789abcdef01234567", key, sealed[i]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen300Parallel(b *testing.B) {
	k, _ := newKeys(b, Options{})
	var refs [64]Ref
	var sealed [64][]byte
	key := []byte("c/0123456789abcdef01234567")
	for i := range refs {
		refs[i] = mustAlloc(b, k)
		sealed[i], _ = k.Seal(nil, refs[i], "0123456789abcdef01234567", key, record300)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		dst := make([]byte, 0, 512)
		i := 0
		for pb.Next() {
			i = (i + 1) % len(refs)
			if _, err := k.Open(dst[:0], refs[i], "0123456789abcdef01234567", key, sealed[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkIndexHash(b *testing.B) {
	k, _ := newKeys(b, Options{})
	dst := make([]byte, 0, 32)
	b.ReportAllocs()
	for b.Loop() {
		dst = k.AppendIndexHash(dst[:0], 'p', "+31612345678")
	}
}

// BenchmarkAlloc includes the fsync, which dominates: on the machine's
// real disk it is the cost of creating a customer's key.
func BenchmarkAlloc(b *testing.B) {
	k, _ := newKeys(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Alloc(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDestroy(b *testing.B) {
	k, _ := newKeys(b, Options{})
	refs := make([]Ref, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if len(refs) == 0 {
			for range cap(refs) {
				refs = append(refs, mustAlloc(b, k))
			}
		}
		r := refs[len(refs)-1]
		refs = refs[:len(refs)-1]
		b.StartTimer()
		if err := k.Destroy(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenFile loads a key file of 100k customers.
func BenchmarkOpenFile100k(b *testing.B) {
	_, path := newKeys(b, Options{})
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	slot := make([]byte, SlotSize)
	for i := range uint32(100_000) {
		var key [KeySize]byte
		randomKey(&key)
		encodeSlot(slot, i, randomGen(), &key)
		raw = append(raw, slot...)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		k2, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		k2.Close()
	}
}
