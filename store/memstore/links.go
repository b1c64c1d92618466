package memstore

import (
	"slices"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// links stages changes to the identifier index: a write decides every link
// (LinkHolder may refuse one) before it changes anything, then commits.
// Staged slices are always fresh copies, never the index's own.
type links struct {
	s      *Store
	staged map[identity.Identifier][]string
}

func (s *Store) stageLinks() *links {
	return &links{s: s, staged: map[identity.Identifier][]string{}}
}

// holders returns id's holders as staged so far.
func (l *links) holders(id identity.Identifier) []string {
	if hs, ok := l.staged[id]; ok {
		return hs
	}
	return l.s.holders[id]
}

// link adds customerID to id's holders through herken.LinkHolder; index
// is the identifier's position in the customer's list, for the error.
func (l *links) link(id identity.Identifier, customerID string, index int) error {
	next, err := herken.LinkHolder(id, l.holders(id), customerID, index)
	if err != nil {
		return err
	}
	l.staged[id] = slices.Clone(next)
	return nil
}

// unlink takes customerID out of id's holders; the others keep their order.
func (l *links) unlink(id identity.Identifier, customerID string) {
	l.staged[id] = slices.DeleteFunc(slices.Clone(l.holders(id)), func(h string) bool { return h == customerID })
}

// handOver gives from's place among id's holders to to, or drops from
// where to holds id already: a merge keeps the link order of the rest.
func (l *links) handOver(id identity.Identifier, from, to string) {
	l.staged[id] = herken.HandOver(l.holders(id), from, to)
}

// commit writes what was staged; an identifier nobody holds leaves the
// index.
func (l *links) commit() {
	for id, hs := range l.staged {
		if len(hs) == 0 {
			delete(l.s.holders, id)
		} else {
			l.s.holders[id] = hs
		}
	}
}

// relink stages the change of customerID's identifiers from old to next:
// the new ones are linked (index: position in next), the gone ones
// unlinked; those in both keep their place among the holders.
func (l *links) relink(customerID string, old, next herken.Customer) error {
	had, has := old.IdentifierSet(), next.IdentifierSet()
	for i, li := range next.Identifiers {
		if !had[li.Identifier] {
			if err := l.link(li.Identifier, customerID, i); err != nil {
				return err
			}
		}
	}
	for id := range had {
		if !has[id] {
			l.unlink(id, customerID)
		}
	}
	return nil
}
