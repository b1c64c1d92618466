package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/internal/demo"
	"github.com/herken/herken/internal/maintenance"
	"github.com/herken/herken/server"
	"github.com/herken/herken/store/badgerstore"
	"github.com/herken/herken/store/memstore"
	"github.com/herken/herken/store/pgstore"
)

// serveConfig is everything `herken serve` can be told.
type serveConfig struct {
	Addr            string
	DataDir         string
	InMemory        bool
	Store           string // badger, memory or postgres
	PostgresURL     string
	PostgresConns   int
	Region          string
	Demo            bool
	DemoSize        int
	SyncWrites      bool
	BlockCacheMB    int
	LogFormat       string
	LogLevel        string
	ShutdownTimeout time.Duration
	CallbackDue     time.Duration
	Maintenance     maintenance.Config
	DebugAddr       string
	MinFreeMB       int
	BlocklistFile   string
	// Production concerns, each in its own file with its own flags.
	Auth       authFlags       // auth_flags.go: keys file, insecure opt-out
	TLS        tlsFlags        // tls_flags.go: certificate, key, client CA
	Limits     limitFlags      // limit_flags.go: rate, streams, deadlines, connections
	Obs        obsFlags        // obs_flags.go: metrics address, slow-call log, tracing
	Audit      auditFlags      // audit_flags.go: audit on/off, flush interval, buffer
	Encryption encryptionFlags // encryption_flags.go: Badger encryption at rest
	HTTP       httpFlags       // http_flags.go: the HTTP/JSON gateway

	diskFree   func() (uint64, error) // tests: the data directory's free space; nil means statfs
	probeEvery time.Duration          // tests: store probe period; 0 means storeProbeInterval
}

func (c *serveConfig) addFlags(e *envFlags) {
	e.String(&c.Addr, "addr", "localhost:50051", "address to listen on")
	e.String(&c.DataDir, "data-dir", "./data", "Badger data directory (created if missing)")
	e.String(&c.Store, "store", "badger", "where customers are kept: badger (embedded, in --data-dir; the default), postgres (a PostgreSQL database at --postgres-url, which several herken replicas may share), or memory (nothing persisted)")
	e.String(&c.PostgresURL, "postgres-url", "", "with --store postgres: the database's URL or DSN, e.g. postgres://herken@db:5432/herken (a password is better in PGPASSWORD or ~/.pgpass than in the URL)")
	e.Int(&c.PostgresConns, "postgres-conns", 0, "with --store postgres: connections to the database at most; 0 means 8, or the number of cores where that is more")
	e.Bool(&c.InMemory, "in-memory", false, "the same as --store memory: nothing is persisted and everything is lost on exit (tests, throw-away demos); --data-dir, --min-free-mb, --sync-writes and --block-cache-mb are ignored")
	e.String(&c.Region, "region", "NL", "ISO 3166 region for phone numbers written without country code")
	e.Bool(&c.Demo, "demo", false, "seed the demo dataset when the store is empty")
	e.Int(&c.DemoSize, "demo-size", 300, "number of generated demo customers (besides the fixed fixtures)")
	e.Int(&c.MinFreeMB, "min-free-mb", badgerstore.DefaultMinFreeBytes>>20, "free space (MiB) the data directory's filesystem must keep: below it writes are refused (UNAVAILABLE/STORE_UNAVAILABLE) and health goes read-only; 0 turns this off")
	e.Bool(&c.SyncWrites, "sync-writes", true, "fsync every write so acknowledged writes survive a power loss")
	e.Int(&c.BlockCacheMB, "block-cache-mb", badgerstore.DefaultBlockCacheSize>>20, "Badger block cache size in MiB")
	e.String(&c.LogFormat, "log-format", "auto", "log format: json, text, or auto (text on a terminal, json otherwise)")
	e.String(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	e.Duration(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight RPCs may finish on shutdown")
	e.Duration(&c.CallbackDue, "callback-due", herken.DefaultCallbackDue, "due time of a CALLBACK promise created without one (IVR callback requests)")
	e.Duration(&c.Maintenance.PromiseGrace, "promise-grace", maintenance.DefaultPromiseGrace, "how long past due an OPEN promise stays open before the sweeper marks it BROKEN")
	e.Duration(&c.Maintenance.PromiseInterval, "promise-sweep-interval", maintenance.DefaultPromiseInterval, "how often the promise sweeper runs")
	e.Duration(&c.Maintenance.Retention, "retention", maintenance.DefaultRetention, "how long interactions are kept before the retention sweeper purges them")
	e.Duration(&c.Maintenance.RetentionInterval, "retention-sweep-interval", maintenance.DefaultRetentionInterval, "how often the retention sweeper runs")
	e.Duration(&c.Maintenance.AuditRetention, "audit-retention", maintenance.DefaultAuditRetention, "how long audit records (who read or changed a customer's data) are kept before the audit sweeper purges them; at least 24h")
	e.Duration(&c.Maintenance.AuditInterval, "audit-sweep-interval", maintenance.DefaultAuditInterval, "how often the audit sweeper runs")
	e.Int(&c.Maintenance.BatchLimit, "sweep-batch", maintenance.DefaultBatchLimit, "records each sweeper handles per run at most; while more are waiting, the next run follows a second later")
	e.String(&c.BlocklistFile, "blocklist-file", "", "file of placeholder identifiers to refuse and never match, on top of the shipped list: one rule a line, \"<kind> <regexp>\" with kind phone, email, social, external_id or postal_address, the regexp matching the whole canonical value (e.g. \"email .*@example\\.invalid\"); '#' starts a comment")
	c.Auth.addFlags(e)
	c.TLS.addFlags(e)
	c.Limits.addFlags(e)
	c.Obs.addFlags(e)
	c.Audit.addFlags(e)
	c.Encryption.addFlags(e)
	c.HTTP.addFlags(e)
	e.String(&c.DebugAddr, "debug-addr", "", "if set, serve Go's pprof profiles over HTTP on this loopback address (e.g. 127.0.0.1:6060); off by default")
}

func (c *serveConfig) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want host:port", c.Addr))
	}
	if c.InMemory {
		if c.Store != "badger" && c.Store != "memory" {
			errs = append(errs, fmt.Errorf("--in-memory and --store %s: choose one", c.Store))
		}
		c.Store = "memory"
	}
	switch c.Store {
	case "badger":
		if c.DataDir == "" {
			errs = append(errs, errors.New("--data-dir is required with --store badger"))
		}
	case "memory":
		c.InMemory = true
	case "postgres":
		if err := (pgstore.Options{URL: c.PostgresURL, MaxConns: int32(c.PostgresConns)}).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("--store postgres: %w (set --postgres-url or HERKEN_POSTGRES_URL)", err))
		}
	default:
		errs = append(errs, fmt.Errorf("--store %q: want badger, postgres or memory", c.Store))
	}
	if c.PostgresURL != "" && c.Store != "postgres" {
		errs = append(errs, errors.New("--postgres-url needs --store postgres"))
	}
	if _, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: c.Region}); err != nil {
		errs = append(errs, fmt.Errorf("--region %q: not a known phone region", c.Region))
	}
	if c.DemoSize < 0 || c.DemoSize > 100000 {
		errs = append(errs, errors.New("--demo-size must be between 0 and 100000"))
	}
	if c.MinFreeMB < 0 {
		errs = append(errs, errors.New("--min-free-mb must be 0 (off) or more"))
	}
	if c.BlockCacheMB < 1 {
		errs = append(errs, errors.New("--block-cache-mb must be at least 1"))
	}
	switch c.LogFormat {
	case "auto", "json", "text":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: want auto, json or text", c.LogFormat))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	if c.CallbackDue <= 0 || c.CallbackDue > 30*24*time.Hour {
		errs = append(errs, errors.New("--callback-due must be between 1ns and 720h"))
	}
	if err := c.Maintenance.Validate(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Auth.validate(c.Addr), c.TLS.validate(), c.Limits.validate(), c.Obs.validate(), c.Audit.validate(), c.Encryption.validate(c.Store), c.HTTP.validate(c.TLS))
	if c.DebugAddr != "" && !loopbackAddr(c.DebugAddr) {
		errs = append(errs, fmt.Errorf("--debug-addr %q: must be a loopback host:port (profiles are not for the network)", c.DebugAddr))
	}
	return errors.Join(errs...)
}

func newLogger(format, level string, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	var cfg serveConfig
	fs := flag.NewFlagSet("herken serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &envFlags{fs: fs}
	cfg.addFlags(e)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: herken serve [flags]\n\nRuns the herken gRPC server. Flags (each also settable by its environment variable):")
		fs.PrintDefaults()
	}
	if err := e.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log := newLogger(cfg.LogFormat, cfg.LogLevel, stderr)
	return runServer(ctx, cfg, log, nil)
}

// runServer runs until ctx is done. ready, if set, receives the listening
// address once the server is SERVING (tests use it).
func runServer(ctx context.Context, cfg serveConfig, log *slog.Logger, ready chan<- string) error {
	start := time.Now()
	// Before the store opens: a blocklist that does not read stops the start.
	blocklist, err := loadBlocklist(cfg.BlocklistFile)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing store", "error", err)
		}
	}()
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: cfg.Region})
	if err != nil {
		return err
	}
	svc := herken.NewService(store, norm, herken.ServiceConfig{CallbackDue: cfg.CallbackDue, Blocklist: blocklist})
	if cfg.Demo {
		if err := seedDemo(ctx, store, svc, cfg.DemoSize, log); err != nil {
			return err
		}
	}
	sweepers := maintenance.New(svc, cfg.Maintenance, log)
	if pg, ok := store.(*pgstore.Store); ok {
		// Replicas share the database: one of them runs the sweepers.
		leader := pg.SweepLeader()
		leadCtx, stopLeading := context.WithCancel(ctx)
		leadDone := make(chan struct{})
		go func() { leader.Run(leadCtx, sweepLeaderPeriod); close(leadDone) }()
		defer func() { stopLeading(); <-leadDone }()
		sweepers.LeadWith(leader.Held)
	}
	// Every production piece starts before gRPC serves, so a keys file,
	// certificate or metrics address that cannot be had stops the start.
	keys, err := cfg.Auth.keyring(log)
	if err != nil {
		return err
	}
	if keys != nil {
		defer keys.Close()
	}
	creds, err := cfg.TLS.credentials(log)
	if err != nil {
		return err
	}
	if keys != nil && creds == nil && !loopbackAddr(cfg.Addr) {
		log.Warn("API keys travel in clear text: serve with --tls-cert/--tls-key, or behind a proxy that terminates TLS on this host")
	}
	obs, err := cfg.Obs.start(log, sweepers.Status, store)
	if err != nil {
		return err
	}
	defer obs.close() // after the gRPC server stops (deferred later, runs earlier)
	auditRec, err := cfg.Audit.recorder(svc, log)
	if err != nil {
		return err
	}
	var auditor server.AuditRecorder
	if auditRec != nil {
		auditor = auditRec
		if obs.Metrics != nil {
			if err := obs.Metrics.WatchAudit(auditRec.Stats); err != nil {
				return err
			}
		}
		// Runs after the gRPC server has stopped and before the store
		// closes: a graceful stop loses no audit record.
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			if err := auditRec.Close(cctx); err != nil {
				log.Error("closing the audit recorder", "error", err)
			}
		}()
	}
	pop, err := cfg.HTTP.screenPop(cfg.TLS, cfg.Store == "postgres", log)
	if err != nil {
		return err
	}
	srv, err := server.New(svc, server.Config{
		ScreenPop: pop,
		Logger:    log, ShutdownTimeout: cfg.ShutdownTimeout, Maintenance: sweepers.Status,
		Limits: cfg.Limits.limits(), MaxRecvMsgBytes: cfg.Limits.MaxRecvBytes,
		Keys: keys, Creds: creds, Audit: auditor, Metrics: obs.Metrics, Tracing: obs.Tracing, SlowCall: obs.SlowCall,
	})
	if err != nil {
		return err
	}
	if obs.Metrics != nil {
		obs.Metrics.InitializeGRPC(srv.GRPC())
	}
	// Before gRPC serves: a debug address that cannot be had stops the start,
	// not a running server.
	if cfg.DebugAddr != "" {
		stopDebug, err := serveDebug(cfg.DebugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	lis, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	stopHTTP, err := cfg.HTTP.startGateway(ctx, srv, cfg.TLS, creds != nil, log)
	if err != nil {
		lis.Close()
		return fmt.Errorf("HTTP gateway: %w", err)
	}
	defer stopHTTP()
	lis = cfg.Limits.listener(lis)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(lis) }()
	health, probeErr := probeHealth(ctx, store)
	srv.SetHealth(health)
	if probeErr != nil {
		log.Error("store not fully healthy at startup", "health", health.String(), "error", probeErr)
	}
	where := slog.String("data_dir", cfg.DataDir)
	switch {
	case cfg.InMemory:
		where = slog.String("store", "memory, nothing persisted")
	case cfg.Store == "postgres":
		where = slog.String("store", "postgres")
	}
	log.Info("herken serving", "addr", lis.Addr().String(), "region", cfg.Region, "health", health.String(),
		"auth", keys != nil, "tls", creds != nil, "audit", auditRec != nil, "metrics_addr", cfg.Obs.MetricsAddr,
		"blocklist_rules", blocklist.Len(), where, "in_memory", cfg.InMemory, "startup", time.Since(start).Round(time.Millisecond).String())
	if ready != nil {
		ready <- lis.Addr().String()
	}
	probeEvery := cfg.probeEvery
	if probeEvery == 0 {
		probeEvery = storeProbeInterval
	}
	// The probe reads the store: stop it before the store closes.
	watchCtx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{})
	go func() {
		watchStore(watchCtx, store, srv, log, health, probeEvery)
		close(watchDone)
	}()
	defer func() {
		stopWatch()
		<-watchDone
	}()
	sweepCtx, stopSweeps := context.WithCancel(ctx)
	sweepsDone := make(chan struct{})
	go func() {
		sweepers.Run(sweepCtx)
		close(sweepsDone)
	}()
	// The sweepers write; stop them before the store closes.
	defer func() {
		stopSweeps()
		<-sweepsDone
	}()
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		srv.Shutdown()
		<-serveErr
		return nil
	case err := <-serveErr:
		return err
	}
}

// servedStore is what serve needs of a store: the Store, the health probe
// and, for --demo, whether it is empty.
type servedStore interface {
	herken.Store
	prober
	Empty(context.Context) (bool, error)
}

// openStore opens the store --store names: the Badger store at
// --data-dir, the PostgreSQL store at --postgres-url, or the memory store,
// which persists nothing. The Badger-only flags are ignored by the others.
func openStore(ctx context.Context, cfg serveConfig, log *slog.Logger) (servedStore, error) {
	switch {
	case cfg.InMemory || cfg.Store == "memory":
		log.Warn("in-memory store: nothing is persisted and every change is lost on exit; --data-dir, --min-free-mb, --sync-writes and --block-cache-mb are ignored")
		return memstore.New(memstore.Options{}), nil
	case cfg.Store == "postgres":
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := pgstore.Open(octx, pgstore.Options{URL: cfg.PostgresURL, MaxConns: int32(cfg.PostgresConns), Logger: log})
		if err != nil {
			return nil, fmt.Errorf("opening the PostgreSQL store: %w", err)
		}
		return s, nil
	}
	s, err := badgerstore.Open(badgerstore.Options{
		Dir: cfg.DataDir, SyncWrites: cfg.SyncWrites,
		BlockCacheSize: int64(cfg.BlockCacheMB) << 20, Logger: log,
		MinFreeBytes: minFreeBytes(cfg.MinFreeMB), DiskFree: cfg.diskFree,
		EncryptionKey: cfg.Encryption.Key(), Metrics: cfg.Obs.MetricsAddr != "",
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// sweepLeaderPeriod is how often a PostgreSQL replica tries to take the
// sweep lock (or checks it still holds it): a dead leader's work is taken
// over within about this long.
const sweepLeaderPeriod = 2 * time.Second

// minFreeBytes is badgerstore's MinFreeBytes for --min-free-mb (0: off).
func minFreeBytes(mb int) int64 {
	if mb == 0 {
		return -1
	}
	return int64(mb) << 20
}

// storeProbeInterval is how often watchStore probes the store: a point
// read and a statfs, cheap enough to run every second.
const storeProbeInterval = time.Second

// prober is what watchStore probes: *badgerstore.Store or *memstore.Store.
type prober interface {
	Ping(context.Context) error // can the store serve reads?
	Writable() error            // does it take writes (free-space reserve)?
}

// probeHealth is the health the store's state calls for.
func probeHealth(ctx context.Context, store prober) (server.Health, error) {
	if err := store.Ping(ctx); err != nil {
		return server.NotServing, err
	}
	if err := store.Writable(); err != nil {
		return server.ReadOnly, err
	}
	return server.Serving, nil
}

// watchStore keeps health in step with the store, from state now on:
// NOT_SERVING while it cannot be read and read-only while it refuses writes
// (see server.ReadOnly), so load balancers and PBX integrations fail over.
// It probes the store once per period every.
func watchStore(ctx context.Context, store prober, srv *server.Server, log *slog.Logger, now server.Health, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h, err := probeHealth(ctx, store)
		if h == now || ctx.Err() != nil {
			continue
		}
		now = h
		srv.SetHealth(h)
		switch h {
		case server.Serving:
			log.Info("store healthy; SERVING")
		case server.ReadOnly:
			log.Error("store refuses writes; health NOT_SERVING except the read-only services", "error", err)
		default:
			log.Error("store unhealthy; NOT_SERVING", "error", err)
		}
	}
}

func seedDemo(ctx context.Context, store servedStore, svc *herken.Service, n int, log *slog.Logger) error {
	// Replicas started together on one database must not both find it
	// empty and both seed it.
	if ex, ok := store.(interface {
		Exclusively(ctx context.Context, fn func() error) error
	}); ok {
		return ex.Exclusively(ctx, func() error { return seedDemoOnce(ctx, store, svc, n, log) })
	}
	return seedDemoOnce(ctx, store, svc, n, log)
}

func seedDemoOnce(ctx context.Context, store servedStore, svc *herken.Service, n int, log *slog.Logger) error {
	empty, err := store.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		log.Info("store has data; not seeding the demo dataset")
		return nil
	}
	start := time.Now()
	stats, err := demo.Seed(ctx, svc, n, 1, time.Now())
	if err != nil {
		return fmt.Errorf("seeding demo data: %w", err)
	}
	log.Info("seeded demo dataset", "customers", stats.Customers, "identifiers", stats.Identifiers,
		"interactions", stats.Interactions, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// loadBlocklist is the shipped blocklist extended by the rules in path
// (--blocklist-file; "" adds none). Errors name the flag, the file and the
// line.
func loadBlocklist(path string) (*identity.Blocklist, error) {
	base := identity.DefaultBlocklist()
	if path == "" {
		return base, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--blocklist-file: %w", err)
	}
	defer f.Close()
	more, err := identity.ParseBlocklist(f)
	if err != nil {
		return nil, fmt.Errorf("--blocklist-file %s: %w", path, err)
	}
	return base.Extend(more), nil
}
