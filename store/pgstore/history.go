package pgstore

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herken/herken"
)

// purgeBatch is how many interactions one purge transaction deletes, so
// other writers get in between the batches of a large sweep.
const purgeBatch = 500

// AppendInteraction implements herken.Store.
func (s *Store) AppendInteraction(ctx context.Context, tg herken.Target, in herken.Interaction, w herken.WriteOptions) (herken.Interaction, error) {
	if !herken.ValidID(in.ID) {
		return herken.Interaction{}, corrupt("interaction id has the wrong shape")
	}
	var out herken.Interaction
	err := s.write(ctx, func(t *tx) error {
		if r, ok, err := t.recall(w.Idempotency); err != nil || ok {
			if err != nil {
				return err
			}
			out, err = t.recalledInteraction(r)
			return err
		}
		c, err := t.target(tg)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		rec := t.queueAppend(b, c, in)
		t.remember(b, w.Idempotency, c.ID, rec.ID)
		if inserted, err := t.sendCounted(b); err != nil || inserted == 0 {
			if err == nil {
				err = corrupt("interaction id collision")
			}
			return err
		}
		out = rec
		return nil
	})
	if err != nil {
		return herken.Interaction{}, err
	}
	return out, nil
}

// recalledInteraction is what an idempotent retry of an append answers:
// the interaction the first call recorded, under the survivor if a merge
// moved it since.
func (t *tx) recalledInteraction(r request) (herken.Interaction, error) {
	to, err := t.follow(r.customer)
	if err != nil {
		return herken.Interaction{}, err
	}
	var b []byte
	err = t.QueryRow(t.ctx, `SELECT data FROM interactions WHERE customer_id = $1 AND id = $2`, to, r.id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		// Retention purged what the first call recorded.
		e := *herken.ErrInteractionNotFound
		e.Message = "the interaction this request_id recorded was purged by history retention"
		return herken.Interaction{}, &e
	}
	if err != nil {
		return herken.Interaction{}, err
	}
	return decode[herken.Interaction](b)
}

// queueAppend queues adding in to c's history and, when
// Customer.RecordContact moves c's last contact, the customer's new
// record. The insert is the batch's first statement and inserts nothing
// when the id is taken (sendCounted tells). Every new interaction goes
// through here; it returns the interaction as stored, a copy of in.
func (t *tx) queueAppend(b *pgx.Batch, c herken.Customer, in herken.Interaction) herken.Interaction {
	rec := in.Clone()
	rec.CustomerID = c.ID
	b.Queue(`INSERT INTO interactions (customer_id, id, occur_ns, contact, feedback_ns, data) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (customer_id, id) DO NOTHING`,
		rec.CustomerID, rec.ID, ns(rec.OccurTime), rec.Channel.IsContact(), feedbackNS(rec), encode(rec))
	next := c
	next.RecordContact(rec)
	if !next.LastContactTime.Equal(c.LastContactTime) || next.LastContactChannel != c.LastContactChannel {
		t.putCustomer(b, &c, next)
	}
	return rec.Clone()
}

// sendCounted runs b in one round trip and returns how many rows its
// first statement changed.
func (t *tx) sendCounted(b *pgx.Batch) (int64, error) {
	br := t.SendBatch(t.ctx, b)
	ct, err := br.Exec()
	if err != nil {
		br.Close()
		return 0, err
	}
	return ct.RowsAffected(), br.Close()
}

// UpdateInteraction implements herken.Store. fn edits a copy; the feedback
// column follows the feedback's state. The customer's summary stays: the
// occur time is fixed, so last contact cannot move.
func (s *Store) UpdateInteraction(ctx context.Context, customerID, interactionID string, fn func(in *herken.Interaction) error, _ herken.WriteOptions) (herken.Interaction, error) {
	var out herken.Interaction
	err := s.write(ctx, func(t *tx) error {
		data, err := readRecord(t.ctx, t, interactionSQL, customerID, interactionID, herken.ErrInteractionNotFound)
		if err != nil {
			return err
		}
		stored, err := decode[herken.Interaction](data)
		if err != nil {
			return err
		}
		in := stored.Clone()
		if err := fn(&in); err != nil {
			return callerError{err}
		}
		// The keys of its place in history and the indexes are fixed.
		in.ID, in.CustomerID, in.OccurTime = stored.ID, stored.CustomerID, stored.OccurTime
		in = in.Clone() // fn may keep in's feedback
		_, err = t.Exec(t.ctx, `UPDATE interactions SET contact = $3, feedback_ns = $4, data = $5 WHERE customer_id = $1 AND id = $2`,
			in.CustomerID, in.ID, in.Channel.IsContact(), feedbackNS(in), encode(in))
		out = in.Clone()
		return err
	})
	if err != nil {
		return herken.Interaction{}, err
	}
	return out, nil
}

// rowQuerier is a pool or a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// interactionSQL and promiseSQL read one record of a customer with the
// state of the customer's name, in one statement.
const (
	interactionSQL = `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1), (SELECT erased FROM names WHERE id = $1),
		(SELECT data FROM interactions WHERE customer_id = $1 AND id = $2)`
	promiseSQL = `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1), (SELECT erased FROM names WHERE id = $1),
		(SELECT data FROM promises WHERE customer_id = $1 AND id = $2)`
)

// readRecord reads one interaction or promise (query: interactionSQL or
// promiseSQL) as memstore's customerOf addresses it: an id that never
// named a customer reads as the record missing, a merged name is
// ErrCustomerNotFound (the Service resolves again), an erased one
// ErrCustomerErased.
func readRecord(ctx context.Context, q rowQuerier, query, customerID, id string, missing error) ([]byte, error) {
	var live bool
	var erased *bool
	var data []byte
	if err := q.QueryRow(ctx, query, customerID, id).Scan(&live, &erased, &data); err != nil {
		return nil, err
	}
	if err := nameState(live, erased, missing); err != nil {
		return nil, err
	}
	if data == nil {
		return nil, missing
	}
	return data, nil
}

// nameState is the answer for a customer name that is live (nil), merged
// (erased false: ErrCustomerNotFound), erased, or unknown (erased nil:
// unknown, which is ErrCustomerNotFound or the missing record's error).
func nameState(live bool, erased *bool, unknown error) error {
	switch {
	case live:
		return nil
	case erased == nil:
		return unknown
	case *erased:
		return herken.ErrCustomerErased
	}
	return herken.ErrCustomerNotFound
}

// liveState is live's answer for id in one statement outside a
// transaction: nil, ErrCustomerErased or ErrCustomerNotFound.
func liveState(ctx context.Context, q rowQuerier, id string) error {
	var live bool
	var erased *bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1), (SELECT erased FROM names WHERE id = $1)`, id).Scan(&live, &erased)
	if err != nil {
		return err
	}
	return nameState(live, erased, herken.ErrCustomerNotFound)
}

// ListInteractions implements herken.Store.
func (s *Store) ListInteractions(ctx context.Context, q herken.InteractionQuery) ([]herken.Interaction, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	if q.CustomerID == "" {
		if !q.UnansweredFeedback {
			return nil, "", corrupt("listing across customers without the unanswered feedback filter") // the service refuses it first
		}
		pos, err := s.openToken(q.PageToken, hash, 3)
		if err != nil {
			return nil, "", err
		}
		return s.listUnanswered(ctx, q, hash, pos)
	}
	pos, err := s.openToken(q.PageToken, hash, 2)
	if err != nil {
		return nil, "", err
	}
	return s.listHistory(ctx, q, hash, pos)
}

// historySQL pages through one customer's history newest first (ties by
// id) from a position, within [start, end), on interactions_newest.
const historySQL = `SELECT data, occur_ns, id FROM interactions
	WHERE customer_id = $1 AND occur_ns >= $2 AND occur_ns < $3 AND occur_ns <= $4 AND (occur_ns < $4 OR id >= $5::text)
	AND (cardinality($6::int[]) = 0 OR (data->>'Channel')::int = ANY ($6)) AND (NOT $7::boolean OR feedback_ns IS NOT NULL)
	ORDER BY occur_ns DESC, id LIMIT $8`

// listHistory lists one page of a customer's history. One statement reads
// it; only an empty page asks whether the customer is live (a customer
// with history is: interactions go with their customer), so every answer
// is one the store gave at some instant of the call.
func (s *Store) listHistory(ctx context.Context, q herken.InteractionQuery, hash []byte, pos []string) ([]herken.Interaction, string, error) {
	fromNS, fromID := int64(math.MaxInt64), ""
	if pos != nil {
		var err error
		if fromNS, err = strconv.ParseInt(pos[0], 10, 64); err != nil || pos[1] == "" {
			return nil, "", herken.ErrPageToken
		}
		fromID = pos[1]
	}
	rows, err := s.pool.Query(ctx, historySQL, q.CustomerID, timeBound(q.Start, math.MinInt64), timeBound(q.End, math.MaxInt64),
		fromNS, fromID, channelsOf(q.Channels), q.UnansweredFeedback, q.PageSize+1)
	if err != nil {
		return nil, "", storeError(err)
	}
	var out []herken.Interaction
	var next []string
	var data []byte
	var occur int64
	var id string
	_, err = pgx.ForEachRow(rows, []any{&data, &occur, &id}, func() error {
		if len(out) == q.PageSize {
			next = []string{strconv.FormatInt(occur, 10), id}
			return nil
		}
		in, err := decode[herken.Interaction](data)
		out = append(out, in)
		return err
	})
	if err != nil {
		return nil, "", storeError(err)
	}
	if len(out) == 0 {
		if err := liveState(ctx, s.pool, q.CustomerID); err != nil {
			return nil, "", storeError(err)
		}
	}
	if next == nil {
		return out, "", nil
	}
	return out, s.sealToken(hash, next...), nil
}

// unansweredSQL pages through the unanswered feedback of every customer,
// oldest submission first (ties by customer, then id), from a position,
// on interactions_feedback; q's other filters apply. The occur-time bounds
// are written occur_ns + 0 so that no plan can serve them from
// interactions_by_occur: under a generic plan (store.go) PostgreSQL would
// otherwise combine both indexes and sort every unanswered feedback,
// instead of walking interactions_feedback in order and stopping at the
// page's end.
const unansweredSQL = `SELECT data, feedback_ns, customer_id, id FROM interactions
	WHERE feedback_ns IS NOT NULL AND (feedback_ns, customer_id, id) >= ($1, $2, $3)
	AND occur_ns + 0 >= $4 AND occur_ns + 0 < $5 AND (cardinality($6::int[]) = 0 OR (data->>'Channel')::int = ANY ($6))
	ORDER BY feedback_ns, customer_id, id LIMIT $7`

func (s *Store) listUnanswered(ctx context.Context, q herken.InteractionQuery, hash []byte, pos []string) ([]herken.Interaction, string, error) {
	fromNS, fromCustomer, fromID := int64(math.MinInt64), "", ""
	if pos != nil {
		var err error
		if fromNS, err = strconv.ParseInt(pos[0], 10, 64); err != nil || pos[2] == "" {
			return nil, "", herken.ErrPageToken
		}
		fromCustomer, fromID = pos[1], pos[2]
	}
	rows, err := s.pool.Query(ctx, unansweredSQL, fromNS, fromCustomer, fromID,
		timeBound(q.Start, math.MinInt64), timeBound(q.End, math.MaxInt64), channelsOf(q.Channels), q.PageSize+1)
	if err != nil {
		return nil, "", storeError(err)
	}
	var out []herken.Interaction
	var next []string
	var data []byte
	var submit int64
	var customer, id string
	_, err = pgx.ForEachRow(rows, []any{&data, &submit, &customer, &id}, func() error {
		if len(out) == q.PageSize {
			next = []string{strconv.FormatInt(submit, 10), customer, id}
			return nil
		}
		in, err := decode[herken.Interaction](data)
		out = append(out, in)
		return err
	})
	if err != nil {
		return nil, "", storeError(err)
	}
	if next == nil {
		return out, "", nil
	}
	return out, s.sealToken(hash, next...), nil
}

// channelsOf is a channel filter as the statements take it (empty: any).
func channelsOf(cs []herken.Channel) []int32 {
	out := make([]int32, len(cs))
	for i, c := range cs {
		out[i] = int32(c)
	}
	return out
}

var (
	minNSTime = time.Unix(0, math.MinInt64)
	maxNSTime = time.Unix(0, math.MaxInt64)
)

// timeBound is a query bound in Unix nanoseconds: unbounded for the zero
// time, and clamped to what nanoseconds hold (a bound in the year 3000
// lies after every stored time, as it does in the other stores).
func timeBound(t time.Time, unbounded int64) int64 {
	switch {
	case t.IsZero():
		return unbounded
	case t.Before(minNSTime):
		return math.MinInt64
	case t.After(maxNSTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// PurgeInteractions implements herken.Store: it deletes the oldest
// interactions before cutoff, purgeBatch per transaction. Customers' last
// contact is kept.
func (s *Store) PurgeInteractions(ctx context.Context, cutoff time.Time, limit int, _ herken.WriteOptions) (int, bool, error) {
	limit = max(limit, 0)
	n := 0
	for {
		k, more, err := s.purge(ctx, cutoff, min(purgeBatch, limit-n))
		n += k
		if err != nil {
			return n, true, err
		}
		if !more || n >= limit {
			return n, more, nil
		}
	}
}

// purgeSQL deletes up to $2 (at most purgeBatch) interactions that
// occurred before $1, oldest first (interactions_by_occur), and reports
// how many and whether older ones are left: it reads one candidate more
// than it may delete. The candidates' LIMIT is a constant so that even a
// generic plan knows the delete is small and deletes by primary key.
var purgeSQL = `WITH cand AS (
	SELECT customer_id, id, row_number() OVER (ORDER BY occur_ns, customer_id, id) AS n FROM (
		SELECT customer_id, id, occur_ns FROM interactions WHERE occur_ns < $1::bigint
		ORDER BY occur_ns, customer_id, id LIMIT ` + strconv.Itoa(purgeBatch+1) + `) q
), gone AS (
	DELETE FROM interactions i USING cand WHERE cand.n <= $2::bigint AND i.customer_id = cand.customer_id AND i.id = cand.id
	RETURNING 1
)
SELECT (SELECT count(*) FROM gone)::int, (SELECT count(*) FROM cand WHERE n <= $2::bigint + 1) > $2::bigint`

// purge deletes up to limit interactions that occurred before cutoff in
// one transaction and reports whether older ones are left.
func (s *Store) purge(ctx context.Context, cutoff time.Time, limit int) (int, bool, error) {
	var n int
	var more bool
	err := s.write(ctx, func(t *tx) error {
		return t.QueryRow(t.ctx, purgeSQL, timeBound(cutoff, math.MinInt64), limit).Scan(&n, &more)
	})
	return n, more, err
}
