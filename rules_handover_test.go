package herken

import (
	"slices"
	"testing"
)

// TestHandOver: the survivor takes the merged customer's place, or the
// merged customer drops out where the survivor holds the identifier too;
// the others keep their order, and the input is not changed.
func TestHandOver(t *testing.T) {
	in := []string{"a", "m", "b"}
	if got := HandOver(in, "m", "s"); !slices.Equal(got, []string{"a", "s", "b"}) {
		t.Fatalf("takes the place: %v", got)
	}
	if got := HandOver([]string{"s", "m", "b"}, "m", "s"); !slices.Equal(got, []string{"s", "b"}) {
		t.Fatalf("drops out: %v", got)
	}
	if got := HandOver(in, "x", "s"); !slices.Equal(got, in) {
		t.Fatalf("not a holder: %v", got)
	}
	if !slices.Equal(in, []string{"a", "m", "b"}) {
		t.Fatalf("input changed: %v", in)
	}
}
