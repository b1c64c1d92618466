package badgerstore

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// Merging and unmerging customers. A merge moves the merged customer's
// interactions and promises under the survivor's keys (ids kept), hands its
// identifiers to the survivor, deletes its record and writes a merge record
// (g/{merged}) with a flat pointer to the live survivor, indexed by target
// (b/{target}/{merged}) so that a later merge of the survivor re-points
// every name at once. An unmerge reverses it from the record.
//
// Transaction limits. Each runs in one Badger transaction, which Badger
// caps at 15% of a memtable (about 4.8 MB and 52,000 writes here). Moving
// an interaction costs about eight writes (the record, its locator, its
// time and feedback entries, deleted under one customer and written under
// the other) and twice its record's size: measured, a merge moves up to
// about 8,300 interactions with 100-byte summaries, 5,500 with 400-byte
// ones (TestTransactionLimits). Past the limit the whole merge (or unmerge)
// is refused with RESOURCE_EXHAUSTED / TOO_MANY_VALUES and nothing is
// written: never half a merge.

// errNoMerge: there is no merge record for the id.
var errNoMerge = errors.New("no merge record")

// getMerge reads g/{mergedID}; errNoMerge when absent.
func getMerge(txn *tx, mergedID string) (mergeRec, error) {
	item, err := txn.Get(mergeKey(mergedID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return mergeRec{}, errNoMerge
	}
	if err != nil {
		return mergeRec{}, err
	}
	var m mergeRec
	err = item.Value(func(v []byte) error {
		var derr error
		m, derr = decodeMergeRecord(txn, mergedID, item.Key(), v)
		return derr
	})
	return m, err
}

func putMerge(txn *tx, mergedID string, m mergeRec) error {
	key := mergeKey(mergedID)
	b, err := encodeMergeRecord(txn, mergedID, key, m)
	if err != nil {
		return err
	}
	return txn.Set(key, b)
}

// tooBig turns Badger's refusal of an oversized transaction into an error
// that says what happened; nothing was written.
func tooBig(err error, what string) error {
	if !errors.Is(err, badger.ErrTxnTooBig) {
		return err
	}
	return &herken.Error{Code: herken.CodeResourceExhausted, Reason: herken.ReasonTooManyValues,
		Message: what + " changes more records than one transaction holds; nothing was changed", Err: err}
}

// mergeSide reads one side of a merge, which must be live.
func mergeSide(txn *tx, id string) (customerRec, error) {
	kind, m, err := lookupName(txn, id)
	if err != nil {
		return customerRec{}, err
	}
	switch kind {
	case nameLive:
		return getCustomerRec(txn, id)
	case nameMerged:
		return customerRec{}, herken.CustomerMerged(m.target)
	case nameErased:
		return customerRec{}, herken.ErrCustomerErased
	}
	return customerRec{}, herken.ErrCustomerNotFound
}

// MergeCustomers implements herken.Store.
func (s *Store) MergeCustomers(ctx context.Context, survivorID, mergedID string, plan func(survivor, merged herken.Customer) (herken.Customer, herken.Interaction, error), w herken.WriteOptions) (herken.Customer, error) {
	if survivorID == mergedID {
		return herken.Customer{}, herken.ErrMergeIntoSelf // the service refuses it first
	}
	var out herken.Customer
	err := s.update(ctx, func(txn *tx) error {
		sur, err := mergeSide(txn, survivorID)
		if err != nil {
			return err
		}
		mer, err := mergeSide(txn, mergedID)
		if err != nil {
			return err
		}
		next, event, err := plan(sur.Customer.Clone(), mer.Customer.Clone())
		if err != nil {
			return err
		}
		next.ID = survivorID
		rec := customerRec{Customer: next, count: sur.count, openPromises: sur.openPromises}
		m := mergeRec{target: survivorID, MergeRecord: herken.MergeRecord{
			Merged: mer.Customer, SurvivorID: survivorID, SurvivorBefore: sur.Customer, SurvivorRevision: next.Revision,
			EventID: event.ID, Time: event.OccurTime, Actor: w.Actor,
		}}
		if m.Interactions, err = moveHistory(txn, mergedID, survivorID, &rec); err != nil {
			return err
		}
		if m.Promises, err = movePromises(txn, mergedID, survivorID, &rec); err != nil {
			return err
		}
		for _, l := range mer.Identifiers {
			if err := handOver(txn, l.Identifier, mergedID, survivorID); err != nil {
				return err
			}
		}
		if err := reindexCustomer(txn, &mer.Customer, nil); err != nil {
			return err
		}
		if err := reindexCustomer(txn, &sur.Customer, &rec.Customer); err != nil {
			return err
		}
		if err := txn.Delete(customerKey(mergedID)); err != nil {
			return err
		}
		// Names that resolved to the merged customer resolve to the
		// survivor now; the merged name joins them.
		for _, k := range scanKeys(txn, targetPrefix(mergedID)) {
			if err := repoint(txn, lastPart(k), mergedID, survivorID); err != nil {
				return err
			}
		}
		if err := putMerge(txn, mergedID, m); err != nil {
			return err
		}
		if err := txn.Set(targetKey(survivorID, mergedID), nil); err != nil {
			return err
		}
		if err := refreshRecent(txn, &rec); err != nil {
			return err
		}
		event.CustomerID = survivorID
		if _, err := appendInteraction(txn, &rec, event); err != nil { // stores rec
			return err
		}
		out = rec.Customer.Clone()
		return nil
	})
	return out, tooBig(err, "the merge")
}

// repoint moves the merged name x from target from to target to.
func repoint(txn *tx, x, from, to string) error {
	m, err := getMerge(txn, x)
	if errors.Is(err, errNoMerge) {
		return corrupt("merge target index names a missing merge record")
	}
	if err != nil {
		return err
	}
	m.target = to
	if err := putMerge(txn, x, m); err != nil {
		return err
	}
	if err := txn.Delete(targetKey(from, x)); err != nil {
		return err
	}
	return txn.Set(targetKey(to, x), nil)
}

// handOver replaces from by to among the holders of id, or drops from
// where to holds id already: no LinkHolder check, nothing is added.
func handOver(txn *tx, id identity.Identifier, from, to string) error {
	hs, err := holders(txn, id)
	if err != nil {
		return err
	}
	if !slices.Contains(hs, from) {
		return nil // nothing to write
	}
	return putHolders(txn, id, herken.HandOver(hs, from, to))
}

// moveHistory moves every interaction of from to to (ids kept), counting
// them in rec (to's record, stored by the caller), and returns their ids.
func moveHistory(txn *tx, from, to string, rec *customerRec) ([]string, error) {
	ins, err := allInteractions(txn, from)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ins))
	for _, in := range ins {
		if err := moveInteraction(txn, in, to, false); err != nil {
			return nil, err
		}
		rec.count++
		ids = append(ids, in.ID)
	}
	return ids, nil
}

// allInteractions reads a customer's whole history, newest first.
func allInteractions(txn *tx, customerID string) ([]herken.Interaction, error) {
	prefix := historyPrefix(customerID)
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	it := txn.NewIterator(io)
	defer it.Close()
	var out []herken.Interaction
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		var in herken.Interaction
		if err := it.Item().Value(func(v []byte) error {
			var derr error
			in, derr = decodeInteraction(txn, customerID, it.Item().Key(), v)
			return derr
		}); err != nil {
			return nil, err
		}
		in.CustomerID = customerID // the key is what the indexes name
		out = append(out, in)
	}
	return out, nil
}

// moveInteraction moves one interaction, with its locator and index
// entries, to the customer to (back: an unmerge). It stays sealed under
// the key it was sealed under (movedRef).
func moveInteraction(txn *tx, in herken.Interaction, to string, back bool) error {
	ref, keep, err := movedRef(txn, interactionKey(in), in.CustomerID, back)
	if err != nil {
		return err
	}
	if err := deleteKeys(txn, append(interactionIndexKeys(in), interactionKey(in), interactionLocator(in.CustomerID, in.ID))...); err != nil {
		return err
	}
	if taken, err := exists(txn, interactionLocator(to, in.ID)); err != nil || taken {
		if err != nil {
			return err
		}
		return corrupt("interaction id collision")
	}
	in.CustomerID = to
	return putInteractionAs(txn, nil, in, ref, keep)
}

// movedRef is the key a record stored at key keeps when a merge (back
// false) or an unmerge (back true) moves it away from the customer from:
// the one it is sealed under, its origin's (tx.keptRef). A merge moves the
// merged customer's records, sealed under its key or under the keys of
// customers merged into it; an unmerge moves them back. A record an
// unmerge moves that is sealed under the survivor's own key was sealed
// before records kept their origin's key (a store migrated from format 4
// re-sealed a merged customer's records under its survivor's key): it
// never belonged to the survivor, so it takes the key of the customer it
// moves back to (keep false).
func movedRef(txn *tx, key []byte, from string, back bool) (shred.Ref, bool, error) {
	ref, keep, err := txn.keptRef(key)
	if err != nil || !keep || !back {
		return ref, keep, err
	}
	own, err := txn.ref(from)
	if err != nil {
		return shred.Ref{}, false, err
	}
	return ref, ref != own, nil
}

// movePromises moves every promise of from to to (ids kept), counting the
// OPEN ones in rec, and returns their ids.
func movePromises(txn *tx, from, to string, rec *customerRec) ([]string, error) {
	prefix := promisePrefix(from)
	var prs []promiseRec
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	it := txn.NewIterator(io)
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		var pr promiseRec
		if err := it.Item().Value(func(v []byte) error {
			var derr error
			pr, derr = decodePromiseRec(txn, from, it.Item().Key(), v)
			return derr
		}); err != nil {
			it.Close()
			return nil, err
		}
		pr.CustomerID = from
		prs = append(prs, pr)
	}
	it.Close()
	ids := make([]string, 0, len(prs))
	for _, pr := range prs {
		if err := movePromise(txn, pr, to, false); err != nil {
			return nil, err
		}
		if pr.State == herken.PromiseOpen {
			rec.openPromises++
		}
		ids = append(ids, pr.ID)
	}
	return ids, nil
}

// movePromise moves one promise, with its locator and open-promise index
// entries, to the customer to (back: an unmerge), sealed under the key it
// was sealed under (movedRef). The interaction it names moves with it
// (same id), so the copied occur time stays true.
func movePromise(txn *tx, pr promiseRec, to string, back bool) error {
	old := pr.Promise
	keys := [][]byte{promiseKey(old), promiseLocator(old.CustomerID, old.ID)}
	if old.State == herken.PromiseOpen {
		keys = append(keys, openIndexKeys(old)...)
	}
	ref, keep, err := movedRef(txn, promiseKey(old), old.CustomerID, back)
	if err != nil {
		return err
	}
	if err := deleteKeys(txn, keys...); err != nil {
		return err
	}
	if taken, err := exists(txn, promiseLocator(to, old.ID)); err != nil || taken {
		if err != nil {
			return err
		}
		return corrupt("promise id collision")
	}
	pr.CustomerID = to
	p := pr.Promise
	key := promiseKey(p)
	b, err := encodePromiseRecAs(txn, ref, keep, to, key, pr)
	if err != nil {
		return err
	}
	if err := txn.Set(key, b); err != nil {
		return err
	}
	if err := txn.Set(promiseLocator(to, p.ID), []byte(timeHex(p.DueTime))); err != nil {
		return err
	}
	if p.State == herken.PromiseOpen {
		for _, k := range openIndexKeys(p) {
			if err := txn.Set(k, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// UnmergeCustomer implements herken.Store.
func (s *Store) UnmergeCustomer(ctx context.Context, mergedID string, plan func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error), _ herken.WriteOptions) (herken.Customer, herken.Customer, error) {
	var outS, outM herken.Customer
	err := s.update(ctx, func(txn *tx) error {
		kind, m, err := lookupName(txn, mergedID)
		if err != nil {
			return err
		}
		switch kind {
		case nameErased:
			return herken.ErrCustomerErased
		case nameLive, nameUnknown:
			return herken.ErrCustomerNotMerged
		}
		sid := m.SurvivorID
		skind, sm, err := lookupName(txn, sid)
		if err != nil {
			return err
		}
		switch skind {
		case nameMerged:
			return herken.CustomerMerged(sm.target)
		case nameErased:
			return herken.ErrCustomerErased
		case nameUnknown:
			return corrupt("merge record names a survivor that does not exist")
		}
		sur, err := getCustomerRec(txn, sid)
		if err != nil {
			return err
		}
		nextS, nextM, err := plan(m.MergeRecord.Clone(), sur.Customer.Clone())
		if err != nil {
			return err
		}
		nextS.ID, nextM.ID = sid, mergedID
		srec := customerRec{Customer: nextS, count: sur.count, openPromises: sur.openPromises}
		mrec := customerRec{Customer: nextM}
		if err := moveBack(txn, m.MergeRecord, &srec, &mrec); err != nil {
			return err
		}
		// The survivor gives up what plan took from it first, so that an
		// exclusive identifier can go back to the merged customer.
		if err := relink(txn, sid, sur.Identifiers, nextS.Identifiers); err != nil {
			return err
		}
		for i, l := range nextM.Identifiers {
			if err := link(txn, mergedID, l.Identifier, i); err != nil {
				return err
			}
		}
		newest, err := newestContact(txn, sid)
		if err != nil {
			return err
		}
		srec.RecordContact(newest)
		if err := refreshRecent(txn, &srec); err != nil {
			return err
		}
		if err := refreshRecent(txn, &mrec); err != nil {
			return err
		}
		if err := reindexCustomer(txn, &sur.Customer, &srec.Customer); err != nil {
			return err
		}
		if err := reindexCustomer(txn, nil, &mrec.Customer); err != nil {
			return err
		}
		if err := repointBack(txn, sid, mergedID); err != nil {
			return err
		}
		if err := deleteKeys(txn, mergeKey(mergedID), targetKey(sid, mergedID)); err != nil {
			return err
		}
		if err := putCustomer(txn, srec); err != nil {
			return err
		}
		if err := putCustomer(txn, mrec); err != nil {
			return err
		}
		outS, outM = srec.Customer.Clone(), mrec.Customer.Clone()
		return nil
	})
	if err != nil {
		return herken.Customer{}, herken.Customer{}, tooBig(err, "the unmerge")
	}
	return outS, outM, nil
}

// moveBack moves the interactions and promises rec lists that the
// survivor still has back to the merged customer, and deletes the merge
// event, adjusting both records' counts.
func moveBack(txn *tx, rec herken.MergeRecord, srec, mrec *customerRec) error {
	sid, mid := srec.ID, mrec.ID
	for _, iid := range rec.Interactions {
		in, err := readInteraction(txn, sid, iid)
		if errors.Is(err, herken.ErrInteractionNotFound) {
			continue // purged by retention since
		}
		if err != nil {
			return err
		}
		if err := moveInteraction(txn, in, mid, true); err != nil {
			return err
		}
		srec.count--
		mrec.count++
		mrec.RecordContact(in)
	}
	for _, pid := range rec.Promises {
		pr, err := getPromiseRec(txn, sid, pid)
		if errors.Is(err, herken.ErrPromiseNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := movePromise(txn, pr, mid, true); err != nil {
			return err
		}
		if pr.State == herken.PromiseOpen {
			srec.openPromises--
			mrec.openPromises++
		}
	}
	if rec.EventID == "" {
		return nil
	}
	event, err := readInteraction(txn, sid, rec.EventID)
	if errors.Is(err, herken.ErrInteractionNotFound) {
		return nil // purged by retention since
	}
	if err != nil {
		return err
	}
	srec.count--
	return deleteKeys(txn, append(interactionIndexKeys(event), interactionKey(event), interactionLocator(sid, event.ID))...)
}

// newestContact is a customer's newest interaction that is a contact
// (Channel.IsContact); zero when it has none.
func newestContact(txn *tx, customerID string) (herken.Interaction, error) {
	prefix := historyPrefix(customerID)
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	io.PrefetchSize = 10
	it := txn.NewIterator(io)
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		var in herken.Interaction
		if err := it.Item().Value(func(v []byte) error {
			var derr error
			in, derr = decodeInteraction(txn, customerID, it.Item().Key(), v)
			return derr
		}); err != nil {
			return herken.Interaction{}, err
		}
		if in.Channel.IsContact() {
			return in, nil
		}
	}
	return herken.Interaction{}, nil
}

// repointBack points the names that resolve to survivorID through
// mergedID (their survivor links pass it) at mergedID again.
func repointBack(txn *tx, survivorID, mergedID string) error {
	keys := scanKeys(txn, targetPrefix(survivorID))
	recs := map[string]mergeRec{}
	read := func(id string) (mergeRec, error) {
		if m, ok := recs[id]; ok {
			return m, nil
		}
		m, err := getMerge(txn, id)
		if errors.Is(err, errNoMerge) {
			return m, corrupt("a merge chain names a missing merge record")
		}
		recs[id] = m
		return m, err
	}
	for _, k := range keys {
		x := lastPart(k)
		if x == mergedID {
			continue
		}
		through := false
		for cur, steps := x, 0; ; steps++ {
			if steps > len(keys) {
				return corrupt("merge records form a cycle")
			}
			m, err := read(cur)
			if err != nil {
				return err
			}
			if m.SurvivorID == mergedID {
				through = true
				break
			}
			if m.SurvivorID == survivorID {
				break
			}
			cur = m.SurvivorID
		}
		if through {
			if err := repoint(txn, x, survivorID, mergedID); err != nil {
				return err
			}
		}
	}
	return nil
}

// Merges implements herken.Store: the names that resolve to id's target
// (b/{target}/) whose merge record names id as the survivor.
func (s *Store) Merges(ctx context.Context, id string) ([]herken.MergeRecord, error) {
	var out []herken.MergeRecord
	err := s.view(ctx, func(txn *tx) error {
		out = out[:0] // run again after an erasure (Store.view)
		kind, m, err := lookupName(txn, id)
		if err != nil {
			return err
		}
		target := id
		switch kind {
		case nameMerged:
			target = m.target
		case nameErased:
			return herken.ErrCustomerErased
		case nameUnknown:
			return herken.ErrCustomerNotFound
		}
		for _, k := range scanKeys(txn, targetPrefix(target)) {
			r, err := getMerge(txn, lastPart(k))
			if errors.Is(err, errNoMerge) {
				return corrupt("merge target index names a missing merge record")
			}
			if err != nil {
				return err
			}
			if r.SurvivorID == id {
				out = append(out, r.MergeRecord.Clone())
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b herken.MergeRecord) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Merged.ID, b.Merged.ID))
	})
	return out, err
}
