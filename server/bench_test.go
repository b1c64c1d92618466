package server_test

import (
	"context"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/herken/herken"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/internal/synth"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// benchCustomers is the size of the in-process benchmark base: big enough
// that Badger reads leave the memtable, small enough to load in seconds.
const benchCustomers = 100_000

var (
	benchOnce   sync.Once
	benchServer *testServer
	benchTyped  []string
	benchEmails []string
)

// benchBase loads the synthetic base into one server shared by every
// benchmark in the process.
func benchBase(b *testing.B) *testServer {
	benchOnce.Do(func() {
		// The base outlives the benchmark that loads it: no cleanup on b
		// (the process exit takes the server down; the OS the temp dir).
		dir, err := os.MkdirTemp("", "herken-bench-")
		if err != nil {
			b.Fatal(err)
		}
		s := newTestServer(noCleanup{b}, withDir(dir))
		l, err := s.Store.NewLoader(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		err = synth.Generate(synth.Config{Customers: benchCustomers, Seed: 1, Now: fixedNow}, func(i int, c synth.Customer) error {
			if i%97 == 0 {
				benchTyped = append(benchTyped, c.Typed[i%3])
				if c.Email != "" {
					benchEmails = append(benchEmails, c.Email)
				}
			}
			return l.Add(c.Customer, c.Interactions, c.Promises)
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Finish(); err != nil {
			b.Fatal(err)
		}
		benchServer = s
	})
	if benchServer == nil {
		b.Fatal("benchmark base failed to load")
	}
	return benchServer
}

func BenchmarkHealthCheckBaseline(b *testing.B) {
	s := benchBase(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupKnownGRPC(b *testing.B) {
	s := benchBase(b)
	ctx := context.Background()
	reqs := make([]*herkenv1.LookupRequest, len(benchTyped))
	for i, n := range benchTyped {
		reqs[i] = &herkenv1.LookupRequest{Identifier: phone(n)}
	}
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := s.Recognition.Lookup(ctx, reqs[r.IntN(len(reqs))])
		if err != nil || resp.Outcome != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND {
			b.Fatalf("%v %v", resp.GetOutcome(), err)
		}
	}
}

// BenchmarkServiceLookup is the domain path alone: the phone fast path (or
// the parser) and one read transaction, no gRPC.
func BenchmarkServiceLookup(b *testing.B) {
	s := benchBase(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := s.Svc.LookupInput(ctx, identity.Input{Kind: identity.KindPhone, Value: benchTyped[r.IntN(len(benchTyped))]}, 10)
		if err != nil || res.Outcome != herken.MatchFound {
			b.Fatalf("%v %v", res.Outcome, err)
		}
	}
}

// BenchmarkServiceLookupNormalized leaves normalisation out: the store read.
func BenchmarkServiceLookupNormalized(b *testing.B) {
	s := benchBase(b)
	ctx := context.Background()
	ns := make([]identity.Normalized, len(benchTyped))
	for i, t := range benchTyped {
		ns[i], _ = s.Svc.Normalize(identity.Input{Kind: identity.KindPhone, Value: t})
	}
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if res, err := s.Svc.Lookup(ctx, ns[r.IntN(len(ns))], 10); err != nil || res.Outcome != herken.MatchFound {
			b.Fatalf("%v %v", res.Outcome, err)
		}
	}
}

// noCleanup is a testing.TB whose Cleanup does nothing.
type noCleanup struct{ testing.TB }

func (noCleanup) Cleanup(func()) {}
