package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// CreatePromise implements herken.Store.
func (s *Store) CreatePromise(ctx context.Context, t herken.Target, p herken.Promise, w herken.WriteOptions) (herken.Promise, error) {
	if !herken.ValidID(p.ID) {
		return herken.Promise{}, corrupt("promise id has the wrong shape")
	}
	idem := w.Idempotency
	var out herken.Promise
	err := s.update(ctx, func(txn *tx) error {
		prior, err := checkRequest(txn, idem)
		if err != nil {
			return err
		}
		if prior != "" {
			cid, pid, _ := strings.Cut(prior, "/")
			cid = followName(txn, cid) // moved by a merge since
			if _, err := liveCustomerRec(txn, cid); err != nil {
				return err
			}
			out, err = getPromise(txn, cid, pid)
			return err
		}
		c, err := targetCustomer(txn, t)
		if err != nil {
			return err
		}
		cid := c.ID
		rec := promiseRec{Promise: p}
		rec.CustomerID = cid
		if p.InteractionID != "" {
			if rec.interactionOccur, err = interactionOccur(txn, cid, p.InteractionID); err != nil {
				return err
			}
		}
		if _, err := txn.Get(promiseLocator(cid, rec.ID)); !errors.Is(err, badger.ErrKeyNotFound) {
			if err == nil {
				return corrupt("promise id collision")
			}
			return err
		}
		if err := putPromise(txn, &c, nil, rec); err != nil {
			return err
		}
		out = rec.Promise
		return putRequest(txn, idem, cid+"/"+rec.ID)
	})
	return out, err
}

// interactionOccur is the occur time of one of a customer's interactions,
// read from the {newest} part its j/ locator holds (zero if that is not
// one); ErrInteractionNotFound when there is no such interaction.
func interactionOccur(txn *tx, customerID, interactionID string) (time.Time, error) {
	newest, err := interactionNewest(txn, customerID, interactionID)
	if err != nil {
		return time.Time{}, err
	}
	t, _ := newestTime(newest)
	return t, nil
}

// updatedRec is old's record with the promise changed to p: the copied
// occur time stays unless p names another interaction, whose time is then
// read (zero, unknown, when that name finds nothing).
func updatedRec(txn *tx, old promiseRec, p herken.Promise) (promiseRec, error) {
	rec := promiseRec{Promise: p, interactionOccur: old.interactionOccur}
	if p.InteractionID == old.InteractionID {
		return rec, nil
	}
	rec.interactionOccur = time.Time{}
	if p.InteractionID == "" {
		return rec, nil
	}
	t, err := interactionOccur(txn, p.CustomerID, p.InteractionID)
	if err != nil && !errors.Is(err, herken.ErrInteractionNotFound) {
		return rec, err
	}
	rec.interactionOccur = t
	return rec, nil
}

// putPromise stores p and moves its keys from old's (nil for a new
// promise) to p's: the record and its locator follow the due time, the
// open-promise index entries the state, owner and due time. When p opens
// or closes it counts that in c (the promise's customer) and stores c.
func putPromise(txn *tx, c *customerRec, old *promiseRec, pr promiseRec) error {
	p := pr.Promise
	wasOpen := old != nil && old.State == herken.PromiseOpen
	if wasOpen {
		for _, k := range openIndexKeys(old.Promise) {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
	}
	// An update keeps the key the stored version is sealed under.
	var ref shred.Ref
	keep := false
	if old != nil {
		var err error
		if ref, keep, err = txn.keptRef(promiseKey(old.Promise)); err != nil {
			return err
		}
	}
	if old != nil && !old.DueTime.Equal(p.DueTime) {
		if err := txn.Delete(promiseKey(old.Promise)); err != nil {
			return err
		}
	}
	key := promiseKey(p)
	b, err := encodePromiseRecAs(txn, ref, keep, p.CustomerID, key, pr)
	if err != nil {
		return err
	}
	if err := txn.Set(key, b); err != nil {
		return err
	}
	if err := txn.Set(promiseLocator(p.CustomerID, p.ID), []byte(timeHex(p.DueTime))); err != nil {
		return err
	}
	isOpen := p.State == herken.PromiseOpen
	if isOpen {
		for _, k := range openIndexKeys(p) {
			if err := txn.Set(k, nil); err != nil {
				return err
			}
		}
	}
	if wasOpen == isOpen {
		return nil
	}
	if isOpen {
		c.openPromises++
	} else {
		c.openPromises--
	}
	return putCustomer(txn, *c)
}

func openIndexKeys(p herken.Promise) [][]byte {
	keys := [][]byte{openKey(p), dueKey(p)}
	if p.Owner != "" {
		keys = append(keys, ownerKey(p))
	}
	return keys
}

// getPromise reads one promise by id, through its q/ locator.
func getPromise(txn *tx, customerID, promiseID string) (herken.Promise, error) {
	pr, err := getPromiseRec(txn, customerID, promiseID)
	return pr.Promise, err
}

// getPromiseRec is getPromise with what the store keeps beside the promise.
func getPromiseRec(txn *tx, customerID, promiseID string) (promiseRec, error) {
	if !herken.ValidID(customerID) || !herken.ValidID(promiseID) {
		return promiseRec{}, herken.ErrPromiseNotFound
	}
	item, err := txn.Get(promiseLocator(customerID, promiseID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return promiseRec{}, herken.ErrPromiseNotFound
	}
	if err != nil {
		return promiseRec{}, err
	}
	due, err := item.ValueCopy(nil)
	if err != nil {
		return promiseRec{}, err
	}
	return getPromiseRecAt(txn, customerID, promiseKeyAt(customerID, string(due), promiseID))
}

// getPromiseAt reads the promise record of customerID at a p/ key.
func getPromiseAt(txn *tx, customerID string, key []byte) (herken.Promise, error) {
	pr, err := getPromiseRecAt(txn, customerID, key)
	return pr.Promise, err
}

func getPromiseRecAt(txn *tx, customerID string, key []byte) (promiseRec, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return promiseRec{}, corrupt("promise index names a missing record")
	}
	if err != nil {
		return promiseRec{}, err
	}
	var p promiseRec
	err = item.Value(func(v []byte) error {
		var derr error
		p, derr = decodePromiseRec(txn, customerID, key, v)
		return derr
	})
	return p, err
}

// GetPromise implements herken.Store.
func (s *Store) GetPromise(ctx context.Context, customerID, promiseID string) (herken.Promise, error) {
	var p herken.Promise
	err := s.view(ctx, func(txn *tx) error {
		var err error
		p, err = getPromise(txn, customerID, promiseID)
		return notLiveOr(txn, customerID, err)
	})
	return p, err
}

// UpdatePromise implements herken.Store.
func (s *Store) UpdatePromise(ctx context.Context, customerID, promiseID string, fn func(p *herken.Promise) error, _ herken.WriteOptions) (herken.Promise, error) {
	var out herken.Promise
	err := s.update(ctx, func(txn *tx) error {
		old, err := getPromiseRec(txn, customerID, promiseID)
		if err != nil {
			return notLiveOr(txn, customerID, err)
		}
		p := old.Promise
		if err := fn(&p); err != nil {
			return err
		}
		p.ID, p.CustomerID = old.ID, old.CustomerID // the promise's identity
		rec, err := updatedRec(txn, old, p)
		if err != nil {
			return err
		}
		c, err := getCustomerRec(txn, customerID)
		if err != nil {
			return err
		}
		if err := putPromise(txn, &c, &old, rec); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, err
}

// ListPromises implements herken.Store.
func (s *Store) ListPromises(ctx context.Context, q herken.PromiseQuery) ([]herken.Promise, string, error) {
	hash := q.Fingerprint()
	start, asOf, err := s.openToken(q.PageToken, hash)
	if err != nil {
		return nil, "", err
	}
	if !q.OverdueAt.IsZero() {
		// Overdue as of the first page, so every page belongs to one list.
		if !asOf.IsZero() {
			q.OverdueAt = asOf
		}
		if q.DueBefore.IsZero() || q.OverdueAt.Before(q.DueBefore) {
			q.DueBefore = q.OverdueAt
		}
		q.State = herken.PromiseOpen
	}
	var (
		out  []herken.Promise
		next []byte
	)
	err = s.view(ctx, func(txn *tx) error {
		if q.CustomerID != "" {
			if _, err := liveCustomerRec(txn, q.CustomerID); err != nil {
				return err
			}
			out, next, err = listCustomerPromises(txn, q, start)
			return err
		}
		out, next, err = listOpenPromises(txn, q, start)
		return err
	})
	if err != nil || next == nil {
		return out, "", err
	}
	return out, s.sealToken(hash, next, q.OverdueAt), nil
}

// listCustomerPromises pages through one customer's promises (by due time)
// with q's filters. It returns the key to resume from, or nil at the end.
func listCustomerPromises(txn *tx, q herken.PromiseQuery, start []byte) ([]herken.Promise, []byte, error) {
	prefix := promisePrefix(q.CustomerID)
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	it := txn.NewIterator(io)
	defer it.Close()
	var out []herken.Promise
	for it.Seek(seekStart(start, prefix)); it.ValidForPrefix(prefix); it.Next() {
		var p herken.Promise
		if err := it.Item().Value(func(v []byte) error {
			var derr error
			p, derr = decodePromise(txn, q.CustomerID, it.Item().Key(), v)
			return derr
		}); err != nil {
			return nil, nil, err
		}
		if !q.DueBefore.IsZero() && !p.DueTime.Before(q.DueBefore) {
			break // by due time: the rest is later still
		}
		if q.State != herken.PromiseStateUnspecified && p.State != q.State || q.Owner != "" && p.Owner != q.Owner {
			continue
		}
		if len(out) == q.PageSize {
			return out, it.Item().KeyCopy(nil), nil
		}
		out = append(out, p)
	}
	return out, nil, nil
}

// listOpenPromises pages through the OPEN promises of all customers from
// the due index (or the owner index), so the cost is the page, not the base.
func listOpenPromises(txn *tx, q herken.PromiseQuery, start []byte) ([]herken.Promise, []byte, error) {
	prefix := []byte(prefixDue)
	if q.Owner != "" {
		prefix = ownerPrefix(q.Owner)
	}
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	io.PrefetchValues = false
	it := txn.NewIterator(io)
	defer it.Close()
	var out []herken.Promise
	names := map[string]string{}
	for it.Seek(seekStart(start, prefix)); it.ValidForPrefix(prefix); it.Next() {
		key := it.Item().Key()
		parts := tail(key, 3) // {due}/{customer}/{promise}
		if parts == nil {
			return nil, nil, corrupt("malformed promise index key")
		}
		cid := parts[1]
		p, err := getPromiseAt(txn, cid, promiseKeyAt(cid, parts[0], parts[2]))
		if err != nil {
			return nil, nil, err
		}
		if !q.DueBefore.IsZero() && !p.DueTime.Before(q.DueBefore) {
			break
		}
		if len(out) == q.PageSize {
			return out, it.Item().KeyCopy(nil), nil
		}
		name, ok := names[cid]
		if !ok {
			c, err := getCustomer(txn, cid)
			if err != nil {
				return nil, nil, err
			}
			name, names[cid] = c.DisplayName, c.DisplayName
		}
		p.CustomerDisplayName = name
		out = append(out, p)
	}
	return out, nil, nil
}

// BreakOverdue implements herken.Store.
func (s *Store) BreakOverdue(ctx context.Context, dueBefore time.Time, limit int, broken func(p herken.Promise) (herken.Promise, herken.Interaction, bool), _ herken.WriteOptions) (int, bool, error) {
	type ref struct{ cid, pid string }
	var (
		refs []ref
		more bool
	)
	err := s.view(ctx, func(txn *tx) error {
		io := badger.DefaultIteratorOptions
		io.Prefix = []byte(prefixDue)
		io.PrefetchValues = false
		it := txn.NewIterator(io)
		defer it.Close()
		stop := []byte(prefixDue + timeHex(dueBefore))
		for it.Seek(io.Prefix); it.ValidForPrefix(io.Prefix) && bytes.Compare(it.Item().Key(), stop) < 0; it.Next() {
			if len(refs) == limit {
				more = true
				break
			}
			cid, pid, ok := splitTail(it.Item().Key())
			if !ok {
				return corrupt("malformed promise index key")
			}
			refs = append(refs, ref{cid, pid})
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	n := 0
	for _, r := range refs {
		err := s.update(ctx, func(txn *tx) error {
			p, err := getPromiseRec(txn, r.cid, r.pid)
			if errors.Is(err, herken.ErrPromiseNotFound) {
				return errSkip
			}
			if err != nil {
				return err
			}
			// broken re-checks the promise as stored now: an agent may
			// have kept it since the scan.
			np, event, ok := broken(p.Promise)
			if !ok {
				return errSkip
			}
			c, err := getCustomerRec(txn, r.cid)
			if err != nil {
				return err
			}
			np.ID, np.CustomerID = p.ID, p.CustomerID
			rec, err := updatedRec(txn, p, np)
			if err != nil {
				return err
			}
			if err := putPromise(txn, &c, &p, rec); err != nil {
				return err
			}
			_, err = appendInteraction(txn, &c, event)
			return err
		})
		switch {
		case err == nil:
			n++
		case errors.Is(err, errSkip):
		default:
			return n, true, err
		}
	}
	return n, more, nil
}

// errSkip aborts a transaction that found nothing to do.
var errSkip = errors.New("skip")

// seekStart is where a page scan starts: the token's key, or the prefix.
func seekStart(start, prefix []byte) []byte {
	if start != nil {
		return start
	}
	return prefix
}
