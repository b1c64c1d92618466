package memstore

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/herken/herken"
)

// entry is one record in an index: the time it is ordered by, then its
// customer and id (which make it unique). It is also a page token's
// position: the first record of the next page.
type entry struct {
	at       time.Time
	customer string
	id       string
}

func (a entry) compare(b entry) int {
	return cmp.Or(a.at.Compare(b.at), strings.Compare(a.customer, b.customer), strings.Compare(a.id, b.id))
}

// index is a sorted slice of entries, oldest first: a binary search finds
// a record or a page's start; inserting moves the tail, which costs little
// at the sizes a memory store holds (and new records mostly go at the end).
type index []entry

func (x *index) insert(e entry) {
	if i, found := slices.BinarySearchFunc(*x, e, entry.compare); !found {
		*x = slices.Insert(*x, i, e)
	}
}

func (x *index) remove(e entry) {
	if i, found := slices.BinarySearchFunc(*x, e, entry.compare); found {
		*x = slices.Delete(*x, i, i+1)
	}
}

// from is the position of the first entry at or after e.
func (x index) from(e entry) int {
	i, _ := slices.BinarySearchFunc(x, e, entry.compare)
	return i
}

// promiseEntry is p's entry in the due and owner indexes: herken.ByDue.
func promiseEntry(p herken.Promise) entry { return entry{p.DueTime, p.CustomerID, p.ID} }

// occurEntry is in's entry in the retention index.
func occurEntry(in herken.Interaction) entry { return entry{in.OccurTime, in.CustomerID, in.ID} }

// feedbackEntry is in's entry in the unanswered-feedback index; ok is
// false when in has no feedback awaiting an answer.
func feedbackEntry(in herken.Interaction) (e entry, ok bool) {
	if in.Feedback == nil || in.Feedback.Answered() {
		return entry{}, false
	}
	return entry{in.Feedback.SubmitTime, in.CustomerID, in.ID}, true
}

// indexOpen adds an OPEN promise to the due and owner indexes.
func (s *Store) indexOpen(p herken.Promise) {
	if p.State != herken.PromiseOpen {
		return
	}
	s.due.insert(promiseEntry(p))
	if p.Owner != "" {
		insertKeyed(s.owners, p.Owner, promiseEntry(p))
	}
}

// insertKeyed adds e to the index under key, making the index if needed.
func insertKeyed(m map[string]*index, key string, e entry) {
	x := m[key]
	if x == nil {
		x = &index{}
		m[key] = x
	}
	x.insert(e)
}

// removeKeyed takes e out of the index under key, and the index out of m
// once it is empty (so the map holds only keys something is listed under).
func removeKeyed(m map[string]*index, key string, e entry) {
	if x := m[key]; x != nil {
		if x.remove(e); len(*x) == 0 {
			delete(m, key)
		}
	}
}

// unindexOpen takes a promise (as it was indexed) out of them.
func (s *Store) unindexOpen(p herken.Promise) {
	if p.State != herken.PromiseOpen {
		return
	}
	s.due.remove(promiseEntry(p))
	removeKeyed(s.owners, p.Owner, promiseEntry(p))
}

func (s *Store) indexFeedback(in herken.Interaction) {
	if e, ok := feedbackEntry(in); ok {
		s.feedback.insert(e)
	}
}

func (s *Store) unindexFeedback(in herken.Interaction) {
	if e, ok := feedbackEntry(in); ok {
		s.feedback.remove(e)
	}
}

// newestFirst compares a stored interaction with a page position in
// history order (herken.NewestFirst).
func newestFirst(in *herken.Interaction, pos entry) int {
	return herken.NewestFirst(*in, herken.Interaction{OccurTime: pos.at, ID: pos.id})
}

// insertSorted inserts v into s, kept sorted by cmp.
func insertSorted[T any](s []*T, v *T, cmp func(a, b T) int) []*T {
	i, _ := slices.BinarySearchFunc(s, v, func(a, b *T) int { return cmp(*a, *b) })
	return slices.Insert(s, i, v)
}

// removeSorted removes the element equal to v under cmp from s.
func removeSorted[T any](s []*T, v T, cmp func(a, b T) int) []*T {
	if i, found := slices.BinarySearchFunc(s, v, func(a *T, b T) int { return cmp(*a, b) }); found {
		return slices.Delete(s, i, i+1)
	}
	return s
}
