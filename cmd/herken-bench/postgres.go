package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/herken/herken/internal/pgtest"
	"github.com/herken/herken/internal/synth"
	"github.com/herken/herken/store/pgstore"
)

// pgReport is the PostgreSQL store's part of a run: the same base loaded
// with COPY, and the closed-loop Lookup phases beside Badger's.
type pgReport struct {
	Server   string // what PostgreSQL ran with
	Load     time.Duration
	Stats    pgstore.LoadStats
	DBSize   int64
	Phases   []phaseResult
	Settings []string
}

// benchPostgres loads ds's base into PostgreSQL (a throwaway server in dir
// unless -postgres-url names one) and measures the empty RPC and Lookup of
// a known number at every closed-loop concurrency, as the main phases do
// on Badger. PostgreSQL's own processes share the machine: their CPU is
// the store's, so phases are not repeated for it (quiet).
func benchPostgres(ctx context.Context, cfg config, herken, dir string, ds *dataset, log io.Writer) (*pgReport, error) {
	rep := &pgReport{}
	cfg.httpAddr = "" // this server serves gRPC only
	url := cfg.PostgresURL
	if url == "" {
		// A quarter of a small server's memory for PostgreSQL's own
		// cache, as PostgreSQL's tuning guides start from.
		srv, err := pgtest.Start(dir, "shared_buffers=2GB", "effective_cache_size=8GB")
		if err != nil {
			return nil, fmt.Errorf("starting a throwaway PostgreSQL (or give -postgres-url): %w", err)
		}
		defer srv.Stop()
		if url, err = srv.CreateDatabase(ctx); err != nil {
			return nil, err
		}
		rep.Server = "a throwaway PostgreSQL on loopback TCP started by the bench (internal/pgtest: fsync off, shared_buffers 2GB)"
	} else {
		rep.Server = "the PostgreSQL at -postgres-url"
	}
	store, err := pgstore.Open(ctx, pgstore.Options{URL: url})
	if err != nil {
		return nil, err
	}
	var version string
	_ = store.Pool().QueryRow(ctx, `SELECT version()`).Scan(&version)
	rep.Server += "; " + strings.SplitN(version, " on ", 2)[0]
	l, err := store.NewLoader(ctx)
	if err != nil {
		store.Close()
		return nil, err
	}
	fmt.Fprintf(log, "herken-bench: loading %d customers into PostgreSQL with COPY\n", ds.Customers)
	start := time.Now()
	last := start
	err = synth.Generate(synth.Config{Customers: ds.Customers, Seed: ds.Seed, Now: start}, func(i int, c synth.Customer) error {
		if now := time.Now(); now.Sub(last) >= 10*time.Second {
			last = now
			fmt.Fprintf(log, "herken-bench:   %d customers into PostgreSQL, %.0f/s\n", i+1, float64(i+1)/now.Sub(start).Seconds())
		}
		return l.Add(c.Customer, c.Interactions, c.Promises)
	})
	if err == nil {
		rep.Stats, err = l.Finish()
	}
	rep.Load = time.Since(start)
	if err == nil {
		err = store.Pool().QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&rep.DBSize)
	}
	store.Close()
	if err != nil {
		return nil, fmt.Errorf("loading PostgreSQL: %w", err)
	}
	fmt.Fprintf(log, "herken-bench: PostgreSQL loaded in %s (%s on disk)\n", rep.Load.Round(time.Second), mib(rep.DBSize))

	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--addr", addr, "--no-rate-limit", "--audit=false", "--log-level", "warn",
		"--store", "postgres", "--postgres-url", url}, cfg.ServerArgs...)
	rep.Settings = args
	srv, _, err := startServer(ctx, herken, args, addr, log)
	if err != nil {
		return nil, fmt.Errorf("starting herken serve --store postgres: %w", err)
	}
	defer srv.kill()
	d, err := newDriver(addr, srv.cmd.Process.Pid, cfg, ds)
	if err != nil {
		return nil, err
	}
	defer d.close()
	if err := d.preflight(ctx); err != nil {
		return nil, fmt.Errorf("preflight on PostgreSQL: %w", err)
	}
	if err := d.warmup(ctx, cfg.Warmup); err != nil {
		return nil, err
	}
	for r := range cfg.Reps {
		for _, c := range cfg.InFlight {
			for _, k := range []kind{kindBaseline, kindKnown} {
				if err := ctx.Err(); err != nil {
					return rep, err
				}
				res := d.closed(ctx, k, c, cfg.PhaseDuration)
				res.Rep = r + 1
				rep.Phases = append(rep.Phases, res)
				fmt.Fprintf(log, "herken-bench: PostgreSQL rep %d, %2d in flight, %-22s %s\n", r+1, c, k.name(), res.brief())
			}
		}
	}
	d.close()
	if err := srv.stop(15 * time.Second); err != nil {
		fmt.Fprintln(log, "herken-bench: herken serve on PostgreSQL did not stop cleanly:", err)
	}
	return rep, nil
}

// markdownPostgres is the side-by-side table: Lookup of a known number on
// Badger and on PostgreSQL, each with its ratio to the empty RPC of the
// same server, and the two targets.
func (r *report) markdownPostgres(b *strings.Builder) {
	pg := r.Postgres
	if pg == nil {
		return
	}
	badger, post := r.rows(), (&report{Phases: pg.Phases}).rows()
	fmt.Fprintf(b, "\n### Lookup on PostgreSQL beside Badger\n\n")
	fmt.Fprintf(b, "The same %s customers loaded into %s with COPY in %s (%s customers/s; %s on disk). `herken %s`. PostgreSQL runs on the same 2 cores as herken and the bench client: its CPU is in every number below.\n\n",
		commas(float64(pg.Stats.Customers)), pg.Server, pg.Load.Round(time.Second),
		commas(float64(pg.Stats.Customers)/pg.Load.Seconds()), mib(pg.DBSize), strings.Join(pg.Settings, " "))
	b.WriteString("| in flight | Badger calls/s | Badger p50 ms | Badger p99 ms | PostgreSQL calls/s | PostgreSQL p50 ms | PostgreSQL p99 ms | PG ×empty RPC p50 | PG ×empty RPC p99 | PG/Badger calls/s | errors |\n")
	b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range r.Config.InFlight {
		bk, pk, pe := findRow(badger, kindKnown, c, false), findRow(post, kindKnown, c, false), findRow(post, kindBaseline, c, false)
		if pk == nil || pe == nil {
			continue
		}
		bRate, bP50, bP99, ratio := "–", "–", "–", "–"
		if bk != nil {
			bRate, bP50, bP99 = commas(bk.Rate), ms(bk.P50), ms(bk.P99)
			ratio = fmt.Sprintf("%.2f", pk.Rate/bk.Rate)
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %.1f | %.1f | %s | %d |\n", c, bRate, bP50, bP99,
			commas(pk.Rate), ms(pk.P50), ms(pk.P99), float64(pk.P50)/float64(pe.P50), float64(pk.P99)/float64(pe.P99), ratio, pk.Errors+pk.Wrong)
	}
	b.WriteString("\n")
	if p1 := findRow(post, kindKnown, 1, false); p1 != nil {
		fmt.Fprintf(b, "- Target: Lookup p99 ≤ 2 ms at 1 in flight on PostgreSQL: %s ms, **%s**.\n", ms(p1.P99), verdict(p1.P99 <= 2*time.Millisecond))
	}
	if p64, b64 := findRow(post, kindKnown, 64, false), findRow(badger, kindKnown, 64, false); p64 != nil && b64 != nil {
		fmt.Fprintf(b, "- Target: PostgreSQL ≥ 0.5 × Badger's Lookup throughput at 64 in flight: %.2f ×, **%s**.\n", p64.Rate/b64.Rate, verdict(p64.Rate >= 0.5*b64.Rate))
	}
}

// markdownHTTP compares Lookup over the HTTP/JSON gateway with Lookup over
// gRPC on the same server, same numbers, same phases: what the gateway's
// in-process hop and JSON cost.
func (r *report) markdownHTTP(b *strings.Builder) {
	rows := r.rows()
	var lines []string
	for _, c := range r.Config.InFlight {
		g, h := findRow(rows, kindKnown, c, false), findRow(rows, kindHTTP, c, false)
		if g == nil || h == nil || g.P50 == 0 || g.Rate == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("| %d | %s | %s / %s | %s | %s / %s | %.2f | %.2f | %.2f |", c,
			commas(g.Rate), ms(g.P50), ms(g.P99), commas(h.Rate), ms(h.P50), ms(h.P99),
			float64(h.P50)/float64(g.P50), float64(h.P99)/float64(g.P99), h.Rate/g.Rate))
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n### Lookup over HTTP/JSON beside gRPC\n\n`GET /v1/lookup?phone=` through the gateway (`--http-addr`: one in-process gRPC hop, JSON both ways) against gRPC Lookup of the same numbers, same server, same run.\n\n")
	b.WriteString("| in flight | gRPC calls/s | gRPC p50 / p99 ms | HTTP calls/s | HTTP p50 / p99 ms | HTTP/gRPC p50 | HTTP/gRPC p99 | HTTP/gRPC calls/s |\n|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	b.WriteString(strings.Join(lines, "\n") + "\n")

	lines = lines[:0]
	for _, c := range r.Config.InFlight {
		g, p := findRow(rows, kindKnown, c, false), findRow(rows, kindScreenPop, c, false)
		if g == nil || p == nil || g.P50 == 0 || g.Rate == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("| %d | %s / %s | %s | %s / %s | %.2f | %.2f | %.2f |", c,
			ms(g.P50), ms(g.P99), commas(p.Rate), ms(p.P50), ms(p.P99),
			float64(p.P50)/float64(g.P50), float64(p.P99)/float64(g.P99), p.Rate/g.Rate))
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n### The screen pop page beside gRPC Lookup\n\n`GET /screen-pop/{token}` of a known caller (links asked for before the phase, 2,048 cycled): the link opened, the screen pop read (Lookup, broken promises, unanswered feedback), audited, and the HTML rendered, against gRPC Lookup, same server, same run.\n\n")
	b.WriteString("| in flight | gRPC Lookup p50 / p99 ms | page views/s | page p50 / p99 ms | page/Lookup p50 | page/Lookup p99 | page/Lookup calls/s |\n|--:|--:|--:|--:|--:|--:|--:|\n")
	b.WriteString(strings.Join(lines, "\n") + "\n")
}
