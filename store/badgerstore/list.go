package badgerstore

import (
	"context"
	"errors"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"
)

// ListCustomers implements herken.Store. One index drives the scan, in
// the list's order, and herken.CustomerQuery.Matches decides on the rest
// of the filters:
//   - a name prefix: s/ under its indexed part (herken.IndexedPrefix), by id;
//   - by update time (updated-since, no name prefix): w/{tag}/ with a tag,
//     else u/, both from the updated-since time;
//   - a tag: a/{tag}/, by id;
//   - nothing: c/ itself, by id (every customer is what was asked for).
//
// The page token holds the driving index's key of the next page's first
// customer.
func (s *Store) ListCustomers(ctx context.Context, q herken.CustomerQuery) ([]herken.Customer, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	start, _, err := s.openToken(q.PageToken, hash)
	if err != nil {
		return nil, "", err
	}
	var prefix, seek []byte
	switch {
	case q.NamePrefix != "":
		prefix = s.namePrefixKey(herken.IndexedPrefix(q.NamePrefix), "")
	case q.ByUpdateTime() && q.Tag != "":
		prefix = tagTimePrefix(q.Tag)
		seek = append(tagTimePrefix(q.Tag), timeHex(q.UpdatedSince)...)
	case q.ByUpdateTime():
		prefix = []byte(prefixUpdate)
		seek = []byte(prefixUpdate + timeHex(q.UpdatedSince))
	case q.Tag != "":
		prefix = tagPrefix(q.Tag)
	default:
		prefix = []byte(prefixCustomer)
	}
	if seek == nil {
		seek = prefix
	}
	if start != nil {
		seek = start
	}
	var (
		out  []herken.Customer
		next []byte
	)
	err = s.view(ctx, func(txn *tx) error {
		out, next, err = listCustomers(txn, q, prefix, seek)
		return err
	})
	if err != nil || next == nil {
		return out, "", err
	}
	return out, s.sealToken(hash, next, time.Time{}), nil
}

// listCustomers scans the index under prefix from seek: each key ends in
// a customer id (c/ keys are that id), whose record q.Matches decides on.
// It returns the key to resume from, or nil at the end.
func listCustomers(txn *tx, q herken.CustomerQuery, prefix, seek []byte) ([]herken.Customer, []byte, error) {
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	io.PrefetchValues = string(prefix) == prefixCustomer
	io.PrefetchSize = min(q.PageSize+1, 100)
	it := txn.NewIterator(io)
	defer it.Close()
	var out []herken.Customer
	for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
		cid := lastPart(it.Item().Key())
		var c herken.Customer
		var err error
		if string(prefix) == prefixCustomer {
			err = it.Item().Value(func(v []byte) error {
				rec, derr := decodeCustomer(txn, cid, it.Item().Key(), v)
				c = rec.Customer
				return derr
			})
		} else {
			c, err = getCustomer(txn, cid)
			if errors.Is(err, herken.ErrCustomerNotFound) {
				return nil, nil, corrupt("customer list index names a missing customer")
			}
		}
		if err != nil {
			return nil, nil, err
		}
		if !q.Matches(c) {
			continue
		}
		if len(out) == q.PageSize {
			return out, it.Item().KeyCopy(nil), nil
		}
		out = append(out, c)
	}
	return out, nil, nil
}
