package pgstore

import (
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/internal/pgtest"
	"github.com/herken/herken/internal/synth"
	"github.com/herken/herken/store/storetest"
)

// TestNoTableScans runs the API's queries on a loaded database and requires
// that none of them read a whole table: PostgreSQL's own counters
// (pg_stat_user_tables.seq_scan) must not move. A query that scans would
// cost time in proportion to the customer base on every call. Sequential
// scans are switched off for the session (enable_seqscan=off), so the
// planner scans only where no index can serve the query at all: on tables
// this small it would otherwise rightly prefer a scan now and then.
func TestNoTableScans(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 5,000 customers")
	}
	s, err := Open(ctx, Options{URL: pgtest.NewDatabase(t) + "&enable_seqscan=off"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var phones []identity.Identifier
	var ids, all []string
	err = synth.Generate(synth.Config{Customers: 5000, Seed: 3, Now: now}, func(i int, c synth.Customer) error {
		c.Customer.Tags = []string{[]string{"vip", "zakelijk", "particulier", "klacht"}[i%4]}
		if i%500 == 0 {
			phones = append(phones, c.Customer.Identifiers[0].Identifier)
			ids = append(ids, c.Customer.ID)
		}
		all = append(all, c.Customer.ID)
		return l.Add(c.Customer, c.Interactions, c.Promises)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Finish(); err != nil {
		t.Fatal(err)
	}
	// Merged and erased names, as a store that has run a while has them.
	merge := func(a, b herken.Customer) (herken.Customer, herken.Interaction, error) {
		return herken.PlanMerge(a, b, 0, now)
	}
	for i := 1; i < 600; i += 2 {
		if (i+1)%500 == 0 {
			continue // keep the probed customers live
		}
		if _, err := s.MergeCustomers(ctx, all[i], all[i+1], merge, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1001; i < 1200; i++ {
		if _, err := s.EraseCustomer(ctx, all[i], now, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// An audit trail, as a store that has served a while has one.
	var recs []herken.AuditRecord
	for i, id := range all[:2000] {
		recs = append(recs, herken.AuditRecord{ID: herken.NewID(), CustomerID: id, Time: now.Add(-time.Duration(i) * time.Minute),
			Actor: "pbx-1", Method: "/herken.v1.RecognitionService/Lookup", Action: herken.AuditRead})
	}
	if err := s.AppendAudit(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	scans := func() map[string]int64 {
		time.Sleep(1500 * time.Millisecond) // backends flush their counters at most once a second
		out := map[string]int64{}
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
		_, _ = conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`)
		rows, err := conn.Query(ctx, `SELECT relname, coalesce(seq_scan, 0) FROM pg_stat_user_tables`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var n int64
			if err := rows.Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			out[name] = n
		}
		return out
	}
	before := scans()
	opts := herken.MatchOptions{HistoryLimit: 10, CountSince: now.Add(-30 * 24 * time.Hour), CountMax: 100, OpenPromiseLimit: 10}
	for i, p := range phones {
		if _, err := s.Match(ctx, []identity.Identifier{p}, opts, func(h [][]string) string { return h[0][0] }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetCustomer(ctx, ids[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resolve(ctx, ids[i]); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: ids[i], PageSize: 10}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ListPromises(ctx, herken.PromiseQuery{CustomerID: ids[i], PageSize: 10}); err != nil {
			t.Fatal(err)
		}
		in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, OccurTime: now, CreateTime: now}
		if _, err := s.AppendInteraction(ctx, herken.Target{Identifier: p}, in, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c := storetest.NewCustomer("Jan de Vries", storetest.Phone("+31699990001"))
	if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []herken.CustomerQuery{
		{PageSize: 20}, {PageSize: 20, NamePrefix: "jan"}, {PageSize: 20, Tag: "vip"},
		{PageSize: 20, UpdatedSince: now.Add(-time.Hour)}, {PageSize: 20, Tag: "vip", UpdatedSince: now.Add(-time.Hour)},
	} {
		if _, _, err := s.ListCustomers(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.ListPromises(ctx, herken.PromiseQuery{OverdueAt: now, PageSize: 20}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ListInteractions(ctx, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 20}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MergeCustomers(ctx, ids[0], ids[1], merge, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseCustomer(ctx, ids[2], now, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Merge history, the audit trail, and the sweepers' statements.
	if _, err := s.Merges(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	unmerge := func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error) {
		return herken.PlanUnmerge(rec, survivor, now)
	}
	if _, _, err := s.UnmergeCustomer(ctx, ids[1], unmerge, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ListAudit(ctx, herken.AuditQuery{CustomerID: ids[3], PageSize: 10}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PurgeAudit(ctx, now.Add(-24*time.Hour), 100); err != nil {
		t.Fatal(err)
	}
	keep := func(p herken.Promise) (herken.Promise, herken.Interaction, bool) {
		return p, herken.Interaction{}, false
	}
	if _, _, err := s.BreakOverdue(ctx, now, 100, keep, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PurgeInteractions(ctx, now.Add(-365*24*time.Hour), 100, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Erasures(ctx, time.Time{}, 100); err != nil {
		t.Fatal(err)
	}
	after := scans()
	for _, table := range []string{"customers", "customer_tags", "customer_names", "holders", "interactions", "promises", "names", "merge_records", "audit", "erasures"} {
		if after[table] != before[table] {
			t.Errorf("%s: %d sequential scans during the API's queries", table, after[table]-before[table])
		}
	}
}
