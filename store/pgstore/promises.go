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

// CreatePromise implements herken.Store.
func (s *Store) CreatePromise(ctx context.Context, tg herken.Target, p herken.Promise, w herken.WriteOptions) (herken.Promise, error) {
	if !herken.ValidID(p.ID) {
		return herken.Promise{}, corrupt("promise id has the wrong shape")
	}
	var out herken.Promise
	err := s.write(ctx, func(t *tx) error {
		if r, ok, err := t.recall(w.Idempotency); err != nil || ok {
			if err != nil {
				return err
			}
			// Under the survivor after a merge.
			to, err := t.follow(r.customer)
			if err != nil {
				return err
			}
			out, err = t.promise(to, r.id)
			return err
		}
		c, err := t.target(tg)
		if err != nil {
			return err
		}
		rec := p
		rec.CustomerID, rec.CustomerDisplayName = c.ID, ""
		if err := t.insertPromise(rec, w); err != nil {
			return err
		}
		out = rec
		return nil
	})
	if err != nil {
		return herken.Promise{}, err
	}
	return out, nil
}

// insertPromise stores a new promise and its request id in one round
// trip, after checking (in the same batch) that the interaction it names
// is its customer's: the transaction rolls the insert back when either
// check fails.
func (t *tx) insertPromise(p herken.Promise, w herken.WriteOptions) error {
	b := &pgx.Batch{}
	if p.InteractionID != "" {
		b.Queue(`SELECT EXISTS (SELECT 1 FROM interactions WHERE customer_id = $1 AND id = $2)`, p.CustomerID, p.InteractionID)
	}
	b.Queue(`INSERT INTO promises (customer_id, id, due_ns, open, owner, data) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (customer_id, id) DO NOTHING`,
		p.CustomerID, p.ID, ns(p.DueTime), p.State == herken.PromiseOpen, p.Owner, encode(p))
	t.remember(b, w.Idempotency, p.CustomerID, p.ID)
	br := t.SendBatch(t.ctx, b)
	defer br.Close()
	if p.InteractionID != "" {
		var exists bool
		if err := br.QueryRow().Scan(&exists); err != nil || !exists {
			if err == nil {
				err = herken.ErrInteractionNotFound
			}
			return err
		}
	}
	ct, err := br.Exec()
	switch {
	case err != nil:
		return err
	case ct.RowsAffected() == 0:
		return corrupt("promise id collision")
	}
	return br.Close()
}

// promise reads one stored promise, with readRecord's answers for a
// customer that is not live.
func (t *tx) promise(customerID, promiseID string) (herken.Promise, error) {
	data, err := readRecord(t.ctx, t, promiseSQL, customerID, promiseID, herken.ErrPromiseNotFound)
	if err != nil {
		return herken.Promise{}, err
	}
	return decode[herken.Promise](data)
}

// GetPromise implements herken.Store: one statement.
func (s *Store) GetPromise(ctx context.Context, customerID, promiseID string) (herken.Promise, error) {
	data, err := readRecord(ctx, s.pool, promiseSQL, customerID, promiseID, herken.ErrPromiseNotFound)
	if err != nil {
		return herken.Promise{}, storeError(err)
	}
	return decode[herken.Promise](data)
}

// UpdatePromise implements herken.Store. fn edits a copy; the due, state
// and owner columns follow it.
func (s *Store) UpdatePromise(ctx context.Context, customerID, promiseID string, fn func(p *herken.Promise) error, _ herken.WriteOptions) (herken.Promise, error) {
	var out herken.Promise
	err := s.write(ctx, func(t *tx) error {
		stored, err := t.promise(customerID, promiseID)
		if err != nil {
			return err
		}
		p := stored
		if err := fn(&p); err != nil {
			return callerError{err}
		}
		p.ID, p.CustomerID, p.CustomerDisplayName = stored.ID, stored.CustomerID, "" // the promise's identity
		b := &pgx.Batch{}
		queuePromise(b, p)
		out = p
		return t.send(b)
	})
	if err != nil {
		return herken.Promise{}, err
	}
	return out, nil
}

// queuePromise queues storing p in place of the promise with its id.
func queuePromise(b *pgx.Batch, p herken.Promise) {
	b.Queue(`UPDATE promises SET due_ns = $3, open = $4, owner = $5, data = $6 WHERE customer_id = $1 AND id = $2`,
		p.CustomerID, p.ID, ns(p.DueTime), p.State == herken.PromiseOpen, p.Owner, encode(p))
}

// ListPromises implements herken.Store. A page token holds the as-of time
// of an overdue list's first page and the next page's first promise
// (due time, customer, id).
func (s *Store) ListPromises(ctx context.Context, q herken.PromiseQuery) ([]herken.Promise, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	pos, err := s.openToken(q.PageToken, hash, 4)
	if err != nil {
		return nil, "", err
	}
	from := promisePos{due: math.MinInt64}
	if pos != nil {
		if from, err = parsePromisePos(pos); err != nil {
			return nil, "", err
		}
	}
	if !q.OverdueAt.IsZero() {
		// Overdue as of the first page, so every page belongs to one list.
		if pos != nil {
			q.OverdueAt = from.asOf
		}
		if q.DueBefore.IsZero() || q.OverdueAt.Before(q.DueBefore) {
			q.DueBefore = q.OverdueAt
		}
		q.State = herken.PromiseOpen
	}
	var out []herken.Promise
	var next *promisePos
	if q.CustomerID != "" {
		out, next, err = s.listPromises(ctx, q, from)
	} else {
		out, next, err = s.listOpenPromises(ctx, q, from)
	}
	if err != nil || next == nil {
		return out, "", storeError(err)
	}
	asOf := ""
	if !q.OverdueAt.IsZero() {
		asOf = q.OverdueAt.UTC().Format(time.RFC3339Nano)
	}
	return out, s.sealToken(hash, asOf, strconv.FormatInt(next.due, 10), next.customer, next.id), nil
}

// promisePos is a page token's content: the first promise of the next
// page in herken.ByDue order, and the as-of time of an overdue list.
type promisePos struct {
	asOf         time.Time
	due          int64
	customer, id string
}

func parsePromisePos(pos []string) (promisePos, error) {
	var p promisePos
	var err error
	if pos[0] != "" {
		if p.asOf, err = time.Parse(time.RFC3339Nano, pos[0]); err != nil {
			return p, herken.ErrPageToken
		}
	}
	if p.due, err = strconv.ParseInt(pos[1], 10, 64); err != nil || pos[3] == "" {
		return p, herken.ErrPageToken
	}
	p.customer, p.id = pos[2], pos[3]
	return p, nil
}

// customerPromisesSQL pages through one customer's promises by due time
// (ties by id) from a position, on promises_by_due; q's filters apply.
const customerPromisesSQL = `SELECT data, due_ns, id FROM promises
	WHERE customer_id = $1 AND due_ns < $2 AND (due_ns, id) >= ($3, $4::text)
	AND ($5::int = 0 OR (data->>'State')::int = $5) AND ($6::text = '' OR owner = $6)
	ORDER BY due_ns, id LIMIT $7`

// listPromises lists one page of a customer's promises; an empty page
// asks whether the customer is live (as listHistory).
func (s *Store) listPromises(ctx context.Context, q herken.PromiseQuery, from promisePos) ([]herken.Promise, *promisePos, error) {
	rows, err := s.pool.Query(ctx, customerPromisesSQL, q.CustomerID, timeBound(q.DueBefore, math.MaxInt64),
		from.due, from.id, int32(q.State), q.Owner, q.PageSize+1)
	if err != nil {
		return nil, nil, err
	}
	var out []herken.Promise
	var next *promisePos
	var data []byte
	var due int64
	var id string
	_, err = pgx.ForEachRow(rows, []any{&data, &due, &id}, func() error {
		if len(out) == q.PageSize {
			next = &promisePos{due: due, customer: q.CustomerID, id: id}
			return nil
		}
		p, err := decode[herken.Promise](data)
		out = append(out, p)
		return err
	})
	if err == nil && len(out) == 0 {
		err = liveState(ctx, s.pool, q.CustomerID)
	}
	if err != nil {
		return nil, nil, err
	}
	return out, next, nil
}

// openPromisesSQL pages through the OPEN promises of every customer by
// due time (herken.ByDue) from a position, with the customer's display
// name, on promises_open; openOwnerSQL the same for one owner, on
// promises_open_owner. Two statements, so each plans its own index.
const (
	openPromisesSQL = `SELECT p.data, c.data->>'DisplayName', p.due_ns, p.customer_id, p.id
	FROM promises p JOIN customers c ON c.id = p.customer_id
	WHERE p.open AND p.due_ns < $1 AND (p.due_ns, p.customer_id, p.id) >= ($2, $3::text, $4::text)
	ORDER BY p.due_ns, p.customer_id, p.id LIMIT $5`
	openOwnerSQL = `SELECT p.data, c.data->>'DisplayName', p.due_ns, p.customer_id, p.id
	FROM promises p JOIN customers c ON c.id = p.customer_id
	WHERE p.open AND p.owner = $6 AND p.due_ns < $1 AND (p.due_ns, p.customer_id, p.id) >= ($2, $3::text, $4::text)
	ORDER BY p.due_ns, p.customer_id, p.id LIMIT $5`
)

// listOpenPromises lists one page of the OPEN promises of all customers
// (q.State is OPEN or unset there: the service allows nothing else).
func (s *Store) listOpenPromises(ctx context.Context, q herken.PromiseQuery, from promisePos) ([]herken.Promise, *promisePos, error) {
	args := []any{timeBound(q.DueBefore, math.MaxInt64), from.due, from.customer, from.id, q.PageSize + 1}
	query := openPromisesSQL
	if q.Owner != "" {
		query, args = openOwnerSQL, append(args, q.Owner)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	var out []herken.Promise
	var next *promisePos
	var data []byte
	var name *string
	var due int64
	var customer, id string
	_, err = pgx.ForEachRow(rows, []any{&data, &name, &due, &customer, &id}, func() error {
		if len(out) == q.PageSize {
			next = &promisePos{due: due, customer: customer, id: id}
			return nil
		}
		p, err := decode[herken.Promise](data)
		if name != nil {
			p.CustomerDisplayName = *name
		}
		out = append(out, p)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return out, next, nil
}

// BreakOverdue implements herken.Store: one statement finds the oldest
// OPEN promises due before dueBefore, then each is broken in its own
// transaction, with broken's re-check on the promise as stored then.
func (s *Store) BreakOverdue(ctx context.Context, dueBefore time.Time, limit int, broken func(p herken.Promise) (herken.Promise, herken.Interaction, bool), _ herken.WriteOptions) (int, bool, error) {
	limit = max(limit, 0)
	rows, err := s.pool.Query(ctx, `SELECT customer_id, id FROM promises WHERE open AND due_ns < $1
		ORDER BY due_ns, customer_id, id LIMIT $2`, timeBound(dueBefore, math.MinInt64), limit+1)
	if err != nil {
		return 0, false, storeError(err)
	}
	type ref struct{ customer, id string }
	var refs []ref
	var r ref
	if _, err := pgx.ForEachRow(rows, []any{&r.customer, &r.id}, func() error {
		refs = append(refs, r)
		return nil
	}); err != nil {
		return 0, false, storeError(err)
	}
	more := len(refs) > limit
	refs = refs[:min(len(refs), limit)]
	n := 0
	for _, r := range refs {
		ok, err := s.breakOne(ctx, r.customer, r.id, broken)
		if err != nil {
			return n, true, err
		}
		if ok {
			n++
		}
	}
	return n, more, nil
}

// breakOne breaks one promise if broken says so: the promise, the history
// event and the customer's last contact are stored together.
func (s *Store) breakOne(ctx context.Context, customerID, promiseID string, broken func(p herken.Promise) (herken.Promise, herken.Interaction, bool)) (bool, error) {
	done := false
	err := s.write(ctx, func(t *tx) error {
		done = false
		var pdata, cdata []byte
		err := t.QueryRow(t.ctx, `SELECT p.data, c.data FROM promises p JOIN customers c ON c.id = p.customer_id
			WHERE p.customer_id = $1 AND p.id = $2`, customerID, promiseID).Scan(&pdata, &cdata)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // gone since the scan
		}
		if err != nil {
			return err
		}
		stored, err := decode[herken.Promise](pdata)
		if err != nil {
			return err
		}
		c, err := decode[herken.Customer](cdata)
		if err != nil {
			return err
		}
		p, event, ok := broken(stored)
		if !ok {
			return nil
		}
		if !herken.ValidID(event.ID) {
			return corrupt("interaction id has the wrong shape")
		}
		p.ID, p.CustomerID, p.CustomerDisplayName = stored.ID, stored.CustomerID, ""
		b := &pgx.Batch{}
		t.queueAppend(b, c, event)
		queuePromise(b, p)
		if inserted, err := t.sendCounted(b); err != nil || inserted == 0 {
			if err == nil {
				err = corrupt("interaction id collision")
			}
			return err
		}
		done = true
		return nil
	})
	return done, err
}
