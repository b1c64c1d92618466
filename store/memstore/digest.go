package memstore

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strings"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// Digest hashes everything the store holds — records, identifier index,
// remembered requests and every cross-customer index — in a fixed order.
// Two stores with the same digest hold the same data; tests use it to
// prove a refused write wrote nothing.
func (s *Store) Digest() ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, id := range slices.Sorted(maps.Keys(s.customers)) {
		c := s.customers[id]
		fmt.Fprintf(h, "customer %+v\n", c.Customer)
		for _, in := range c.history {
			writeInteraction(h, in)
		}
		for _, p := range c.promises {
			fmt.Fprintf(h, "promise %+v\n", *p)
		}
	}
	ids := slices.Collect(maps.Keys(s.holders))
	slices.SortFunc(ids, compareIdentifiers)
	for _, id := range ids {
		fmt.Fprintf(h, "holders %+v %q\n", id, s.holders[id])
	}
	for _, k := range slices.Sorted(maps.Keys(s.requests)) {
		r := s.requests[k]
		fmt.Fprintf(h, "request %q %x %q %q %v\n", k, r.fingerprint, r.customer, r.id, r.expires)
	}
	fmt.Fprintf(h, "due %v\noccurred %v\nfeedback %v\n", s.due, s.occurred, s.feedback)
	for _, o := range slices.Sorted(maps.Keys(s.owners)) {
		fmt.Fprintf(h, "owner %q %v\n", o, *s.owners[o])
	}
	fmt.Fprintf(h, "all %v\nupdated %v\n", s.all, s.updated)
	for i, m := range []map[string]*index{s.tags, s.tagsUpdated, s.names} {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			fmt.Fprintf(h, "customers %d %q %v\n", i, k, *m[k])
		}
	}
	// Merged names, their records and survivors (fmt prints maps sorted).
	fmt.Fprintf(h, "merged %v\naliases %v\nmerged-into %q\n", s.merged, s.aliases, s.mergedInto)
	for _, k := range slices.Sorted(maps.Keys(s.records)) {
		fmt.Fprintf(h, "record %q %+v\n", k, s.records[k])
	}
	fmt.Fprintf(h, "erased %v\njournal %v\n", slices.Sorted(maps.Keys(s.erased)), s.journal)
	s.digestAudit(h)
	return h.Sum(nil), nil
}

// writeInteraction writes in with its feedback's content (fmt would print
// the pointer).
func writeInteraction(h hash.Hash, in *herken.Interaction) {
	bare := *in
	bare.Feedback = nil
	fmt.Fprintf(h, "interaction %+v", bare)
	if in.Feedback != nil {
		fmt.Fprintf(h, " feedback %+v", *in.Feedback)
	}
	fmt.Fprintln(h)
}

func compareIdentifiers(a, b identity.Identifier) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Platform, b.Platform), strings.Compare(a.Value, b.Value))
}
