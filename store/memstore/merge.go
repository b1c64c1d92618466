package memstore

import (
	"context"
	"slices"

	"github.com/herken/herken"
)

// Merged names. A merge deletes the merged customer's record and keeps its
// MergeRecord (records, listed per survivor in mergedInto) and a pointer to
// the live survivor (merged). Pointers stay flat — every merged name points
// at a live customer, never at another merged name — so Resolve is one
// read; aliases is their inverse, so a merge or unmerge re-points exactly
// the names it affects without a scan, and erasure finds every customer
// merged into the erased one.

// Resolve implements herken.Store.
func (s *Store) Resolve(ctx context.Context, id string) (string, error) {
	if err := s.rlock(ctx); err != nil {
		return "", err
	}
	defer s.mu.RUnlock()
	if to, ok := s.merged[id]; ok {
		return to, nil
	}
	if _, err := s.live(id); err != nil {
		return "", err
	}
	return id, nil
}

// mergeSide returns the live customer id for one side of a merge:
// CustomerMerged(its survivor) for a merged name.
func (s *Store) mergeSide(id string) (*customer, error) {
	if to, ok := s.merged[id]; ok {
		return nil, herken.CustomerMerged(to)
	}
	return s.live(id)
}

// MergeCustomers implements herken.Store. Everything that could refuse the
// merge — the sides, plan, id collisions — is decided before the first
// change.
func (s *Store) MergeCustomers(ctx context.Context, survivorID, mergedID string, plan func(survivor, merged herken.Customer) (herken.Customer, herken.Interaction, error), w herken.WriteOptions) (herken.Customer, error) {
	if err := s.lock(ctx); err != nil {
		return herken.Customer{}, err
	}
	defer s.mu.Unlock()
	surv, err := s.mergeSide(survivorID)
	if err != nil {
		return herken.Customer{}, err
	}
	m, err := s.mergeSide(mergedID)
	if err != nil {
		return herken.Customer{}, err
	}
	if surv == m {
		return herken.Customer{}, herken.ErrMergeIntoSelf // the service refuses it first
	}
	next, event, err := plan(surv.Customer.Clone(), m.Customer.Clone())
	if err != nil {
		return herken.Customer{}, err
	}
	next.ID = surv.ID
	if err := s.mergeable(surv, m, next, event); err != nil {
		return herken.Customer{}, err
	}

	rec := herken.MergeRecord{
		Merged:           m.Customer.Clone(),
		SurvivorID:       surv.ID,
		SurvivorBefore:   surv.Customer.Clone(),
		SurvivorRevision: next.Revision,
		EventID:          event.ID,
		Time:             event.OccurTime,
		Actor:            w.Actor,
	}
	links := s.stageLinks()
	for _, l := range m.Identifiers {
		links.handOver(l.Identifier, m.ID, surv.ID)
	}
	has := next.IdentifierSet()
	for _, c := range []*customer{surv, m} {
		for _, l := range c.Identifiers {
			if !has[l.Identifier] {
				links.unlink(l.Identifier, surv.ID) // plan dropped it
			}
		}
	}
	links.commit()
	s.putCustomer(surv, next)
	// Oldest first: each is the last of m's order, cheap to take out.
	for _, in := range slices.Backward(slices.Clone(m.history)) {
		rec.Interactions = append(rec.Interactions, in.ID)
		s.moveInteraction(m, surv, in)
	}
	for _, p := range slices.Backward(slices.Clone(m.promises)) {
		rec.Promises = append(rec.Promises, p.ID)
		s.movePromise(m, surv, p)
	}
	slices.Reverse(rec.Interactions) // history order, newest first
	slices.Reverse(rec.Promises)     // due order
	s.appendTo(surv, event)
	s.unindexCustomer(m.Customer)
	delete(s.customers, m.ID)

	s.records[m.ID] = rec
	s.mergedInto[surv.ID] = append(s.mergedInto[surv.ID], m.ID)
	s.point(m.ID, surv.ID)
	for name := range s.aliases[m.ID] {
		s.point(name, surv.ID)
	}
	delete(s.aliases, m.ID)
	return surv.Customer.Clone(), nil
}

// mergeable checks what MergeCustomers is about to do: the event is new to
// both histories, no interaction or promise id of m is taken in surv, and
// plan added no identifier (a merge hands over links; it makes none).
func (s *Store) mergeable(surv, m *customer, next herken.Customer, event herken.Interaction) error {
	switch {
	case !herken.ValidID(event.ID):
		return corrupt("interaction id has the wrong shape")
	case surv.interactions[event.ID] != nil || m.interactions[event.ID] != nil:
		return corrupt("interaction id collision")
	}
	for id := range m.interactions {
		if surv.interactions[id] != nil {
			return corrupt("interaction id collision")
		}
	}
	for id := range m.promiseByID {
		if surv.promiseByID[id] != nil {
			return corrupt("promise id collision")
		}
	}
	for _, l := range next.Identifiers {
		if !surv.HasIdentifier(l.Identifier) && !m.HasIdentifier(l.Identifier) {
			return corrupt("merge plan added an identifier")
		}
	}
	return nil
}

// point makes name (not live) resolve to the live customer to.
func (s *Store) point(name, to string) {
	if from, ok := s.merged[name]; ok {
		delete(s.aliases[from], name)
		if len(s.aliases[from]) == 0 {
			delete(s.aliases, from)
		}
	}
	s.merged[name] = to
	if s.aliases[to] == nil {
		s.aliases[to] = map[string]struct{}{}
	}
	s.aliases[to][name] = struct{}{}
}

// unpoint makes name live again (or erased): it resolves to nothing.
func (s *Store) unpoint(name string) {
	if from, ok := s.merged[name]; ok {
		delete(s.aliases[from], name)
		if len(s.aliases[from]) == 0 {
			delete(s.aliases, from)
		}
		delete(s.merged, name)
	}
}

// moveInteraction moves in, with its feedback, from one customer's history
// to another's, keeping its id; its index entries follow.
func (s *Store) moveInteraction(from, to *customer, in *herken.Interaction) {
	s.unindexInteraction(*in)
	from.history = removeSorted(from.history, *in, herken.NewestFirst)
	delete(from.interactions, in.ID)
	in.CustomerID = to.ID
	to.history = insertSorted(to.history, in, herken.NewestFirst)
	to.interactions[in.ID] = in
	s.occurred.insert(occurEntry(*in))
	s.indexFeedback(*in)
}

// unindexInteraction takes in out of the cross-customer indexes.
func (s *Store) unindexInteraction(in herken.Interaction) {
	s.occurred.remove(occurEntry(in))
	s.unindexFeedback(in)
}

// movePromise moves p from one customer to another, keeping its id; its
// index entries follow.
func (s *Store) movePromise(from, to *customer, p *herken.Promise) {
	s.unindexOpen(*p)
	from.promises = removeSorted(from.promises, *p, herken.ByDue)
	delete(from.promiseByID, p.ID)
	p.CustomerID = to.ID
	to.promises = insertSorted(to.promises, p, herken.ByDue)
	to.promiseByID[p.ID] = p
	s.indexOpen(*p)
}

// UnmergeCustomer implements herken.Store. Everything that could refuse the
// unmerge — the names, plan, the merged customer's links — is decided
// before the first change.
func (s *Store) UnmergeCustomer(ctx context.Context, mergedID string, plan func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error), _ herken.WriteOptions) (herken.Customer, herken.Customer, error) {
	if err := s.lock(ctx); err != nil {
		return herken.Customer{}, herken.Customer{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.erased[mergedID]; ok {
		return herken.Customer{}, herken.Customer{}, herken.ErrCustomerErased
	}
	rec, ok := s.records[mergedID]
	if !ok {
		return herken.Customer{}, herken.Customer{}, herken.ErrCustomerNotMerged
	}
	surv, err := s.mergeSide(rec.SurvivorID)
	if err != nil {
		return herken.Customer{}, herken.Customer{}, err
	}
	nextSurv, nextMerged, err := plan(cloneRecord(rec), surv.Customer.Clone())
	if err != nil {
		return herken.Customer{}, herken.Customer{}, err
	}
	nextSurv.ID, nextMerged.ID = surv.ID, mergedID
	links, err := s.unmergeLinks(surv.Customer, nextSurv, nextMerged)
	if err != nil {
		return herken.Customer{}, herken.Customer{}, err
	}

	links.commit()
	m := newCustomer(nextMerged)
	s.customers[mergedID] = m
	for _, id := range rec.Interactions {
		if in := surv.interactions[id]; in != nil {
			s.moveInteraction(surv, m, in)
		}
	}
	for _, id := range rec.Promises {
		if p := surv.promiseByID[id]; p != nil {
			s.movePromise(surv, m, p)
		}
	}
	if in := surv.interactions[rec.EventID]; in != nil { // purged, maybe
		s.unindexInteraction(*in)
		surv.history = removeSorted(surv.history, *in, herken.NewestFirst)
		delete(surv.interactions, in.ID)
	}
	// Plan's last contact is the survivor's before the merge; what it
	// recorded since (still in its history) may be newer.
	for _, in := range surv.history {
		if in.Channel.IsContact() {
			nextSurv.RecordContact(*in)
			break // newest first
		}
	}
	s.putCustomer(surv, nextSurv)
	s.indexCustomer(m.Customer)

	delete(s.records, mergedID)
	s.mergedInto[surv.ID] = slices.DeleteFunc(s.mergedInto[surv.ID], func(id string) bool { return id == mergedID })
	if len(s.mergedInto[surv.ID]) == 0 {
		delete(s.mergedInto, surv.ID)
	}
	s.repoint(mergedID, surv.ID)
	return surv.Customer.Clone(), m.Customer.Clone(), nil
}

// unmergeLinks stages the identifier index for an unmerge: the survivor
// is unlinked from what plan took from it, then the merged customer is
// linked through LinkHolder (at the end of the holders, after the
// survivor's unlinks: a third customer holding one exclusively refuses the
// unmerge). Plan may not add identifiers to the survivor.
func (s *Store) unmergeLinks(surv, nextSurv, nextMerged herken.Customer) (*links, error) {
	had := surv.IdentifierSet()
	for _, l := range nextSurv.Identifiers {
		if !had[l.Identifier] {
			return nil, corrupt("unmerge plan added an identifier to the survivor")
		}
	}
	links := s.stageLinks()
	if err := links.relink(surv.ID, surv, nextSurv); err != nil {
		return nil, err // unreachable: relink only unlinks here
	}
	for i, l := range nextMerged.Identifiers {
		if err := links.link(l.Identifier, nextMerged.ID, i); err != nil {
			return nil, err
		}
	}
	return links, nil
}

// repoint makes mergedID live again and points back at it every name whose
// chain of merges (MergeRecord.SurvivorID links) to survivor goes through
// it; the rest keep pointing at survivor.
func (s *Store) repoint(mergedID, survivor string) {
	s.unpoint(mergedID)
	for name := range s.aliases[survivor] {
		for x, n := name, 0; x != survivor && n <= len(s.records); n++ {
			if x == mergedID {
				s.point(name, mergedID)
				break
			}
			x = s.records[x].SurvivorID
		}
	}
}

// Merges implements herken.Store. A merged name answers with the merges
// into it that wait for it to come back.
func (s *Store) Merges(ctx context.Context, id string) ([]herken.MergeRecord, error) {
	if err := s.rlock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	if _, ok := s.merged[id]; !ok {
		if _, err := s.live(id); err != nil {
			return nil, err
		}
	}
	var out []herken.MergeRecord
	for _, m := range s.mergedInto[id] {
		out = append(out, cloneRecord(s.records[m]))
	}
	return out, nil
}

// cloneRecord copies rec so that caller and store share no slice.
func cloneRecord(rec herken.MergeRecord) herken.MergeRecord {
	rec.Merged = rec.Merged.Clone()
	rec.SurvivorBefore = rec.SurvivorBefore.Clone()
	rec.Interactions = slices.Clone(rec.Interactions)
	rec.Promises = slices.Clone(rec.Promises)
	return rec
}
