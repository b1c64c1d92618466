package pgstore

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/herken/herken"
)

// The audit trail is the audit table, keyed by the id a record names
// (whatever that id is now: live, merged, erased or never known), so
// EraseCustomer and merges leave it alone. audit_newest serves a trail in
// its order (herken.AuditNewestFirst), audit_by_time the purge, oldest
// first.

// AppendAudit implements herken.AuditStore in one statement, so all or
// nothing. A record already stored (same customer, time and id: a retried
// batch, or a record twice in one batch) is skipped by the primary key.
func (s *Store) AppendAudit(ctx context.Context, recs []herken.AuditRecord) error {
	if len(recs) == 0 {
		return nil
	}
	customers, ids, times, data := make([]string, len(recs)), make([]string, len(recs)), make([]int64, len(recs)), make([]string, len(recs))
	for i, r := range recs {
		if !herken.ValidID(r.ID) || !herken.ValidID(r.CustomerID) {
			return corrupt("audit record ids have the wrong shape")
		}
		r.Time = r.Time.UTC() // as the other stores keep it
		customers[i], ids[i], times[i], data[i] = r.CustomerID, r.ID, ns(r.Time), string(encode(r))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (customer_id, id, time_ns, data)
		SELECT c, i, t, d::json FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS r(c, i, t, d)
		ON CONFLICT (customer_id, time_ns, id) DO NOTHING`, customers, ids, times, data)
	return storeError(err)
}

// ListAudit implements herken.AuditStore: one statement on audit_newest
// from the token's position (the next page's first record: its time and
// id), reading one record more than the page to know whether a next page
// exists.
func (s *Store) ListAudit(ctx context.Context, q herken.AuditQuery) ([]herken.AuditRecord, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	parts, err := s.openToken(q.PageToken, hash, 2)
	if err != nil {
		return nil, "", err
	}
	at, from := int64(math.MaxInt64), ""
	if parts != nil {
		if at, err = strconv.ParseInt(parts[0], 10, 64); err != nil || parts[1] == "" {
			return nil, "", herken.ErrPageToken
		}
		from = parts[1]
	}
	rows, err := s.pool.Query(ctx, `SELECT time_ns, id, data FROM audit
		WHERE customer_id = $1 AND time_ns <= $2 AND (time_ns < $2 OR id >= $3)
		ORDER BY time_ns DESC, id LIMIT $4`, q.CustomerID, at, from, q.PageSize+1)
	if err != nil {
		return nil, "", storeError(err)
	}
	defer rows.Close()
	var out []herken.AuditRecord
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&at, &from, &data); err != nil {
			return nil, "", storeError(err)
		}
		if len(out) == q.PageSize {
			return out, s.sealToken(hash, strconv.FormatInt(at, 10), from), nil
		}
		r, err := decode[herken.AuditRecord](data)
		if err != nil {
			return nil, "", err
		}
		out = append(out, r)
	}
	return out, "", storeError(rows.Err())
}

// auditPurgeBatch is how many records one purge statement deletes, so a
// big purge is many short transactions, not one long one.
const auditPurgeBatch = 1000

// PurgeAudit implements herken.AuditStore: oldest first (ties by customer
// and id, as the memory store), auditPurgeBatch at a time.
func (s *Store) PurgeAudit(ctx context.Context, cutoff time.Time, limit int) (int, bool, error) {
	n := 0
	for {
		// The zero cutoff: nothing is older (as purge's bound).
		k, more, err := s.purgeAudit(ctx, timeBound(cutoff, math.MinInt64), max(0, min(auditPurgeBatch, limit-n)))
		n += k
		if err != nil || !more || n >= limit {
			return n, more, err
		}
	}
}

// purgeAudit deletes the oldest records before cutoff, at most limit, in
// one statement, which also reports whether more wait: its candidates are
// one more than it deletes. It deletes them by ctid (a TID scan: audit
// rows are never updated, and the statement's snapshot keeps their ctids
// from being reused), so a batch costs its rows, not the table.
func (s *Store) purgeAudit(ctx context.Context, cutoff int64, limit int) (int, bool, error) {
	var n int
	var more bool
	err := s.pool.QueryRow(ctx, `WITH c AS (
			SELECT ctid AS row, time_ns, customer_id, id FROM audit WHERE time_ns < $1
			ORDER BY time_ns, customer_id, id LIMIT $2 + 1
		), d AS (
			DELETE FROM audit WHERE ctid = ANY (ARRAY(SELECT row FROM c ORDER BY time_ns, customer_id, id LIMIT $2))
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM d)::int, (SELECT count(*) FROM c) > $2`, cutoff, limit).Scan(&n, &more)
	if err != nil {
		return 0, true, storeError(err)
	}
	return n, more, nil
}
