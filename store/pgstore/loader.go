package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/herken/herken"
)

// Loader bulk-loads customers into an empty store with COPY, the way
// PostgreSQL takes data fastest: rows are buffered and copied a chunk at a
// time into tables whose secondary indexes and foreign keys were dropped
// (Finish builds them again), and the identifier index, which needs every
// customer's links, is built in memory under the same rules as online
// writes (LinkHolder) and copied at Finish. Not safe for concurrent use;
// nobody else may use the store during a load, and a load that fails
// leaves a database to drop, not to serve.
type Loader struct {
	s     *Store
	ctx   context.Context
	stats LoadStats
	err   error
	done  bool

	holders  map[string][]string // identKey -> holders in link order
	recreate []string            // the indexes and foreign keys dropped for the load

	customers, tags, names, interactions, promises [][]any
}

// LoadStats is what a load stored.
type LoadStats struct {
	Customers, Identifiers, Interactions, Promises int
}

// loadChunk is how many customers' rows one round of COPYs carries.
const loadChunk = 5000

// NewLoader starts a bulk load; the store must hold no customers, live,
// merged or erased.
func (s *Store) NewLoader(ctx context.Context) (*Loader, error) {
	var used bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM names) OR EXISTS (SELECT 1 FROM holders)`).Scan(&used)
	if err != nil {
		return nil, storeError(err)
	}
	if used {
		return nil, errors.New("pgstore: a bulk load needs an empty store")
	}
	l := &Loader{s: s, ctx: ctx, holders: map[string][]string{}}
	if err := l.dropIndexes(); err != nil {
		return nil, err
	}
	return l, nil
}

// loadedTables are the tables a load fills.
var loadedTables = []string{"customers", "customer_tags", "customer_names", "holders", "interactions", "promises"}

// dropIndexes drops the loaded tables' secondary indexes and foreign keys,
// remembering their definitions for Finish: building an index once over
// all rows is far cheaper than keeping it in step row by row, and a
// foreign key checked per row costs a lookup per name-index row (dozens
// per customer). Primary keys stay: they refuse duplicates as the load
// goes.
func (l *Loader) dropIndexes() error {
	rows, err := l.s.pool.Query(l.ctx, `SELECT 'ALTER TABLE ' || quote_ident(conrelid::regclass::text) || ' ADD CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid),
			'ALTER TABLE ' || quote_ident(conrelid::regclass::text) || ' DROP CONSTRAINT ' || quote_ident(conname)
		FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY($1)
		UNION ALL
		SELECT indexdef, 'DROP INDEX ' || quote_ident(indexname) FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = ANY($1)
		AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))`, loadedTables)
	if err != nil {
		return storeError(err)
	}
	var create, drop string
	var drops []string
	_, err = pgx.ForEachRow(rows, []any{&create, &drop}, func() error {
		l.recreate = append(l.recreate, create)
		drops = append(drops, drop)
		return nil
	})
	if err != nil {
		return storeError(err)
	}
	for _, d := range drops {
		if _, err := l.s.pool.Exec(l.ctx, d); err != nil {
			return storeError(err)
		}
	}
	return nil
}

// Add queues one customer with its history and promises. A customer the
// identity rules refuse (an exclusive identifier already loaded, a share
// limit) fails the load: a bulk load is of data that was valid where it
// came from.
func (l *Loader) Add(c herken.Customer, history []herken.Interaction, promises []herken.Promise) error {
	if l.err != nil || l.done {
		return cmp.Or(l.err, errors.New("pgstore: the load is finished"))
	}
	// An id used twice is refused by the customers' primary key, which
	// stays during the load.
	if !herken.ValidID(c.ID) {
		l.err = fmt.Errorf("pgstore: load: customer id has the wrong shape")
		return l.err
	}
	staged := map[string][]string{}
	for i, li := range c.Identifiers {
		k := identKey(li.Identifier)
		cur, ok := staged[k]
		if !ok {
			cur = l.holders[k]
		}
		next, err := herken.LinkHolder(li.Identifier, cur, c.ID, i)
		if err != nil {
			l.err = fmt.Errorf("pgstore: load: customer %s: %w", c.ID, err)
			return l.err
		}
		staged[k] = next
	}
	for k, hs := range staged {
		l.holders[k] = slices.Clip(hs)
	}
	l.customers = append(l.customers, []any{c.ID, ns(c.UpdateTime), encode(c)})
	for _, t := range slices.Compact(slices.Sorted(slices.Values(c.Tags))) {
		l.tags = append(l.tags, []any{t, c.ID, ns(c.UpdateTime)})
	}
	for _, p := range herken.NamePrefixes(c.DisplayName) {
		l.names = append(l.names, []any{p, c.ID})
	}
	for _, in := range history {
		in.CustomerID = c.ID
		if in.ID == "" {
			in.ID = herken.NewID()
		}
		l.interactions = append(l.interactions, []any{c.ID, in.ID, ns(in.OccurTime), in.Channel.IsContact(), feedbackNS(in), encode(in)})
	}
	for _, p := range promises {
		p.CustomerID = c.ID
		l.promises = append(l.promises, []any{c.ID, p.ID, ns(p.DueTime), p.State == herken.PromiseOpen, p.Owner, encode(p)})
	}
	l.stats.Customers++
	l.stats.Identifiers += len(c.Identifiers)
	l.stats.Interactions += len(history)
	l.stats.Promises += len(promises)
	if len(l.customers) >= loadChunk {
		l.err = l.flush()
	}
	return l.err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// flush copies the buffered rows, one table after another.
func (l *Loader) flush() error {
	tables := []struct {
		name string
		cols []string
		rows *[][]any
	}{
		{"customers", []string{"id", "update_ns", "data"}, &l.customers},
		{"customer_tags", []string{"tag", "customer_id", "update_ns"}, &l.tags},
		{"customer_names", []string{"prefix", "customer_id"}, &l.names},
		{"interactions", []string{"customer_id", "id", "occur_ns", "contact", "feedback_ns", "data"}, &l.interactions},
		{"promises", []string{"customer_id", "id", "due_ns", "open", "owner", "data"}, &l.promises},
	}
	for _, t := range tables {
		if len(*t.rows) == 0 {
			continue
		}
		if _, err := l.s.pool.CopyFrom(l.ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(*t.rows)); err != nil {
			return storeError(fmt.Errorf("pgstore: load: COPY %s: %w", t.name, err))
		}
		*t.rows = (*t.rows)[:0]
	}
	return nil
}

// Finish copies what is buffered and the identifier index, builds the
// indexes again, and vacuums and analyzes the tables.
func (l *Loader) Finish() (LoadStats, error) {
	if l.err != nil {
		return l.stats, l.err
	}
	if l.done {
		return l.stats, errors.New("pgstore: the load is finished")
	}
	l.done = true
	if err := l.flush(); err != nil {
		return l.stats, err
	}
	rows := make([][]any, 0, len(l.holders))
	for k, hs := range l.holders {
		rows = append(rows, []any{k, hs})
	}
	l.holders = nil
	if _, err := l.s.pool.CopyFrom(l.ctx, pgx.Identifier{"holders"}, []string{"ident", "holders"}, pgx.CopyFromRows(rows)); err != nil {
		return l.stats, storeError(fmt.Errorf("pgstore: load: COPY holders: %w", err))
	}
	// Indexes first, then the foreign keys (whose check uses them).
	conn, err := l.s.pool.Acquire(l.ctx)
	if err != nil {
		return l.stats, storeError(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(l.ctx, `SET maintenance_work_mem = '256MB'`); err != nil {
		return l.stats, storeError(err)
	}
	slices.SortStableFunc(l.recreate, func(a, b string) int {
		return boolInt(strings.HasPrefix(a, "ALTER")) - boolInt(strings.HasPrefix(b, "ALTER"))
	})
	for _, q := range l.recreate {
		if _, err := conn.Exec(l.ctx, q); err != nil {
			return l.stats, storeError(fmt.Errorf("pgstore: load: %s: %w", q, err))
		}
	}
	_, _ = conn.Exec(l.ctx, `RESET maintenance_work_mem`)
	// VACUUM as well as ANALYZE: the visibility map lets index-only scans
	// skip the heap, and autovacuum does not start on the new rows in the
	// middle of the first calls.
	if _, err := l.s.pool.Exec(l.ctx, `VACUUM (ANALYZE) `+strings.Join(loadedTables, ", ")); err != nil {
		return l.stats, storeError(err)
	}
	return l.stats, nil
}
