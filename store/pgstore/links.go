package pgstore

import (
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
)

// links stages changes to the identifier index, as the memory store's
// links do: a write decides every link (LinkHolder may refuse one) before
// it changes anything, then commit queues the writes. Holders are read
// once per identifier (load reads many in one statement).
type links struct {
	t      *tx
	read   map[identity.Identifier][]string // as stored
	staged map[identity.Identifier][]string
}

func (t *tx) stageLinks() *links {
	return &links{t: t, read: map[identity.Identifier][]string{}, staged: map[identity.Identifier][]string{}}
}

// load reads the holders of ids not read yet, in one statement.
func (l *links) load(ids ...identity.Identifier) error {
	var keys []string
	byKey := map[string]identity.Identifier{}
	for _, id := range ids {
		if _, ok := l.read[id]; ok {
			continue
		}
		k := identKey(id)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
			byKey[k] = id
		}
		l.read[id] = nil
	}
	if len(keys) == 0 {
		return nil
	}
	rows, err := l.t.Query(l.t.ctx, `SELECT ident, holders FROM holders WHERE ident = ANY($1)`, keys)
	if err != nil {
		return err
	}
	var k string
	var hs []string
	_, err = pgx.ForEachRow(rows, []any{&k, &hs}, func() error {
		l.read[byKey[k]] = slices.Clone(hs)
		return nil
	})
	return err
}

// holders returns id's holders as staged so far.
func (l *links) holders(id identity.Identifier) ([]string, error) {
	if hs, ok := l.staged[id]; ok {
		return hs, nil
	}
	if err := l.load(id); err != nil {
		return nil, err
	}
	return l.read[id], nil
}

// link adds customerID to id's holders through herken.LinkHolder; index
// is the identifier's position in the customer's list, for the error.
func (l *links) link(id identity.Identifier, customerID string, index int) error {
	hs, err := l.holders(id)
	if err != nil {
		return err
	}
	next, err := herken.LinkHolder(id, hs, customerID, index)
	if err != nil {
		return err
	}
	l.staged[id] = slices.Clone(next)
	return nil
}

// unlink takes customerID out of id's holders; the others keep their order.
func (l *links) unlink(id identity.Identifier, customerID string) error {
	hs, err := l.holders(id)
	if err != nil {
		return err
	}
	l.staged[id] = slices.DeleteFunc(slices.Clone(hs), func(h string) bool { return h == customerID })
	return nil
}

// handOver gives from's place among id's holders to to, or drops from
// where to holds id already: a merge keeps the link order of the rest.
func (l *links) handOver(id identity.Identifier, from, to string) error {
	hs, err := l.holders(id)
	if err != nil {
		return err
	}
	l.staged[id] = herken.HandOver(hs, from, to)
	return nil
}

// relink stages the change of customerID's identifiers from old to next:
// the new ones are linked (index: position in next), the gone ones
// unlinked; those in both keep their place among the holders.
func (l *links) relink(customerID string, old, next herken.Customer) error {
	if err := l.load(append(identifiersOf(old), identifiersOf(next)...)...); err != nil {
		return err
	}
	had, has := old.IdentifierSet(), next.IdentifierSet()
	for i, li := range next.Identifiers {
		if !had[li.Identifier] {
			if err := l.link(li.Identifier, customerID, i); err != nil {
				return err
			}
		}
	}
	for _, li := range old.Identifiers {
		if !has[li.Identifier] {
			if err := l.unlink(li.Identifier, customerID); err != nil {
				return err
			}
		}
	}
	return nil
}

// commit queues the staged changes that differ from what was read; an
// identifier nobody holds leaves the index.
func (l *links) commit(b *pgx.Batch) {
	// In key order: two writers that change the same identifiers lock
	// their rows in the same order, so they cannot deadlock (a deadlock
	// costs deadlock_timeout, a second, before one of them retries).
	ids := make([]identity.Identifier, 0, len(l.staged))
	for id := range l.staged {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b identity.Identifier) int { return strings.Compare(identKey(a), identKey(b)) })
	for _, id := range ids {
		hs := l.staged[id]
		if slices.Equal(hs, l.read[id]) {
			continue
		}
		if len(hs) == 0 {
			b.Queue(`DELETE FROM holders WHERE ident = $1`, identKey(id))
		} else {
			b.Queue(`INSERT INTO holders (ident, holders) VALUES ($1, $2) ON CONFLICT (ident) DO UPDATE SET holders = excluded.holders`,
				identKey(id), hs)
		}
	}
	// A second commit of the same links writes only what changed since.
	for id, hs := range l.staged {
		l.read[id] = slices.Clone(hs)
	}
}
