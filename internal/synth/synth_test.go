package synth

import (
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// TestCanonical: every generated identifier is already canonical (the
// normaliser maps it to itself) and every typed form of the mobile number
// normalises to it, so loaded data and looked-up numbers meet.
func TestCanonical(t *testing.T) {
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[identity.Identifier]int{}
	err = Generate(Config{Customers: 3000, Seed: 1, Now: time.Now()}, func(i int, c Customer) error {
		for _, l := range c.Customer.Identifiers {
			id := l.Identifier
			seen[id]++
			if !id.Shareable() && seen[id] > 1 {
				t.Fatalf("customer %d: exclusive identifier generated twice", i)
			}
			if seen[id] > herken.MaxHoldersPerIdentity {
				t.Fatalf("customer %d: identifier over the share limit", i)
			}
			in := identity.Input{Kind: id.Kind, Value: id.Value, Platform: id.Platform}
			if id.Kind == identity.KindSocial {
				in.Platform = identity.PlatformUnspecified
			}
			n, err := norm.Normalize(in)
			if err != nil || n.Identifier != id {
				t.Fatalf("customer %d: %v is not canonical: %v %v", i, id.Kind, n.Identifier, err)
			}
		}
		for _, typed := range c.Typed {
			n, err := norm.Phone(typed)
			if err != nil || n.Identifier.Value != c.Customer.Identifiers[0].Value {
				t.Fatalf("customer %d: typed form does not normalise to the mobile: %v", i, err)
			}
		}
		if len(c.Interactions) != 10 {
			t.Fatalf("customer %d: %d interactions", i, len(c.Interactions))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if n, err := norm.Phone(UnknownMobile(i)); err != nil || seen[n.Identifier] > 0 {
			t.Fatalf("UnknownMobile(%d) invalid or taken: %v", i, err)
		}
	}
}
