package pgstore

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/herken/herken"
)

// ListCustomers implements herken.Store. As in the memory store one index
// drives the list, chosen so its order is q's order: the name prefix
// (herken.IndexedPrefix), else the tag, else the update time, else all
// customers by id. The filters that are columns (tag, update time) are
// decided in the statement too; q.Matches decides last, on the records,
// what only the record says (a query of several words, or longer than the
// indexed prefix). While it drops rows the loop reads on, so a page is
// full whenever a next page exists. A page token carries the position of
// the next page's first customer. Every read is in one snapshot.
func (s *Store) ListCustomers(ctx context.Context, q herken.CustomerQuery) ([]herken.Customer, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	plan := customerPlanFor(q)
	from, err := plan.start(s, q, hash)
	if err != nil {
		return nil, "", err
	}
	var out []herken.Customer
	var next *listPos
	err = s.read(ctx, func(t *tx) error {
		out, next, err = plan.page(t, q, from)
		return err
	})
	switch {
	case err != nil:
		return nil, "", err
	case next == nil:
		return out, "", nil
	}
	return out, plan.seal(s, hash, *next), nil
}

// listPos is a position in a customer index: the update time (lists by
// update time only) and the id of a customer.
type listPos struct {
	ns int64
	id string
}

// customerPlan reads one index in q's order from a position on. query
// returns the statement and its arguments for a read of at most limit
// rows from p on: with op ">=" from a page's start, ">" after the last row
// read. It selects update_ns (0 when the list is by id), id and data.
type customerPlan struct {
	byUpdate bool
	query    func(op string, p listPos, limit int) (string, []any)
}

func customerPlanFor(q herken.CustomerQuery) customerPlan {
	fixed := func(sql string, args func(p listPos, limit int) []any) func(string, listPos, int) (string, []any) {
		return func(op string, p listPos, limit int) (string, []any) { return fmt.Sprintf(sql, op), args(p, limit) }
	}
	switch {
	case q.NamePrefix != "":
		return customerPlan{query: func(op string, p listPos, limit int) (string, []any) { return nameListSQL(q, op, p, limit) }}
	case q.Tag != "" && q.ByUpdateTime():
		return customerPlan{byUpdate: true, query: fixed(
			`SELECT t.update_ns, c.id, c.data FROM customer_tags t JOIN customers c ON c.id = t.customer_id
			WHERE t.tag = $1 AND (t.update_ns, t.customer_id) %s ($2, $3) ORDER BY t.update_ns, t.customer_id LIMIT $4`,
			func(p listPos, limit int) []any { return []any{q.Tag, p.ns, p.id, limit} })}
	case q.Tag != "":
		return customerPlan{query: fixed(
			`SELECT 0::bigint, c.id, c.data FROM customer_tags t JOIN customers c ON c.id = t.customer_id
			WHERE t.tag = $1 AND t.customer_id %s $2 ORDER BY t.customer_id LIMIT $3`,
			func(p listPos, limit int) []any { return []any{q.Tag, p.id, limit} })}
	case q.ByUpdateTime():
		return customerPlan{byUpdate: true, query: fixed(
			`SELECT update_ns, id, data FROM customers WHERE (update_ns, id) %s ($1, $2) ORDER BY update_ns, id LIMIT $3`,
			func(p listPos, limit int) []any { return []any{p.ns, p.id, limit} })}
	}
	return customerPlan{query: fixed(
		`SELECT 0::bigint, id, data FROM customers WHERE id %s $1 ORDER BY id LIMIT $2`,
		func(p listPos, limit int) []any { return []any{p.id, limit} })}
}

// nameListSQL reads customer_names by q's indexed prefix, in id order.
// The tag and update time filters are added only when q has them: a tag
// as a semi-join probes customer_tags' key row by row.
func nameListSQL(q herken.CustomerQuery, op string, p listPos, limit int) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	sql := `SELECT 0::bigint, c.id, c.data FROM customer_names n JOIN customers c ON c.id = n.customer_id
		WHERE n.prefix = ` + arg(herken.IndexedPrefix(q.NamePrefix)) + ` AND n.customer_id ` + op + ` ` + arg(p.id)
	if !q.UpdatedSince.IsZero() {
		sql += ` AND c.update_ns >= ` + arg(timeBound(q.UpdatedSince, math.MinInt64))
	}
	if q.Tag != "" {
		sql += ` AND EXISTS (SELECT 1 FROM customer_tags t WHERE t.tag = ` + arg(q.Tag) + ` AND t.customer_id = n.customer_id)`
	}
	return sql + ` ORDER BY n.customer_id LIMIT ` + arg(limit), args
}

// start is where q's page starts: the token's position, else the start of
// the list (by update time: at UpdatedSince, before every id).
func (p customerPlan) start(s *Store, q herken.CustomerQuery, hash []byte) (listPos, error) {
	n := 1
	if p.byUpdate {
		n = 2
	}
	parts, err := s.openToken(q.PageToken, hash, n)
	switch {
	case err != nil:
		return listPos{}, err
	case parts == nil && p.byUpdate:
		return listPos{ns: timeBound(q.UpdatedSince, math.MinInt64)}, nil
	case parts == nil:
		return listPos{}, nil
	case parts[n-1] == "":
		return listPos{}, herken.ErrPageToken
	case !p.byUpdate:
		return listPos{id: parts[0]}, nil
	}
	at, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return listPos{}, herken.ErrPageToken
	}
	return listPos{ns: at, id: parts[1]}, nil
}

func (p customerPlan) seal(s *Store, hash []byte, pos listPos) string {
	if p.byUpdate {
		return s.sealToken(hash, strconv.FormatInt(pos.ns, 10), pos.id)
	}
	return s.sealToken(hash, pos.id)
}

// maxListBatch bounds the rows one statement reads when q.Matches drops
// many: the reads double up to it.
const maxListBatch = 1000

// page reads one page of q from pos on, and the position of the next
// page's first customer (nil on the last page).
func (p customerPlan) page(t *tx, q herken.CustomerQuery, pos listPos) ([]herken.Customer, *listPos, error) {
	var out []herken.Customer
	op, batch := ">=", q.PageSize+1
	for {
		sql, args := p.query(op, pos, batch)
		rows, err := t.Query(t.ctx, sql, args...)
		if err != nil {
			return nil, nil, err
		}
		n := 0
		var data []byte
		for rows.Next() {
			n++
			if err := rows.Scan(&pos.ns, &pos.id, &data); err != nil {
				rows.Close()
				return nil, nil, err
			}
			c, err := decode[herken.Customer](data)
			if err != nil {
				rows.Close()
				return nil, nil, err
			}
			if !q.Matches(c) {
				continue
			}
			if len(out) == q.PageSize {
				rows.Close()
				return out, &pos, nil
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil || n < batch {
			return out, nil, err
		}
		// Rows were dropped: read on after the last one, more at a time.
		op, batch = ">", max(q.PageSize+1-len(out), min(2*batch, maxListBatch))
	}
}
