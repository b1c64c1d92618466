// Command herken-bench is the load benchmark behind `make bench`. As a
// command it may import every herken package it drives.
//
// It generates a synthetic customer base (internal/synth), bulk-loads it
// into a Badger store in-process (the Loader), starts the real `herken
// serve` binary on that store as a separate process on 127.0.0.1 and drives
// it over gRPC:
//
//   - closed loop at 1, 8 and 64 calls in flight, alternating phases of an
//     empty RPC (grpc.health.v1.Health/Check on the same server, the
//     baseline), Lookup of known mobile numbers in the three forms agents and
//     PBXs type them, Lookup of unknown numbers, Lookup by email and Resolve
//     with a mobile number and an email of one customer; every phase is
//     repeated (-reps) and medians are reported;
//   - open loop at 50% of the measured maximum Lookup rate: sends at a fixed
//     arrival rate, latency measured from the scheduled send time so that
//     queueing is not hidden; the empty RPC at the same rate is its baseline.
//
// It reports calls/s, p50, p99 and p99.9 per phase and their ratio to the
// baseline of the same run, the load rate, the store size, the server's
// peak RSS and the time from exec to SERVING, checks the targets of the
// issue, prints a markdown report and writes it to -out.
//
// Only loopback traffic; every loop is bounded by time and by count; the
// server is stopped on every exit path (and dies with the harness).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is everything herken-bench can be told.
type config struct {
	Customers     int
	Seed          uint64
	DataDir       string
	Keep          bool
	Reuse         bool
	Herken        string
	ServerArgs    []string
	PhaseDuration time.Duration
	Warmup        time.Duration
	Reps          int
	InFlight      []int
	Conns         int
	OpenFraction  float64
	OpenWorkers   int
	Starts        int
	SettleTimeout time.Duration
	LoadProfile   string
	MaxOtherCPU   float64
	Out           string
	Stacks        bool
	Main          bool
	Imports       bool
	ImportRows    int
	WriteCSV      string
	Postgres      bool
	PostgresURL   string

	httpAddr string // the main server's HTTP/JSON gateway (set by bench)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("herken-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var inFlight, serverArgs string
	fs.IntVar(&c.Customers, "customers", 1_000_000, "customers in the synthetic base")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the synthetic base and of the request mix")
	fs.StringVar(&c.DataDir, "data-dir", "", "working directory for the store (default: a new temporary directory, removed at the end unless -keep)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the temporary data directory")
	fs.BoolVar(&c.Reuse, "reuse", false, "skip generation and load if -data-dir already holds a complete load of the same size and seed")
	fs.StringVar(&c.Herken, "herken", "bin/herken", "the herken binary to start (make bench builds it first)")
	fs.StringVar(&serverArgs, "server-args", "", "extra flags for `herken serve`, space separated (e.g. \"--block-cache-mb=64\")")
	fs.DurationVar(&c.PhaseDuration, "phase-duration", 3*time.Second, "duration of each closed-loop phase (open-loop phases run twice as long)")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "warm-up before the measured phases (discarded)")
	fs.IntVar(&c.Reps, "reps", 3, "repetitions of every phase; medians are reported")
	fs.StringVar(&inFlight, "concurrency", "1,8,64", "calls in flight of the closed-loop phases, comma separated")
	fs.IntVar(&c.Conns, "conns", 4, "gRPC connections the calls are spread over")
	fs.Float64Var(&c.OpenFraction, "open-fraction", 0.5, "open-loop rate as a fraction of the maximum Lookup rate measured")
	fs.IntVar(&c.OpenWorkers, "open-workers", 512, "most calls in flight in the open-loop phases (later sends wait, and their wait counts)")
	fs.IntVar(&c.Starts, "starts", 3, "server starts timed from exec to SERVING (the last one serves the benchmark)")
	fs.DurationVar(&c.SettleTimeout, "settle-timeout", 10*time.Minute, "how long the server may stay busy (compacting the new store) after SERVING before the phases start")
	fs.StringVar(&c.LoadProfile, "load-cpuprofile", "", "write a CPU profile of the generation and load step (this process) to this file")
	fs.Float64Var(&c.MaxOtherCPU, "max-other-cpu", 0.25, "repeat a phase (twice at most) during which other processes used more than this many cores")
	fs.BoolVar(&c.Main, "main", true, "run the main closed- and open-loop phases (-main=false with -stacks measures the production stack alone)")
	fs.BoolVar(&c.Stacks, "stacks", true, "after the main phases, compare the bare server with audit on and with the production stack (API keys, TLS, audit, metrics, rate limits), and measure a misbehaving neighbour")
	fs.BoolVar(&c.Imports, "imports", true, "at the end, time `herken import` of a CRM CSV offline (--data-dir) and online (ImportCustomers), with the loader's peak RSS")
	fs.StringVar(&c.WriteCSV, "write-csv", "", "only write the import benchmark's CSV (-import-rows rows of a Dutch CRM export: ';', BOM, CRLF, ~1% bad rows) to this file, and exit")
	fs.IntVar(&c.ImportRows, "import-rows", 0, "rows of the import benchmark's file (default: -customers)")
	fs.BoolVar(&c.Postgres, "postgres", true, "after the main phases, load the same base into PostgreSQL with COPY and measure Lookup at the same concurrencies beside Badger (a throwaway server from the installed PostgreSQL, or -postgres-url)")
	fs.StringVar(&c.PostgresURL, "postgres-url", "", "with -postgres: an empty PostgreSQL database to use instead of a throwaway server")
	fs.StringVar(&c.Out, "out", "", "results file (default bench-results/<timestamp>.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: herken-bench [flags]\n\nLoad benchmark of herken: synthetic base, bulk load, `herken serve` on loopback, closed- and open-loop phases. Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("herken-bench takes no arguments, got %q", fs.Args())
	}
	c.ServerArgs = strings.Fields(serverArgs)
	var errs []error
	for _, f := range strings.Split(inFlight, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 4096 {
			errs = append(errs, fmt.Errorf("-concurrency: %q is not a number between 1 and 4096", f))
			continue
		}
		c.InFlight = append(c.InFlight, n)
	}
	if c.Customers < 100 || c.Customers > 50_000_000 {
		errs = append(errs, errors.New("-customers must be between 100 and 50,000,000"))
	}
	if c.PhaseDuration < 10*time.Millisecond || c.PhaseDuration > 10*time.Minute {
		errs = append(errs, errors.New("-phase-duration must be between 10ms and 10m"))
	}
	if c.Warmup < 0 || c.Warmup > 10*time.Minute {
		errs = append(errs, errors.New("-warmup must be between 0 and 10m"))
	}
	if c.Reps < 1 || c.Reps > 100 {
		errs = append(errs, errors.New("-reps must be between 1 and 100"))
	}
	if c.Conns < 1 || c.Conns > 64 {
		errs = append(errs, errors.New("-conns must be between 1 and 64"))
	}
	if c.OpenFraction <= 0 || c.OpenFraction > 2 {
		errs = append(errs, errors.New("-open-fraction must be in (0, 2]"))
	}
	if c.OpenWorkers < 1 || c.OpenWorkers > 10_000 {
		errs = append(errs, errors.New("-open-workers must be between 1 and 10000"))
	}
	if c.MaxOtherCPU < 0 || c.MaxOtherCPU > 1024 {
		errs = append(errs, errors.New("-max-other-cpu must be between 0 and 1024"))
	}
	if c.SettleTimeout <= 0 {
		errs = append(errs, errors.New("-settle-timeout must be positive"))
	}
	if c.Starts < 1 || c.Starts > 20 {
		errs = append(errs, errors.New("-starts must be between 1 and 20"))
	}
	if c.Keep && c.DataDir != "" {
		errs = append(errs, errors.New("-keep applies to the temporary directory only; a -data-dir is always kept"))
	}
	if c.ImportRows == 0 {
		c.ImportRows = c.Customers
	}
	if c.ImportRows < 100 || c.ImportRows > 50_000_000 {
		errs = append(errs, errors.New("-import-rows must be between 100 and 50,000,000"))
	}
	if c.Reuse && c.DataDir == "" {
		errs = append(errs, errors.New("-reuse needs -data-dir"))
	}
	return c, errors.Join(errs...)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "herken-bench:", err)
		return 2
	}
	if cfg.WriteCSV != "" {
		if err := writeCSV(cfg.WriteCSV, cfg.ImportRows, cfg.Seed); err != nil {
			fmt.Fprintln(stderr, "herken-bench:", err)
			return 1
		}
		return 0
	}
	rep, err := bench(ctx, cfg, stderr)
	if rep != nil {
		md := rep.markdown(false)
		fmt.Fprint(stdout, md)
		if werr := writeReport(cfg.Out, rep, stderr); werr != nil {
			fmt.Fprintln(stderr, "herken-bench: writing the results file:", werr)
			if err == nil {
				err = werr
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "herken-bench: FAIL:", err)
		return 1
	}
	return 0
}

// quiet runs a phase again (twice at most, after a pause) when other
// processes took more than -max-other-cpu cores during it: on a shared
// machine that phase measured them as much as herken.
func quiet(ctx context.Context, cfg config, log io.Writer, phase func() phaseResult) phaseResult {
	var res phaseResult
	for attempt := range 3 {
		res = phase()
		res.Attempts = attempt + 1
		if !res.CPU.Valid || res.CPU.Other <= cfg.MaxOtherCPU || ctx.Err() != nil {
			return res
		}
		fmt.Fprintf(log, "herken-bench: other processes used %.2f cores during %s (%s); ", res.CPU.Other, res.Kind.name(), res.Label)
		if attempt == 2 {
			fmt.Fprintln(log, "keeping the third attempt, marked noisy")
			res.Noisy = true
			return res
		}
		fmt.Fprintln(log, "repeating it in 2s")
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	return res
}

func writeReport(out string, rep *report, log io.Writer) error {
	if out == "" {
		out = filepath.Join("bench-results", rep.Started.Format("20060102-150405")+".md")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(rep.markdown(true)), 0o644); err != nil {
		return err
	}
	rep.OutPath = out
	fmt.Fprintln(log, "herken-bench: results written to", out)
	return nil
}

// bench runs the whole benchmark. It returns the report so far also when
// it fails after the phases started, so what was measured is not lost.
func bench(ctx context.Context, cfg config, log io.Writer) (*report, error) {
	log = &syncWriter{w: log}
	rep := &report{Started: time.Now(), Config: cfg, Machine: describeMachine(), LoadAvg: loadAverage()}
	herken, err := filepath.Abs(cfg.Herken)
	if err == nil {
		_, err = os.Stat(herken)
	}
	if err != nil {
		return nil, fmt.Errorf("-herken %s: %w (build it with `make build`)", cfg.Herken, err)
	}
	rep.HerkenVersion = binaryVersion(herken)

	dir := cfg.DataDir
	if dir == "" {
		dir, err = os.MkdirTemp("", "herken-bench-*")
		if err != nil {
			return nil, err
		}
		if cfg.Keep {
			fmt.Fprintln(log, "herken-bench: keeping the data in", dir)
		} else {
			defer os.RemoveAll(dir)
		}
	}

	ds, err := prepareDataset(ctx, cfg, dir, log)
	if err != nil {
		return nil, err
	}
	rep.Load = ds.Load
	rep.StoreSize, err = diskUsage(ds.StoreDir)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "herken-bench: store %s on disk (%s apparent)\n", mib(rep.StoreSize.Allocated), mib(rep.StoreSize.Apparent))
	// The loader's index map is garbage now; the harness shares the CPUs
	// with the server, so it collects rarely from here on.
	debug.FreeOSMemory()
	debug.SetGCPercent(400)

	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	// The main phases measure the bare server (no rate limit, no audit), as
	// before the production issue; the stacks compare it with the rest.
	baseArgs := append([]string{"--data-dir", ds.StoreDir, "--log-level", "warn", "--sync-writes=false"}, cfg.ServerArgs...)
	httpAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	cfg.httpAddr = httpAddr
	serverArgs := append([]string{"serve", "--addr", addr, "--http-addr", httpAddr, "--no-rate-limit", "--audit=false"}, baseArgs...)
	rep.ServerArgs = serverArgs
	var srv *serverProc
	defer func() {
		if srv != nil {
			srv.kill()
		}
	}()
	for i := range cfg.Starts {
		p, took, err := startServer(ctx, herken, serverArgs, addr, log)
		if err != nil {
			return nil, fmt.Errorf("starting herken serve: %w", err)
		}
		rep.Starts = append(rep.Starts, took)
		fmt.Fprintf(log, "herken-bench: start %d: SERVING after %s\n", i+1, took.Round(time.Millisecond))
		if i < cfg.Starts-1 {
			if err := p.stop(15 * time.Second); err != nil {
				return nil, fmt.Errorf("stopping herken serve after start %d: %w", i+1, err)
			}
			continue
		}
		srv = p
	}
	if m, err := srv.memory(); err == nil {
		rep.MemAfterStart = m
	}
	took, cpu, err := srv.settle(ctx, cfg.SettleTimeout, 0.05)
	if err != nil {
		return nil, fmt.Errorf("waiting for the server to settle: %w", err)
	}
	rep.Settle, rep.SettleCPU = took, cpu
	fmt.Fprintf(log, "herken-bench: server idle %s after SERVING (%.1f CPU-seconds of background work meanwhile)\n", took.Round(time.Second), cpu)
	if m, err := srv.memory(); err == nil {
		rep.MemSettled = m
	}
	if err := srv.resetPeak(); err != nil {
		rep.Notes = append(rep.Notes, "could not reset the server's VmHWM after settling ("+err.Error()+"); peak RSS includes start-up")
	}

	d, err := newDriver(addr, srv.cmd.Process.Pid, cfg, ds)
	if err != nil {
		return nil, err
	}
	defer d.close()
	if err := d.preflight(ctx); err != nil {
		return nil, fmt.Errorf("preflight: %w", err)
	}
	fmt.Fprintln(log, "herken-bench: preflight passed (known numbers FOUND in all typed forms, unknown NOT_FOUND, email FOUND, Resolve MATCHED)")

	if err := d.warmup(ctx, cfg.Warmup); err != nil {
		return nil, err
	}
	if cfg.Main {
		total := cfg.Reps * len(cfg.InFlight) * len(kinds)
		n := 0
		for r := range cfg.Reps {
			for _, c := range cfg.InFlight {
				for _, k := range kinds {
					if err := ctx.Err(); err != nil {
						return rep, err
					}
					res := quiet(ctx, cfg, log, func() phaseResult { return d.closed(ctx, k, c, cfg.PhaseDuration) })
					res.Rep = r + 1
					rep.Phases = append(rep.Phases, res)
					n++
					fmt.Fprintf(log, "herken-bench: [%d/%d] rep %d, %2d in flight, %-22s %s\n", n, total, r+1, c, k.name(), res.brief())
				}
			}
		}
		maxRate := rep.maxLookupRate()
		rate := cfg.OpenFraction * maxRate
		rep.OpenRate = rate
		for r := range cfg.Reps {
			for _, k := range []kind{kindBaseline, kindKnown} {
				if err := ctx.Err(); err != nil {
					return rep, err
				}
				res := quiet(ctx, cfg, log, func() phaseResult { return d.open(ctx, k, rate, 2*cfg.PhaseDuration, cfg.OpenWorkers) })
				res.Rep = r + 1
				rep.Phases = append(rep.Phases, res)
				fmt.Fprintf(log, "herken-bench: open loop rep %d at %.0f/s, %-22s %s\n", r+1, rate, k.name(), res.brief())
			}
		}
	}
	if m, err := srv.memory(); err == nil {
		rep.MemAtEnd = m
	} else {
		fmt.Fprintln(log, "herken-bench: reading the server's memory:", err)
	}
	d.close()
	stopErr := srv.stop(15 * time.Second)
	srv = nil
	if stopErr != nil {
		rep.Notes = append(rep.Notes, "herken serve did not stop cleanly: "+stopErr.Error())
	}
	if cfg.Postgres {
		rep.Postgres, err = benchPostgres(ctx, cfg, herken, dir, ds, log)
		if err != nil {
			return rep, fmt.Errorf("PostgreSQL: %w", err)
		}
	}
	if cfg.Stacks {
		rep.Stacks, rep.Neighbours, err = benchStacks(ctx, cfg, herken, ds, baseArgs, log)
		if err != nil {
			return rep, fmt.Errorf("production stack: %w", err)
		}
	}
	if sz, err := diskUsage(ds.StoreDir); err == nil {
		rep.StoreSizeAfter = sz
	}
	if cfg.Imports {
		rep.Imports, err = benchImports(ctx, cfg, herken, dir, log)
		if err != nil {
			return rep, fmt.Errorf("import benchmark: %w", err)
		}
	}
	rep.Finished = time.Now()
	return rep, rep.failures()
}
