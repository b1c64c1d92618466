package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/store/badgerstore/internal/recordpb"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// AppendInteraction implements herken.Store.
func (s *Store) AppendInteraction(ctx context.Context, t herken.Target, in herken.Interaction, w herken.WriteOptions) (herken.Interaction, error) {
	idem := w.Idempotency
	var out herken.Interaction
	err := s.update(ctx, func(txn *tx) error {
		prior, err := checkRequest(txn, idem)
		if err != nil {
			return err
		}
		if prior != "" {
			cid, iid, _ := strings.Cut(prior, "/")
			cid = followName(txn, cid) // moved by a merge since
			if _, err := liveCustomerRec(txn, cid); err != nil {
				return err
			}
			out, err = readInteraction(txn, cid, iid)
			if errors.Is(err, herken.ErrInteractionNotFound) {
				// Retention purged what the first call recorded.
				e := *herken.ErrInteractionNotFound
				e.Message = "the interaction this request_id recorded was purged by history retention"
				return &e
			}
			return err
		}
		c, err := targetCustomer(txn, t)
		if err != nil {
			return err
		}
		cid := c.ID
		rec, err := appendInteraction(txn, &c, in)
		if err != nil {
			return err
		}
		out = rec
		// The occur time lets herken check tell a retry's purged
		// interaction from a lost one (ids are opaque).
		return putRequestRecord(txn, idem, &recordpb.RequestRecord{ResultId: cid + "/" + rec.ID, InteractionOccurTime: unixNano(rec.OccurTime)})
	})
	return out, err
}

// resolveTarget finds the customer id a write addresses.
func resolveTarget(txn *tx, t herken.Target) (string, error) {
	if t.CustomerID != "" {
		if !herken.ValidID(t.CustomerID) {
			return "", herken.ErrCustomerNotFound
		}
		return t.CustomerID, nil
	}
	hs, err := holders(txn, t.Identifier)
	if err != nil {
		return "", err
	}
	return herken.TargetHolder(hs)
}

// targetCustomer reads the record of the customer a write addresses. A
// customer found through the index must exist: if not, the index is
// corrupt (INTERNAL), not the request wrong.
func targetCustomer(txn *tx, t herken.Target) (customerRec, error) {
	cid, err := resolveTarget(txn, t)
	if err != nil {
		return customerRec{}, err
	}
	c, err := getCustomerRec(txn, cid)
	if errors.Is(err, herken.ErrCustomerNotFound) {
		if t.CustomerID == "" {
			return customerRec{}, corrupt("identifier index names a missing customer")
		}
		return customerRec{}, missingCustomer(txn, cid)
	}
	return c, err
}

// appendInteraction writes in to c's history (assigning its id), updates
// c's summary (recent copies, count, last contact) and stores c. Every new
// interaction goes through here, so the indexes and summaries stay complete.
func appendInteraction(txn *tx, c *customerRec, in herken.Interaction) (herken.Interaction, error) {
	rec := in
	rec.CustomerID = c.ID
	if !herken.ValidID(rec.ID) {
		return rec, corrupt("interaction id has the wrong shape")
	}
	if _, err := txn.Get(interactionLocator(c.ID, rec.ID)); !errors.Is(err, badger.ErrKeyNotFound) {
		if err == nil {
			return rec, corrupt("interaction id collision")
		}
		return rec, err
	}
	if err := putInteraction(txn, nil, rec); err != nil {
		return rec, err
	}
	c.count++
	c.recent = insertRecent(c.recent, rec)
	c.RecordContact(rec)
	return rec, putCustomer(txn, *c)
}

// insertRecent adds in to the newest-first copies, in h/ key order
// (herken.NewestFirst), keeping at most recentInline.
func insertRecent(recent []herken.Interaction, in herken.Interaction) []herken.Interaction {
	i, _ := slices.BinarySearchFunc(recent, in, herken.NewestFirst)
	if i >= recentInline {
		return recent
	}
	recent = slices.Insert(recent, i, in)
	if len(recent) > recentInline {
		recent = recent[:recentInline]
	}
	return recent
}

// refreshRecent reloads c's recent copies from h/{c}/: after a deletion
// took one of them away.
func refreshRecent(txn *tx, c *customerRec) error {
	recent, _, err := recentHistory(txn, c.ID, herken.MatchOptions{HistoryLimit: recentInline})
	c.recent = recent
	return err
}

// putInteraction stores an interaction record, new or updated, and keeps
// its index entries in step: t/ for every interaction, f/ while its
// feedback awaits an answer. old is the stored version the caller read in
// this transaction (nil for a new interaction); its index entries are
// replaced, so no caller leaves a stale one behind.
func putInteraction(txn *tx, old *herken.Interaction, in herken.Interaction) error {
	var ref shred.Ref
	keep := false
	if old != nil {
		// An update keeps the key the stored version is sealed under.
		var err error
		if ref, keep, err = txn.keptRef(interactionKey(*old)); err != nil {
			return err
		}
	}
	return putInteractionAs(txn, old, in, ref, keep)
}

// putInteractionAs is putInteraction sealing under ref when keep is set:
// a moved record keeps its origin's key (tx.keptRef).
func putInteractionAs(txn *tx, old *herken.Interaction, in herken.Interaction, ref shred.Ref, keep bool) error {
	var oldKeys [][]byte
	if old != nil {
		oldKeys = interactionIndexKeys(*old)
	}
	newKeys := interactionIndexKeys(in)
	for _, k := range oldKeys {
		if !containsKey(newKeys, k) {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
	}
	key := interactionKey(in)
	b, err := encodeInteractionAs(txn, ref, keep, in.CustomerID, key, in)
	if err != nil {
		return err
	}
	if err := txn.Set(key, b); err != nil {
		return err
	}
	if old == nil {
		if err := txn.Set(interactionLocator(in.CustomerID, in.ID), []byte(newestHex(in.OccurTime))); err != nil {
			return err
		}
	}
	for _, k := range newKeys {
		if !containsKey(oldKeys, k) {
			if err := txn.Set(k, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// interactionIndexKeys are the index entries in needs: its t/ entry, and its
// f/ entry while it has feedback nobody answered.
func interactionIndexKeys(in herken.Interaction) [][]byte {
	keys := [][]byte{timeKey(in)}
	if in.Feedback != nil && !in.Feedback.Answered() {
		keys = append(keys, feedbackKey(in))
	}
	return keys
}

func containsKey(keys [][]byte, k []byte) bool {
	for _, x := range keys {
		if bytes.Equal(x, k) {
			return true
		}
	}
	return false
}
