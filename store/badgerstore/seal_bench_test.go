package badgerstore

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/storetest"
)

// What crypto-shredding costs Lookup: Match (the Lookup read path) on the
// same few thousand customers in a sealed store and in a plain one (the
// test knob Options.plain: no sealing, readable index keys, as format 4).
// A sealed Lookup computes one keyed hash per identifier (the i/ key) and
// opens one AES-GCM value per record it reads (the customer record, whose
// copies of the newest interactions usually answer the history, and each
// open promise); the ref inside each value names its key, so no read is
// added.
//
//	go test ./store/badgerstore -run '^$' -bench MatchSealing -benchmem
//
// BenchmarkMatchSealing/plain and /sealed give each side;
// BenchmarkMatchSealingCost measures both in one run, interleaved, and
// reports them and their ratios (sealed over plain) of ns/op and
// allocs/op on one line.

const benchCustomers = 3000

// benchSetup loads the same customers into a plain and a sealed store on
// disk (closed and reopened, so the data is in tables), each with two
// identifiers, eight interactions (one with feedback) and two open
// promises: the focus customer's history comes from its record's copies,
// its promises from two point reads.
func benchSetup(b *testing.B) (plain, sealed *Store, phones []identity.Identifier) {
	b.Helper()
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	var customers []herken.Customer
	var histories [][]herken.Interaction
	var promises [][]herken.Promise
	for i := range benchCustomers {
		phone := storetest.Phone(fmt.Sprintf("+3161%07d", i))
		phones = append(phones, phone)
		c := storetest.NewCustomer(fmt.Sprintf("Klant %d de Vries-Yılmaz", i), phone, storetest.Email(fmt.Sprintf("klant%d@voorbeeld.nl", i)))
		c.CreateTime, c.UpdateTime = at, at
		var h []herken.Interaction
		for j := range 8 {
			in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound,
				Outcome: herken.OutcomeResolved, OccurTime: at.Add(time.Duration(j) * time.Hour), CreateTime: at,
				Agent: "agent-042", Summary: "Klant belt over de factuur van deze maand en vraagt om een betalingsregeling.",
				Identifier: phone}
			if j == 7 {
				in.Feedback = &herken.Feedback{Score: 4, Comment: "vriendelijk geholpen", SubmitTime: in.OccurTime}
			}
			h = append(h, in)
		}
		var ps []herken.Promise
		for j := range 2 {
			ps = append(ps, storetest.NewPromise(herken.PromiseCallback, at.Add(time.Duration(24+j)*time.Hour), "team-techniek"))
		}
		customers, histories, promises = append(customers, c), append(histories, h), append(promises, ps)
	}
	load := func(plain bool) *Store {
		dir := b.TempDir()
		s, err := Open(Options{Dir: dir, plain: plain})
		if err != nil {
			b.Fatal(err)
		}
		l, err := s.NewLoader(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for i, c := range customers {
			if err := l.Add(c, histories[i], promises[i]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := l.Finish(); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if s, err = Open(Options{Dir: dir, plain: plain}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	return load(true), load(false), phones
}

// benchMatch looks customers up by phone, as Lookup does.
func benchMatch(b *testing.B, s *Store, phones []identity.Identifier) {
	ctx := context.Background()
	now := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	opts := herken.MatchOptions{HistoryLimit: herken.SummaryScanInteraction, CountSince: now.Add(-herken.ContactSummaryDays * 24 * time.Hour),
		CountMax: herken.MaxContactsCounted, OpenPromiseLimit: herken.MaxOpenPromisesShown}
	focus := func(h [][]string) string {
		if len(h[0]) == 1 {
			return h[0][0]
		}
		return ""
	}
	ids := make([]identity.Identifier, 1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ids[0] = phones[(i*7919)%len(phones)]
		snap, err := s.Match(ctx, ids, opts, focus)
		if err != nil || snap.Focus == "" || len(snap.History) != 8 || len(snap.Promises) != 2 {
			b.Fatalf("Match: %v, focus %q, %d interactions, %d promises", err, snap.Focus, len(snap.History), len(snap.Promises))
		}
	}
}

func BenchmarkMatchSealing(b *testing.B) {
	plain, sealed, phones := benchSetup(b)
	b.Run("plain", func(b *testing.B) { benchMatch(b, plain, phones) })
	b.Run("sealed", func(b *testing.B) { benchMatch(b, sealed, phones) })
}

// BenchmarkMatchSealingCost measures both sides in one run, interleaved
// in chunks (so drift in the machine's speed hits both alike), and
// reports each side's ns/op and allocs/op and their ratios, sealed over
// plain, as metrics of one line. One iteration of the harness is a chunk
// of each side.
func BenchmarkMatchSealingCost(b *testing.B) {
	plain, sealed, phones := benchSetup(b)
	const chunk = 64
	sides := [2]struct {
		s      *Store
		took   time.Duration
		allocs uint64
		n      int
		i      int
	}{{s: plain}, {s: sealed}}
	ctx := context.Background()
	now := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	opts := herken.MatchOptions{HistoryLimit: herken.SummaryScanInteraction, CountSince: now.Add(-herken.ContactSummaryDays * 24 * time.Hour),
		CountMax: herken.MaxContactsCounted, OpenPromiseLimit: herken.MaxOpenPromisesShown}
	focus := func(h [][]string) string { return h[0][0] }
	ids := make([]identity.Identifier, 1)
	var ms runtime.MemStats
	for b.Loop() {
		for k := range sides {
			side := &sides[k]
			runtime.ReadMemStats(&ms)
			mallocs := ms.Mallocs
			start := time.Now()
			for range chunk {
				ids[0] = phones[(side.i*7919)%len(phones)]
				side.i++
				if _, err := side.s.Match(ctx, ids, opts, focus); err != nil {
					b.Fatal(err)
				}
			}
			side.took += time.Since(start)
			runtime.ReadMemStats(&ms)
			side.allocs += ms.Mallocs - mallocs
			side.n += chunk
		}
	}
	p, q := &sides[0], &sides[1]
	pns, sns := float64(p.took.Nanoseconds())/float64(p.n), float64(q.took.Nanoseconds())/float64(q.n)
	pal, sal := float64(p.allocs)/float64(p.n), float64(q.allocs)/float64(q.n)
	b.ReportMetric(pns, "plain-ns/op")
	b.ReportMetric(sns, "sealed-ns/op")
	b.ReportMetric(sns/pns, "ns-ratio")
	b.ReportMetric(pal, "plain-allocs/op")
	b.ReportMetric(sal, "sealed-allocs/op")
	b.ReportMetric(sal/pal, "allocs-ratio")
}
