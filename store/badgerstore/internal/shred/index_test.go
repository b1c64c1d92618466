package shred

import (
	"bytes"
	"testing"
)

func TestIndexHash(t *testing.T) {
	k, _ := newKeys(t, Options{})
	other, _ := newKeys(t, Options{})
	h := k.IndexHash('p', "+31612345678")
	if len(h) != IndexHashSize {
		t.Fatalf("%d bytes", len(h))
	}
	if !bytes.Equal(h, k.IndexHash('p', "+31612345678")) {
		t.Error("not deterministic")
	}
	for _, c := range []struct {
		kind byte
		term string
	}{{'e', "+31612345678"}, {'p', "+31612345679"}, {'p', ""}, {'n', "+31612345678"}} {
		if bytes.Equal(h, k.IndexHash(c.kind, c.term)) {
			t.Errorf("(%c, %q) hashes like ('p', +31612345678)", c.kind, c.term)
		}
	}
	if bytes.Equal(h, other.IndexHash('p', "+31612345678")) {
		t.Error("two stores share index hashes: the index key is not per store")
	}
	if got := k.AppendIndexHash([]byte("i/"), 'p', "+31612345678"); !bytes.Equal(got, append([]byte("i/"), h...)) {
		t.Errorf("AppendIndexHash = %x", got)
	}
	long := string(bytes.Repeat([]byte("é"), 5000))
	if bytes.Equal(k.IndexHash('n', long), k.IndexHash('n', long[:len(long)-2])) {
		t.Error("long terms collide")
	}
}
