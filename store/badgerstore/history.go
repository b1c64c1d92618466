package badgerstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"
)

// History listing, feedback and retention.
//
// One customer's history is read from h/{customer}/ (newest first): an end
// time becomes a seek to the first key older than it, a start time the
// point where the scan stops. Unanswered feedback across customers is read
// from f/ (oldest submission first) and retention from t/ (oldest contact
// first), so neither touches interactions it does not return or delete.

// purgeBatch is how many interactions one purge transaction deletes: small
// enough to stay far below Badger's transaction limits, large enough that
// a sweep of a big backlog is not dominated by commits.
const purgeBatch = 100

// errTxnFull aborts a purge transaction that hit badger.ErrTxnTooBig; the
// caller retries with the records that fitted.
type errTxnFull struct{ fitted int }

func (errTxnFull) Error() string { return "purge batch too big for one transaction" }

// maxKeyTime is the latest time a key can encode (int64 nanoseconds).
var maxKeyTime = time.Unix(0, math.MaxInt64)

// keyNanos clamps t to the nanoseconds keys can hold: 0 for times at or
// before 1970, MaxInt64 for times after 2262.
func keyNanos(t time.Time) int64 {
	switch {
	case !t.After(time.Unix(0, 0)):
		return 0
	case t.After(maxKeyTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// historySeek is the first key of h/{customer}/ holding an interaction that
// occurred before end (ids start with 16 hex digits of MaxInt64 - occur).
// end must be after 1970.
func historySeek(customerID string, end time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(math.MaxInt64-keyNanos(end)+1))
	return append(historyPrefix(customerID), hex.EncodeToString(b[:])...)
}

// timeStop is the first t/ key of an interaction that occurred at or after
// cutoff: a scan from t/ up to it reads exactly the older ones.
func timeStop(cutoff time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(keyNanos(cutoff)))
	return []byte(prefixTime + hex.EncodeToString(b[:]))
}

// ListInteractions implements herken.Store.
func (s *Store) ListInteractions(ctx context.Context, q herken.InteractionQuery) ([]herken.Interaction, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	start, _, err := s.openToken(q.PageToken, hash)
	if err != nil {
		return nil, "", err
	}
	var (
		out  []herken.Interaction
		next []byte
	)
	err = s.view(ctx, func(txn *tx) error {
		if q.CustomerID == "" {
			if !q.UnansweredFeedback {
				return corrupt("listing across customers without the unanswered feedback filter") // the service refuses it first
			}
			out, next, err = listUnanswered(txn, q, start)
			return err
		}
		if _, err := liveCustomerRec(txn, q.CustomerID); err != nil {
			return err
		}
		out, next, err = listHistory(txn, q, start)
		return err
	})
	if err != nil || next == nil {
		return out, "", err
	}
	return out, s.sealToken(hash, next, time.Time{}), nil
}

// listHistory pages through one customer's history, newest first. It seeks
// straight to the end of the time range and stops at its start, so the
// cost is the range, not the whole history. It returns the key to resume
// from, or nil at the end.
func listHistory(txn *tx, q herken.InteractionQuery, start []byte) ([]herken.Interaction, []byte, error) {
	prefix := historyPrefix(q.CustomerID)
	if !q.End.IsZero() && keyNanos(q.End) == 0 {
		return nil, nil, nil // nothing occurred before 1970
	}
	seek := start
	if seek == nil {
		seek = prefix
		if !q.End.IsZero() {
			seek = historySeek(q.CustomerID, q.End)
		}
	}
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	io.PrefetchSize = min(q.PageSize+1, 100)
	it := txn.NewIterator(io)
	defer it.Close()
	var out []herken.Interaction
	for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
		var in herken.Interaction
		if err := it.Item().Value(func(v []byte) error {
			var derr error
			in, derr = decodeInteraction(txn, q.CustomerID, it.Item().Key(), v)
			return derr
		}); err != nil {
			return nil, nil, err
		}
		if !q.Start.IsZero() && in.OccurTime.Before(q.Start) {
			break // newest first: the rest is older still
		}
		if !q.Matches(in) {
			continue
		}
		if len(out) == q.PageSize {
			return out, it.Item().KeyCopy(nil), nil
		}
		out = append(out, in)
	}
	return out, nil, nil
}

// listUnanswered pages through the feedback index of all customers, oldest
// submission first, applying q's other filters.
func listUnanswered(txn *tx, q herken.InteractionQuery, start []byte) ([]herken.Interaction, []byte, error) {
	prefix := []byte(prefixFeedback)
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	io.PrefetchValues = false
	it := txn.NewIterator(io)
	defer it.Close()
	var out []herken.Interaction
	for it.Seek(seekStart(start, prefix)); it.ValidForPrefix(prefix); it.Next() {
		cid, iid, ok := splitTail(it.Item().Key())
		if !ok {
			return nil, nil, corrupt("malformed feedback index key")
		}
		in, err := readInteraction(txn, cid, iid)
		if err != nil {
			if errors.Is(err, herken.ErrInteractionNotFound) {
				return nil, nil, corrupt("feedback index names a missing interaction")
			}
			return nil, nil, err
		}
		if !q.Matches(in) {
			continue
		}
		if len(out) == q.PageSize {
			return out, it.Item().KeyCopy(nil), nil
		}
		out = append(out, in)
	}
	return out, nil, nil
}

// locateInteraction returns the h/ key of an interaction, found through
// its j/ locator; ErrInteractionNotFound when absent or when an id could
// not be one.
func locateInteraction(txn *tx, customerID, interactionID string) ([]byte, error) {
	newest, err := interactionNewest(txn, customerID, interactionID)
	if err != nil {
		return nil, err
	}
	return historyKey(customerID, newest, interactionID), nil
}

// interactionNewest reads the {newest} part of an interaction's h/ key from
// its j/ locator.
func interactionNewest(txn *tx, customerID, interactionID string) (string, error) {
	if !herken.ValidID(customerID) || !herken.ValidID(interactionID) {
		return "", herken.ErrInteractionNotFound
	}
	item, err := txn.Get(interactionLocator(customerID, interactionID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return "", herken.ErrInteractionNotFound
	}
	if err != nil {
		return "", err
	}
	newest, err := item.ValueCopy(nil)
	return string(newest), err
}

// readInteraction reads one interaction by id; ErrInteractionNotFound when
// absent or when an id could not be one.
func readInteraction(txn *tx, customerID, interactionID string) (herken.Interaction, error) {
	key, err := locateInteraction(txn, customerID, interactionID)
	if err != nil {
		return herken.Interaction{}, err
	}
	return readInteractionAt(txn, customerID, key)
}

// readInteractionAt reads the interaction record of customerID at an h/
// key.
func readInteractionAt(txn *tx, customerID string, key []byte) (herken.Interaction, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return herken.Interaction{}, corrupt("interaction locator names a missing record")
	}
	if err != nil {
		return herken.Interaction{}, err
	}
	var in herken.Interaction
	err = item.Value(func(v []byte) error {
		var derr error
		in, derr = decodeInteraction(txn, customerID, key, v)
		return derr
	})
	return in, err
}

// UpdateInteraction implements herken.Store. The id, customer and occur
// time are fixed (they are the keys); putInteraction moves the feedback
// index entry with the feedback's state.
func (s *Store) UpdateInteraction(ctx context.Context, customerID, interactionID string, fn func(in *herken.Interaction) error, _ herken.WriteOptions) (herken.Interaction, error) {
	var out herken.Interaction
	err := s.update(ctx, func(txn *tx) error {
		old, err := readInteraction(txn, customerID, interactionID)
		if err != nil {
			return notLiveOr(txn, customerID, err)
		}
		in := old
		if old.Feedback != nil {
			fb := *old.Feedback // fn must not reach the stored copy
			in.Feedback = &fb
		}
		if err := fn(&in); err != nil {
			return err
		}
		in.ID, in.CustomerID, in.OccurTime = old.ID, old.CustomerID, old.OccurTime
		if err := putInteraction(txn, &old, in); err != nil {
			return err
		}
		out = in
		// Keep the customer's recent copy of it in step.
		c, err := getCustomerRec(txn, customerID)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(c.recent, func(r herken.Interaction) bool { return r.ID == in.ID }); i >= 0 {
			c.recent[i] = in
			return putCustomer(txn, c)
		}
		return nil
	})
	return out, err
}

// PurgeInteractions implements herken.Store. It reads the t/ index oldest
// first and deletes each interaction with its index entries, purgeBatch per
// transaction (fewer when Badger finds a batch too big), so a sweep of any
// size never holds one huge transaction. Customers' last contact is kept.
func (s *Store) PurgeInteractions(ctx context.Context, cutoff time.Time, limit int, _ herken.WriteOptions) (int, bool, error) {
	stop := timeStop(cutoff)
	n, batch := 0, purgeBatch
	for n < limit {
		want := min(batch, limit-n)
		var purged, scanned int
		err := s.update(ctx, func(txn *tx) error {
			purged, scanned = 0, 0
			keys, err := keysBefore(txn, prefixTime, stop, want)
			if err != nil {
				return err
			}
			scanned = len(keys)
			touched := map[string]int{}
			for i, k := range keys {
				cid, ok, err := purgeOne(txn, k)
				if errors.Is(err, badger.ErrTxnTooBig) {
					return errTxnFull{fitted: i}
				}
				if err != nil {
					return err
				}
				if ok {
					purged++
					touched[cid]++
				}
			}
			err = settlePurged(txn, touched)
			if errors.Is(err, badger.ErrTxnTooBig) {
				// The customers' summaries did not fit beside the deletions:
				// retry with half the batch.
				return errTxnFull{fitted: len(keys) / 2}
			}
			return err
		})
		var full errTxnFull
		if errors.As(err, &full) {
			if full.fitted == 0 {
				return n, true, corrupt("one interaction does not fit in a transaction")
			}
			batch = full.fitted // nothing was written: retry with what fits
			continue
		}
		if err != nil {
			return n, true, err
		}
		n += purged
		if scanned < want {
			return n, false, nil
		}
	}
	more := false
	err := s.view(ctx, func(txn *tx) error {
		keys, err := keysBefore(txn, prefixTime, stop, 1)
		more = len(keys) > 0
		return err
	})
	return n, more, err
}

// keysBefore returns up to limit keys under prefix that sort before stop,
// in key order (t/ oldest first for retention, v/ for the audit sweeper).
func keysBefore(txn *tx, prefix string, stop []byte, limit int) ([][]byte, error) {
	io := badger.DefaultIteratorOptions
	io.Prefix = []byte(prefix)
	io.PrefetchValues = false
	it := txn.NewIterator(io)
	defer it.Close()
	var keys [][]byte
	for it.Seek(io.Prefix); it.ValidForPrefix(io.Prefix) && len(keys) < limit; it.Next() {
		if bytes.Compare(it.Item().Key(), stop) >= 0 {
			break
		}
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys, nil
}

// purgeOne deletes the interaction a t/ key names, with its index entries.
// It reports false for a t/ entry whose interaction is gone (which it
// deletes too, so a sweep never sticks on it).
func purgeOne(txn *tx, key []byte) (string, bool, error) {
	cid, iid, ok := splitTail(key)
	if !ok {
		return "", false, corrupt("malformed time index key")
	}
	in, err := readInteraction(txn, cid, iid)
	if errors.Is(err, herken.ErrInteractionNotFound) {
		return cid, false, txn.Delete(key)
	}
	if err != nil {
		return cid, false, err
	}
	if !bytes.Equal(timeKey(in), key) {
		return cid, false, corrupt("time index entry disagrees with its interaction")
	}
	for _, k := range append(interactionIndexKeys(in), interactionKey(in), interactionLocator(cid, iid)) {
		if err := txn.Delete(k); err != nil {
			return cid, false, err
		}
	}
	return cid, true, nil
}

// settlePurged brings the summaries of customers who lost interactions in
// this transaction up to date: the count, and the recent copies (reloaded,
// since a purged interaction may have been one of them).
func settlePurged(txn *tx, purged map[string]int) error {
	for cid, n := range purged {
		c, err := getCustomerRec(txn, cid)
		if errors.Is(err, herken.ErrCustomerNotFound) {
			continue // orphaned history; the integrity check reports it
		}
		if err != nil {
			return err
		}
		c.count -= int64(n)
		if err := refreshRecent(txn, &c); err != nil {
			return err
		}
		if err := putCustomer(txn, c); err != nil {
			return err
		}
	}
	return nil
}
