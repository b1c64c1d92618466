package shred

import (
	"bytes"
	"errors"
	"sync"
	"testing"
)

func TestSealOpenBindsRecord(t *testing.T) {
	k, _ := newKeys(t, Options{})
	a, b := mustAlloc(t, k), mustAlloc(t, k)
	plain := []byte("Jan de Vries, Kerkstraat 1, 0612345678")
	sealed, err := k.Seal([]byte("prefix"), a, "cust-1", []byte("c/cust-1"), plain)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(sealed, []byte("prefix")) || len(sealed) != len("prefix")+len(plain)+Overhead {
		t.Fatalf("Seal did not append %d bytes to dst: %d", len(plain)+Overhead, len(sealed))
	}
	sealed = sealed[len("prefix"):]
	if bytes.Contains(sealed, plain[:8]) {
		t.Fatal("sealed value holds the plaintext")
	}
	got, err := k.Open([]byte("x"), a, "cust-1", []byte("c/cust-1"), sealed)
	if err != nil || string(got) != "x"+string(plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	tampered := bytes.Clone(sealed)
	tampered[NonceSize+3] ^= 1
	cases := []struct {
		name   string
		ref    Ref
		cust   string
		key    string
		sealed []byte
	}{
		{"other customer", a, "cust-2", "c/cust-1", sealed},
		{"other record key", a, "cust-1", "c/cust-2", sealed},
		{"boundary moved", a, "cust-1c", "/cust-1", sealed},
		{"other key", b, "cust-1", "c/cust-1", sealed},
		{"tampered", a, "cust-1", "c/cust-1", tampered},
		{"truncated", a, "cust-1", "c/cust-1", sealed[:len(sealed)-1]},
		{"shorter than overhead", a, "cust-1", "c/cust-1", sealed[:Overhead-1]},
		{"empty", a, "cust-1", "c/cust-1", nil},
	}
	for _, c := range cases {
		if _, err := k.Open(nil, c.ref, c.cust, []byte(c.key), c.sealed); !errors.Is(err, ErrOpenFailed) {
			t.Errorf("%s: Open = %v, want ErrOpenFailed", c.name, err)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	k, _ := newKeys(t, Options{})
	a := mustAlloc(t, k)
	x, _ := k.Seal(nil, a, "c", []byte("k"), []byte("same"))
	y, _ := k.Seal(nil, a, "c", []byte("k"), []byte("same"))
	if bytes.Equal(x[:NonceSize], y[:NonceSize]) || bytes.Equal(x, y) {
		t.Fatal("two Seals of the same value share a nonce")
	}
}

// With a one-entry cache every other call evicts: the instance built must
// always be the one for the ref asked, and Destroy must evict it.
func TestCacheCollisionsAndEviction(t *testing.T) {
	k, _ := newKeys(t, Options{CacheSize: 1})
	a, b := mustAlloc(t, k), mustAlloc(t, k)
	sa, _ := k.Seal(nil, a, "a", nil, []byte("A"))
	sb, _ := k.Seal(nil, b, "b", nil, []byte("B"))
	for range 3 {
		if p, err := k.Open(nil, a, "a", nil, sa); err != nil || string(p) != "A" {
			t.Fatalf("a: %q %v", p, err)
		}
		if p, err := k.Open(nil, b, "b", nil, sb); err != nil || string(p) != "B" {
			t.Fatalf("b: %q %v", p, err)
		}
	}
	if err := k.Destroy(b); err != nil {
		t.Fatal(err)
	}
	if e := k.cache[0].Load(); e != nil {
		t.Error("Destroy left the destroyed key's AES-GCM instance in the cache")
	}
	k2, _ := newKeys(t, Options{CacheSize: 1000})
	if len(k2.cache) != 1024 {
		t.Errorf("cache of %d entries, want 1024", len(k2.cache))
	}
}

// Readers run while one writer allocates and destroys. Every Open of a
// live key succeeds; once Destroy has returned, no Seal or Open of that
// key succeeds. Run with -race.
func TestConcurrentReadersOneWriter(t *testing.T) {
	k, _ := newKeys(t, Options{CacheSize: 8})
	const n = 32
	refs := make([]Ref, n)
	sealed := make([][]byte, n)
	for i := range refs {
		refs[i] = mustAlloc(t, k)
		sealed[i], _ = k.Seal(nil, refs[i], "c", []byte{byte(i)}, []byte{byte(i)})
	}
	var destroyed sync.Map // index -> struct{}, stored after Destroy returned
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range 4 {
		wg.Go(func() {
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				i := (j*7 + r) % n
				_, gone := destroyed.Load(i)
				p, err := k.Open(nil, refs[i], "c", []byte{byte(i)}, sealed[i])
				switch {
				case gone && err == nil:
					t.Errorf("key %d opened after Destroy returned", i)
				case !gone && err == nil && p[0] != byte(i):
					t.Errorf("key %d opened to %v", i, p)
				case err != nil && !errors.Is(err, ErrDestroyed):
					t.Errorf("key %d: %v", i, err)
				}
				_ = k.IndexHash('p', "x")
			}
		})
	}
	for i := 0; i < n; i += 2 {
		if err := k.Destroy(refs[i]); err != nil {
			t.Fatal(err)
		}
		destroyed.Store(i, struct{}{})
		if _, err := k.Alloc(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if k.Live() != n {
		t.Errorf("%d live, want %d", k.Live(), n)
	}
}
