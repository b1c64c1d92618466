package pgstore

import (
	"context"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herken/herken"
)

// EraseCustomer implements herken.Store. The names merged into id (its
// aliases: names rows pointing at it) had their records deleted when they
// were merged and their histories live under id, so deleting id's rows and
// the aliases' merge records erases them all. What stays: tombstones
// (names, erased) and journal rows, ids and times only, and the audit
// trail, which the audit retention purges.
func (s *Store) EraseCustomer(ctx context.Context, id string, at time.Time, _ herken.WriteOptions) ([]string, error) {
	var ids []string
	err := s.write(ctx, func(t *tx) error {
		c, err := t.live(id)
		if err != nil {
			return err
		}
		rows, err := t.Query(t.ctx, `SELECT id FROM names WHERE survivor = $1 ORDER BY id`, id)
		if err != nil {
			return err
		}
		aliases, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		all := append([]string{id}, aliases...)

		links := t.stageLinks()
		if err := links.load(identifiersOf(c)...); err != nil {
			return err
		}
		for _, l := range c.Identifiers {
			if err := links.unlink(l.Identifier, id); err != nil { // other holders keep theirs
				return err
			}
		}
		b := &pgx.Batch{}
		links.commit(b)
		t.deleteCustomer(b, id)
		b.Queue(`DELETE FROM interactions WHERE customer_id = $1`, id)
		b.Queue(`DELETE FROM promises WHERE customer_id = $1`, id)
		// Every record whose survivor is erased is an alias's own.
		b.Queue(`DELETE FROM merge_records WHERE merged_id = ANY($1)`, all)
		// Remembered requests name what they made: a retry after the
		// erasure must not find them.
		b.Queue(`DELETE FROM requests WHERE customer_id = ANY($1)`, all)
		b.Queue(`INSERT INTO names (id, survivor, erased) SELECT unnest($1::text[]), NULL, true
			ON CONFLICT (id) DO UPDATE SET survivor = NULL, erased = true`, all)
		// One statement each: seq keeps the order erased, id first.
		for _, n := range all {
			b.Queue(`INSERT INTO erasures (customer_id, time_ns) VALUES ($1, $2)`, n, ns(at))
		}
		if err := t.send(b); err != nil {
			return err
		}
		ids = all
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// Erasures implements herken.Store: by time, ties in the order erased
// (seq), as the memory store's journal keeps them.
func (s *Store) Erasures(ctx context.Context, since time.Time, limit int) ([]herken.Erasure, error) {
	if limit <= 0 {
		return nil, nil
	}
	// The zero since is everything.
	rows, err := s.pool.Query(ctx, `SELECT customer_id, time_ns FROM erasures WHERE time_ns >= $1 ORDER BY time_ns, seq LIMIT $2`, timeBound(since, math.MinInt64), limit)
	if err != nil {
		return nil, storeError(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (herken.Erasure, error) {
		var e herken.Erasure
		var at int64
		err := row.Scan(&e.CustomerID, &at)
		e.Time = fromNS(at)
		return e, err
	})
	return out, storeError(err)
}
