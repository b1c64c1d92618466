package pgstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
)

// matchSQL reads everything a Lookup needs in one statement, so in one
// snapshot and one round trip: each identifier's holders (at most
// MaxHoldersPerIdentity), the holders' records and — for the candidates
// named in $2, or when $2 is null for every candidate if there are at most
// eagerCandidates — their newest interactions, their contacts since $3 (counted up to
// $4) and their first OPEN promises. Rows are tagged by kind: 0 holder
// (ord: identifier, pos: place), 1 customer, 2 interaction, 3 contact
// count (pos), 4 promise; Go puts them in order. The two history limits are literals (matchQuery), not parameters:
// with a LIMIT it can see, the generic plan walks the per-customer indexes
// in order and stops, instead of sorting a customer's whole history.
const matchSQL = `
WITH h AS (
	SELECT w.ord, hs.cid, hs.pos FROM unnest($1::text[]) WITH ORDINALITY AS w(k, ord)
	JOIN holders ON holders.ident = w.k
	CROSS JOIN LATERAL unnest(holders.holders[1:%d]) WITH ORDINALITY AS hs(cid, pos)
), c AS (
	SELECT DISTINCT cid FROM h
), x AS (
	SELECT cid FROM c WHERE CASE WHEN $2::text[] IS NULL THEN (SELECT count(*) FROM c) <= %d ELSE cid = ANY($2) END
)
SELECT 0 AS kind, h.ord::int, h.pos::bigint, h.cid, NULL::json FROM h
UNION ALL
SELECT 1, 0, 0, cu.id, cu.data FROM c JOIN customers cu ON cu.id = c.cid
UNION ALL
SELECT 2, 0, 0, x.cid, i.data FROM x CROSS JOIN LATERAL (
	SELECT data FROM interactions WHERE customer_id = x.cid ORDER BY occur_ns DESC, id LIMIT %d) i
UNION ALL
SELECT 3, 0, (SELECT count(*) FROM (SELECT 1 FROM interactions
	WHERE customer_id = x.cid AND contact AND occur_ns >= $3 ORDER BY occur_ns DESC LIMIT $4) z), x.cid, NULL FROM x WHERE $4 > 0
UNION ALL
SELECT 4, 0, 0, x.cid, p.data FROM x CROSS JOIN LATERAL (
	SELECT data FROM promises WHERE customer_id = x.cid AND open ORDER BY due_ns, id LIMIT %d) p`

// eagerCandidates is how many candidates at most one matchSQL reads the
// extras of when none is named: every Lookup's (one holder, or a
// household) and almost every Resolve's.
const eagerCandidates = 4

// matchQuery is matchSQL with its limits, built once per pair.
func (s *Store) matchQuery(history, promises int) string {
	key := [2]int{max(history, 0), max(promises, 0)}
	if q, ok := s.matchQueries.Load(key); ok {
		return q.(string)
	}
	q := fmt.Sprintf(matchSQL, herken.MaxHoldersPerIdentity, eagerCandidates, key[0], key[1])
	s.matchQueries.Store(key, q)
	return q
}

// matchRows is what one matchSQL read.
type matchRows struct {
	holders   [][]string
	customers map[string]herken.Customer
	extras    map[string]bool // candidates whose history and promises were read
	history   map[string][]herken.Interaction
	counted   map[string]int
	promises  map[string][]herken.Promise
}

// Match implements herken.Store in one statement when focus picks a
// candidate whose extras that statement read (at most eagerCandidates);
// otherwise it reads again in one REPEATABLE READ transaction, for the
// focus only.
func (s *Store) Match(ctx context.Context, ids []identity.Identifier, opts herken.MatchOptions, focus func(holders [][]string) string) (herken.Snapshot, error) {
	m, err := s.matchOnce(ctx, s.pool, ids, opts, nil)
	if err != nil {
		return herken.Snapshot{}, storeError(err)
	}
	snap, ok, err := m.snapshot(opts, focus)
	if err != nil || ok {
		return snap, err
	}
	// Both reads in one snapshot: focus may pick differently once writes
	// landed since the first read, so it runs on this snapshot's holders
	// and the extras are read for whom it picks (a second pick there is
	// final: the snapshot does not move).
	err = s.read(ctx, func(t *tx) error {
		m, err := s.matchOnce(ctx, t, ids, opts, []string{snap.Focus})
		if err != nil {
			return err
		}
		for range 2 {
			var ok bool
			if snap, ok, err = m.snapshot(opts, focus); err != nil || ok {
				return err
			}
			if m, err = s.matchOnce(ctx, t, ids, opts, []string{snap.Focus}); err != nil {
				return err
			}
		}
		return corrupt("match: focus changed within one snapshot")
	})
	return snap, err
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) matchOnce(ctx context.Context, q querier, ids []identity.Identifier, opts herken.MatchOptions, extras []string) (*matchRows, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = identKey(id)
	}
	since := int64(-1 << 63)
	if !opts.CountSince.IsZero() {
		since = ns(opts.CountSince)
	}
	rows, err := q.Query(ctx, s.matchQuery(opts.HistoryLimit, opts.OpenPromiseLimit), keys, extras, since, max(opts.CountMax, 0))
	if err != nil {
		return nil, err
	}
	m := &matchRows{
		holders: make([][]string, len(ids)), customers: map[string]herken.Customer{}, extras: map[string]bool{},
		history: map[string][]herken.Interaction{}, counted: map[string]int{}, promises: map[string][]herken.Promise{},
	}
	type placed struct {
		pos int64
		cid string
	}
	held := make([][]placed, len(ids))
	var kind, ord int
	var pos int64
	var cid string
	var data []byte
	_, err = pgx.ForEachRow(rows, []any{&kind, &ord, &pos, &cid, &data}, func() error {
		switch kind {
		case 0:
			held[ord-1] = append(held[ord-1], placed{pos: pos, cid: cid})
		case 1:
			c, err := decode[herken.Customer](data)
			m.customers[cid] = c
			return err
		case 2:
			in, err := decode[herken.Interaction](data)
			m.history[cid] = append(m.history[cid], in)
			return err
		case 3:
			m.counted[cid] = int(pos)
		case 4:
			p, err := decode[herken.Promise](data)
			m.promises[cid] = append(m.promises[cid], p)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// UNION ALL keeps no order: the domain's orders decide.
	for i, hs := range held {
		slices.SortFunc(hs, func(a, b placed) int { return cmp.Compare(a.pos, b.pos) })
		for _, p := range hs {
			m.holders[i] = append(m.holders[i], p.cid)
		}
	}
	for _, h := range m.history {
		slices.SortFunc(h, herken.NewestFirst)
	}
	for _, ps := range m.promises {
		slices.SortFunc(ps, herken.ByDue)
	}
	// The candidates the statement read the extras of, by the rule it
	// applies (one with no history, count or promises leaves no rows).
	eager := extras == nil && len(m.customers) <= eagerCandidates
	for cid := range m.customers {
		if eager || slices.Contains(extras, cid) {
			m.extras[cid] = true
		}
	}
	return m, nil
}

// snapshot runs focus on what m read: ok false when focus picked a
// customer whose extras m did not read (snap.Focus says which).
func (m *matchRows) snapshot(opts herken.MatchOptions, focus func(holders [][]string) string) (herken.Snapshot, bool, error) {
	snap := herken.Snapshot{Holders: m.holders, Customers: m.customers}
	for _, hs := range m.holders {
		for _, cid := range hs {
			if _, ok := m.customers[cid]; !ok {
				return herken.Snapshot{}, false, corrupt("identifier index names a missing customer")
			}
		}
	}
	if focus == nil {
		return snap, true, nil
	}
	if snap.Focus = focus(snap.Holders); snap.Focus == "" {
		return snap, true, nil
	}
	if _, held := m.customers[snap.Focus]; !held {
		return herken.Snapshot{}, false, corrupt("focus picked a customer no identifier holds")
	}
	if !m.extras[snap.Focus] {
		return snap, false, nil
	}
	snap.History = m.history[snap.Focus]
	snap.Counted = m.counted[snap.Focus]
	snap.Promises = m.promises[snap.Focus]
	return snap, true, nil
}
