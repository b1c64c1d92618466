package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"
	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/store/badgerstore/internal/recordpb"
)

// The audit trail (keys.go): l/{customer}/{newest}/{record} holds each
// record, so one customer's trail is a prefix scan, newest first; and
// v/{time}/{customer}/{record} orders all of them by time for the sweeper.
// Records are plain (nothing personal: ids, times, key and method names)
// and erasure does not touch either prefix: the trail outlives the customer,
// and the erasure's own record joins it.
//
// No store format bump: an older store simply has no l/ or v/ keys, and
// nothing else changed shape.

// auditBatch is how many records one AppendAudit transaction writes (two
// keys each, ~200 bytes): far below Badger's limits (~4.8 MB and tens of
// thousands of entries with our memtables), so a recorder's batch of up to
// a thousand is normally one commit. A batch Badger still finds too big is
// halved.
const auditBatch = 1000

// auditPurgeBatch is how many records one PurgeAudit transaction deletes.
const auditPurgeBatch = 500

func auditPrefix(customerID string) []byte { return []byte(prefixAudit + customerID + "/") }

func auditKey(r herken.AuditRecord) []byte {
	return []byte(prefixAudit + r.CustomerID + "/" + newestHex(r.Time) + "/" + r.ID)
}

func auditAgeKey(r herken.AuditRecord) []byte {
	return []byte(prefixAuditAge + timeHex(r.Time) + "/" + r.CustomerID + "/" + r.ID)
}

// auditAgeStop is the first v/ key of a record at or after cutoff.
func auditAgeStop(cutoff time.Time) []byte { return []byte(prefixAuditAge + timeHex(cutoff)) }

func encodeAudit(r herken.AuditRecord) ([]byte, error) {
	return marshalOpts.Marshal(&recordpb.AuditRecord{
		Format: recordFormat, Id: r.ID, CustomerId: r.CustomerID, Time: unixNano(r.Time),
		Actor: r.Actor, Method: r.Method, Action: int32(r.Action), RequestId: r.RequestID,
	})
}

func decodeAudit(v []byte) (herken.AuditRecord, error) {
	var m recordpb.AuditRecord
	if err := proto.Unmarshal(v, &m); err != nil {
		return herken.AuditRecord{}, decodeError{"audit", err}
	}
	if m.Format != recordFormat {
		return herken.AuditRecord{}, decodeError{"audit", errors.New("unknown record format")}
	}
	return herken.AuditRecord{
		ID: m.Id, CustomerID: m.CustomerId, Time: fromUnixNano(m.Time), Actor: m.Actor,
		Method: m.Method, Action: herken.AuditAction(m.Action), RequestID: m.RequestId,
	}, nil
}

// AppendAudit implements herken.AuditStore: auditBatch records per
// transaction (one for the recorder's batches), through the store's write
// path (free-space reserve, SyncWrites, conflict retries). A batch split
// by the limits is not atomic, but a retry of all of it is harmless: a
// record already stored under the same key (customer, time, id: a retried
// record is the same record) is written again unchanged.
func (s *Store) AppendAudit(ctx context.Context, recs []herken.AuditRecord) error {
	type kv struct{ key, age, val []byte }
	all := make([]kv, 0, len(recs))
	for _, r := range recs {
		if !herken.ValidID(r.ID) || !herken.ValidID(r.CustomerID) {
			return corrupt("audit record ids have the wrong shape")
		}
		v, err := encodeAudit(r)
		if err != nil {
			return err
		}
		all = append(all, kv{auditKey(r), auditAgeKey(r), v})
	}
	batch := auditBatch
	for len(all) > 0 {
		part := all[:min(batch, len(all))]
		err := s.update(ctx, func(txn *tx) error {
			// No read first: a record's keys and value follow from the
			// record, so writing a retried batch again stores the same keys
			// with the same values, never a duplicate; and a read would add
			// every key to the transaction's conflict set.
			for _, e := range part {
				if err := txn.Set(e.key, e.val); err != nil {
					return err
				}
				if err := txn.Set(e.age, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if errors.Is(err, badger.ErrTxnTooBig) && len(part) > 1 {
			batch = len(part) / 2 // nothing of this part was written
			continue
		}
		if err != nil {
			return tooBig(err, "the audit batch")
		}
		all = all[len(part):]
	}
	return nil
}

// ListAudit implements herken.AuditStore: a scan of l/{customer}/ from the
// token's key. An id that could not be one has no trail (and never reaches
// a key).
func (s *Store) ListAudit(ctx context.Context, q herken.AuditQuery) ([]herken.AuditRecord, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	start, _, err := s.openToken(q.PageToken, hash)
	if err != nil {
		return nil, "", err
	}
	if !herken.ValidID(q.CustomerID) {
		return nil, "", nil
	}
	prefix := auditPrefix(q.CustomerID)
	if start != nil && !bytes.HasPrefix(start, prefix) {
		return nil, "", herken.ErrPageToken
	}
	var (
		out  []herken.AuditRecord
		next []byte
	)
	err = s.view(ctx, func(txn *tx) error {
		out, next = nil, nil
		io := badger.DefaultIteratorOptions
		io.Prefix = prefix
		io.PrefetchSize = min(q.PageSize+1, 100)
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Seek(seekStart(start, prefix)); it.ValidForPrefix(prefix); it.Next() {
			if len(out) == q.PageSize {
				next = it.Item().KeyCopy(nil)
				return nil
			}
			var r herken.AuditRecord
			if err := it.Item().Value(func(v []byte) (derr error) {
				r, derr = decodeAudit(v)
				return derr
			}); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil || next == nil {
		return out, "", err
	}
	return out, s.sealToken(hash, next, time.Time{}), nil
}

// PurgeAudit implements herken.AuditStore: it reads v/ oldest first and
// deletes each record with its v/ entry, auditPurgeBatch per transaction.
func (s *Store) PurgeAudit(ctx context.Context, cutoff time.Time, limit int) (int, bool, error) {
	stop := auditAgeStop(cutoff)
	n := 0
	for n < limit {
		want := min(auditPurgeBatch, limit-n)
		var deleted int
		err := s.update(ctx, func(txn *tx) error {
			deleted = 0
			keys, err := keysBefore(txn, prefixAuditAge, stop, want)
			if err != nil {
				return err
			}
			for _, k := range keys {
				parts, ok := parseKey(k)
				if !ok {
					return corrupt("malformed audit time index key")
				}
				if err := deleteKeys(txn, k, auditLogOf(parts)); err != nil {
					return err
				}
			}
			deleted = len(keys)
			return nil
		})
		if err != nil {
			return n, true, err
		}
		n += deleted
		if deleted < want {
			return n, false, nil
		}
	}
	more := false
	err := s.view(ctx, func(txn *tx) error {
		keys, err := keysBefore(txn, prefixAuditAge, stop, 1)
		more = len(keys) > 0
		return err
	})
	return n, more, err
}
