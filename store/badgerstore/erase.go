package badgerstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/store/badgerstore/internal/recordpb"
	"github.com/herken/herken/store/badgerstore/internal/shred"
	"google.golang.org/protobuf/proto"
)

// Erasure. EraseCustomer deletes, in one transaction, everything of a live
// customer and of every name merged into it (all of them are in
// b/{customer}/, the flat pointers): records, history, promises, identifier
// links, list-index entries, merge records, the request records naming
// them (found through y/), and every cross-customer index entry (t/ f/ d/
// o/). It writes a tombstone (e/) per erased id and a journal entry (k/).
//
// The same transaction limit as a merge applies (merge.go): erasing costs
// three deletions per interaction (four with unanswered feedback) and
// two to five per promise, and the count of writes is what binds:
// measured, a customer with up to about 17,400 interactions is erased at
// once, whatever their size (TestTransactionLimits); one with more is
// refused with RESOURCE_EXHAUSTED / TOO_MANY_VALUES, nothing changed.
//
// What the deletions do not do by themselves is remove the old values from
// Badger's files: a deleted key's earlier versions stay in the value log,
// the write-ahead log and older tables until compaction and garbage
// collection drop them. That is what per-customer sealing is for
// (sealing.go): the transaction also deletes every erased id's x/ record
// and keeps its ref in the e/ tombstone; once it has committed, every one
// of those keys is destroyed in place in the key file, and only then does
// EraseCustomer return. A crash in between leaves the refs in the
// tombstones, and the next open destroys them before it serves
// (replayDestroys). Destroying first would lose a live customer's data if
// the commit then failed.

// EraseCustomer implements herken.Store.
func (s *Store) EraseCustomer(ctx context.Context, id string, at time.Time, _ herken.WriteOptions) ([]string, error) {
	var ids []string
	var refs []shred.Ref
	err := s.update(ctx, func(txn *tx) error {
		refs = refs[:0]
		c, err := liveCustomerRec(txn, id)
		if err != nil {
			return err
		}
		ids = []string{id}
		merged := scanKeys(txn, targetPrefix(id))
		for _, k := range merged {
			ids = append(ids, lastPart(k))
		}
		if err := eraseLive(txn, c); err != nil {
			return err
		}
		for _, k := range merged {
			mid := lastPart(k)
			if err := deleteKeys(txn, mergeKey(mid), k); err != nil {
				return err
			}
			// A merged name owns nothing (the merge moved it all); its
			// keys are cleared all the same, should anything be left.
			if err := eraseOwned(txn, mid); err != nil {
				return err
			}
		}
		for _, e := range ids {
			if err := eraseRequests(txn, e); err != nil {
				return err
			}
			// The tombstone keeps the ref (no personal data) until the key
			// is destroyed.
			var pending []byte
			if r, ok, err := txn.readRef(e); err != nil {
				return err
			} else if ok {
				refs = append(refs, r)
				pending, _ = r.AppendBinary(nil)
				if err := txn.Delete(keyRefKey(e)); err != nil {
					return err
				}
			}
			if err := txn.Set(erasedKey(e), pending); err != nil {
				return err
			}
			if err := txn.Set(journalKey(at, e), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, tooBig(err, "the erasure")
	}
	for _, r := range refs {
		if err := s.keys.Destroy(r); err != nil {
			return nil, &herken.Error{Code: herken.CodeUnavailable, Reason: herken.ReasonStoreUnavailable,
				Message: "the customer was erased, but its data key could not be destroyed yet; it is destroyed when the store is next opened",
				Err:     err}
		}
	}
	if len(refs) > 0 {
		if err := s.clearPending(ctx, ids); err != nil {
			// Harmless: the next open destroys them again (a no-op) and
			// clears the refs then.
			s.log.Warn("could not clear an erasure's destroyed key refs", "error", err)
		}
	}
	return ids, nil
}

// eraseLive deletes a live customer's record, identifier links, list-index
// entries, history and promises.
func eraseLive(txn *tx, c customerRec) error {
	for _, l := range c.Identifiers {
		if err := unlink(txn, c.ID, l.Identifier); err != nil {
			return err
		}
	}
	if err := reindexCustomer(txn, &c.Customer, nil); err != nil {
		return err
	}
	if err := txn.Delete(customerKey(c.ID)); err != nil {
		return err
	}
	return eraseOwned(txn, c.ID)
}

// eraseOwned deletes a customer's interactions and promises with their
// locators and index entries.
func eraseOwned(txn *tx, id string) error {
	ins, err := allInteractions(txn, id)
	if err != nil {
		return err
	}
	for _, in := range ins {
		if err := deleteKeys(txn, append(interactionIndexKeys(in), interactionKey(in), interactionLocator(id, in.ID))...); err != nil {
			return err
		}
	}
	prefix := promisePrefix(id)
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	it := txn.NewIterator(io)
	var keys [][]byte
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		var p herken.Promise
		if err := it.Item().Value(func(v []byte) error {
			var derr error
			p, derr = decodePromise(txn, id, it.Item().Key(), v)
			return derr
		}); err != nil {
			it.Close()
			return err
		}
		p.CustomerID = id
		keys = append(keys, it.Item().KeyCopy(nil), promiseLocator(id, p.ID))
		if p.State == herken.PromiseOpen {
			keys = append(keys, openIndexKeys(p)...)
		}
	}
	it.Close()
	return deleteKeys(txn, keys...)
}

// eraseRequests deletes the request records naming id (y/{id}/) and
// their y/ entries.
func eraseRequests(txn *tx, id string) error {
	for _, k := range scanKeys(txn, requestIndexPrefix(id)) {
		rid := string(k[len(requestIndexPrefix(id)):])
		names, err := requestNames(txn, rid, id)
		if err != nil {
			return err
		}
		if names {
			if err := txn.Delete(requestKey(rid)); err != nil {
				return err
			}
		}
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// requestNames reports whether the request record r/{requestID} names
// customerID (its result id's customer part). A record that does not
// decode names nobody we can tell, and is left for herken check.
func requestNames(txn *tx, requestID, customerID string) (bool, error) {
	item, err := txn.Get(requestKey(requestID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var cid string
	err = item.Value(func(v []byte) error {
		cid, _ = requestCustomer(v)
		return nil
	})
	return cid == customerID, err
}

// requestCustomer is the customer a request record names (its result
// id's customer part); false when the record does not decode.
func requestCustomer(v []byte) (string, bool) {
	var r recordpb.RequestRecord
	if err := proto.Unmarshal(v, &r); err != nil {
		return "", false
	}
	cid, _, _ := strings.Cut(r.ResultId, "/")
	return cid, true
}

// Erasures implements herken.Store: a scan of k/ from since.
func (s *Store) Erasures(ctx context.Context, since time.Time, limit int) ([]herken.Erasure, error) {
	var out []herken.Erasure
	if limit <= 0 {
		return nil, nil
	}
	err := s.view(ctx, func(txn *tx) error {
		io := badger.DefaultIteratorOptions
		io.Prefix, io.PrefetchValues = []byte(prefixJournal), false
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Seek([]byte(prefixJournal + timeHex(since))); it.ValidForPrefix(io.Prefix) && len(out) < limit; it.Next() {
			parts := tail(it.Item().Key(), 2) // {erase}/{customer}
			at, ok := hexTime(parts)
			if !ok {
				return corrupt("malformed erasure journal key")
			}
			out = append(out, herken.Erasure{CustomerID: parts[1], Time: at})
		}
		return nil
	})
	return out, err
}

// hexTime reads the {time} part of a key split by tail (parts[0]).
func hexTime(parts []string) (time.Time, bool) {
	if len(parts) == 0 || !isTimeHex(parts[0]) {
		return time.Time{}, false
	}
	var n int64
	for _, c := range parts[0] {
		d := int64(strings.IndexRune("0123456789abcdef", c))
		n = n<<4 | d
	}
	return fromUnixNano(n), true
}
