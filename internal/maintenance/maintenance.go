// Package maintenance runs herken's background sweepers: OPEN promises past
// due plus a grace period become BROKEN, interactions older than the
// retention period are purged (AVG/GDPR: keep personal data no longer than
// needed), and so are audit records older than the audit retention. Each
// run does bounded work; a backlog drains over several runs.
// It imports only the standard library: the sweeps are functions it is given.
package maintenance

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Config configures the sweepers. Zero fields take the defaults.
type Config struct {
	PromiseInterval   time.Duration // how often the promise sweeper runs; default 1m
	PromiseGrace      time.Duration // how long past due an OPEN promise may stay open; default 1h
	RetentionInterval time.Duration // how often the retention sweeper runs; default 1h
	Retention         time.Duration // how long interactions are kept; default 2 years (730 days)
	AuditInterval     time.Duration // how often the audit sweeper runs; default 1h
	AuditRetention    time.Duration // how long audit records are kept; default herken.DefaultAuditRetention (400 days)
	BatchLimit        int           // records per run and sweeper; default 1000
}

// Defaults.
const (
	DefaultPromiseInterval   = time.Minute
	DefaultPromiseGrace      = time.Hour
	DefaultRetentionInterval = time.Hour
	DefaultRetention         = 730 * 24 * time.Hour
	DefaultBatchLimit        = 1000
	DefaultAuditInterval     = DefaultRetentionInterval
	// DefaultAuditRetention is herken.DefaultAuditRetention (a test holds
	// them equal; this package imports only the standard library).
	DefaultAuditRetention = 400 * 24 * time.Hour
)

// Validate fills defaults and rejects nonsense.
func (c *Config) Validate() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.PromiseInterval, DefaultPromiseInterval)
	def(&c.PromiseGrace, DefaultPromiseGrace)
	def(&c.RetentionInterval, DefaultRetentionInterval)
	def(&c.Retention, DefaultRetention)
	def(&c.AuditInterval, DefaultAuditInterval)
	def(&c.AuditRetention, DefaultAuditRetention)
	if c.BatchLimit == 0 {
		c.BatchLimit = DefaultBatchLimit
	}
	var errs []error
	if c.PromiseInterval < time.Second || c.RetentionInterval < time.Second || c.AuditInterval < time.Second {
		errs = append(errs, errors.New("sweeper intervals must be at least 1s"))
	}
	if c.PromiseGrace < 0 {
		errs = append(errs, errors.New("promise grace must not be negative"))
	}
	if c.Retention < 24*time.Hour {
		errs = append(errs, errors.New("retention must be at least 24h"))
	}
	if c.AuditRetention < 24*time.Hour {
		errs = append(errs, errors.New("audit retention must be at least 24h"))
	}
	if c.BatchLimit < 1 || c.BatchLimit > 100000 {
		errs = append(errs, errors.New("batch limit must be between 1 and 100000"))
	}
	return errors.Join(errs...)
}

// Sweeps is what the runner calls: the domain service's sweepers.
type Sweeps interface {
	SweepPromises(ctx context.Context, grace time.Duration, limit int) (int, bool, error)
	PurgeHistory(ctx context.Context, retention time.Duration, limit int) (int, bool, error)
	PurgeAudit(ctx context.Context, retention time.Duration, limit int) (int, bool, error)
}

// Status is what one sweeper did.
type Status struct {
	Interval    time.Duration
	Threshold   time.Duration // grace, retention or audit retention
	LastRun     time.Time
	LastCount   int64
	LastLimited bool
	Total       int64
	FailedRuns  int64
}

// Runner runs the sweepers on their intervals.
type Runner struct {
	sweeps Sweeps
	cfg    Config
	log    *slog.Logger

	// backlogPause is how soon a sweeper that stopped at its batch limit
	// runs again: a backlog drains batch by batch, not one batch per
	// interval (1000 an hour would never keep up with a large store).
	backlogPause time.Duration
	lead         func(context.Context) bool // nil: always

	mu        sync.Mutex
	promises  Status
	retention Status
	audit     Status
}

// New returns a Runner; cfg must be valid (Validate).
func New(s Sweeps, cfg Config, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Configs validated before the audit sweeper existed leave its fields
	// zero (a zero interval would panic the ticker).
	if cfg.AuditInterval <= 0 {
		cfg.AuditInterval = DefaultAuditInterval
	}
	if cfg.AuditRetention <= 0 {
		cfg.AuditRetention = DefaultAuditRetention
	}
	return &Runner{
		sweeps: s, cfg: cfg, log: log, backlogPause: time.Second,
		promises:  Status{Interval: cfg.PromiseInterval, Threshold: cfg.PromiseGrace},
		retention: Status{Interval: cfg.RetentionInterval, Threshold: cfg.Retention},
		audit:     Status{Interval: cfg.AuditInterval, Threshold: cfg.AuditRetention},
	}
}

// Run runs the sweepers until ctx is done, each once at start and then on
// its interval, or after backlogPause while it reports more waiting.
func (r *Runner) Run(ctx context.Context) {
	pt := time.NewTicker(r.cfg.PromiseInterval)
	defer pt.Stop()
	rt := time.NewTicker(r.cfg.RetentionInterval)
	defer rt.Stop()
	at := time.NewTicker(r.cfg.AuditInterval)
	defer at.Stop()
	// again returns a channel that fires after backlogPause when more is
	// waiting, or nil (never fires) when the sweeper caught up.
	again := func(more bool) <-chan time.Time {
		if more {
			return time.After(r.backlogPause)
		}
		return nil
	}
	promisesAgain := again(r.SweepPromises(ctx))
	retentionAgain := again(r.PurgeHistory(ctx))
	auditAgain := again(r.PurgeAudit(ctx))
	for {
		select {
		case <-ctx.Done():
			return
		case <-pt.C:
			promisesAgain = again(r.SweepPromises(ctx))
		case <-promisesAgain:
			promisesAgain = again(r.SweepPromises(ctx))
		case <-rt.C:
			retentionAgain = again(r.PurgeHistory(ctx))
		case <-retentionAgain:
			retentionAgain = again(r.PurgeHistory(ctx))
		case <-at.C:
			auditAgain = again(r.PurgeAudit(ctx))
		case <-auditAgain:
			auditAgain = again(r.PurgeAudit(ctx))
		}
	}
}

// SweepPromises runs the promise sweeper once and reports whether more
// promises are waiting (a failed run reports none: it waits its interval).
func (r *Runner) SweepPromises(ctx context.Context) bool {
	if !r.leads(ctx) {
		return false
	}
	n, more, err := r.sweeps.SweepPromises(ctx, r.cfg.PromiseGrace, r.cfg.BatchLimit)
	r.record(&r.promises, "promise sweeper", "promises_broken", n, more, err)
	return more && err == nil
}

// PurgeHistory runs the retention sweeper once and reports whether more
// interactions are waiting, as SweepPromises.
func (r *Runner) PurgeHistory(ctx context.Context) bool {
	if !r.leads(ctx) {
		return false
	}
	n, more, err := r.sweeps.PurgeHistory(ctx, r.cfg.Retention, r.cfg.BatchLimit)
	r.record(&r.retention, "retention sweeper", "interactions_purged", n, more, err)
	return more && err == nil
}

// PurgeAudit runs the audit sweeper once: audit records older than the
// audit retention go. It reports whether more are waiting, as
// SweepPromises.
func (r *Runner) PurgeAudit(ctx context.Context) bool {
	if !r.leads(ctx) {
		return false
	}
	n, more, err := r.sweeps.PurgeAudit(ctx, r.cfg.AuditRetention, r.cfg.BatchLimit)
	r.record(&r.audit, "audit sweeper", "audit_records_purged", n, more, err)
	return more && err == nil
}

// LeadWith makes the runner sweep only while lead says this process
// should: replicas sharing one store take turns (a PostgreSQL advisory
// lock), and a skipped run records nothing. Call it before Run.
func (r *Runner) LeadWith(lead func(context.Context) bool) { r.lead = lead }

func (r *Runner) leads(ctx context.Context) bool { return r.lead == nil || r.lead(ctx) }

func (r *Runner) record(st *Status, name, countKey string, n int, more bool, err error) {
	r.mu.Lock()
	st.LastRun, st.LastCount, st.LastLimited = time.Now(), int64(n), more
	st.Total += int64(n)
	if err != nil && !errors.Is(err, context.Canceled) {
		st.FailedRuns++
	}
	r.mu.Unlock()
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		r.log.Error(name+" failed", countKey, n, "error", err)
	case n > 0 || more:
		r.log.Info(name, countKey, n, "backlog", more)
	}
}

// Status returns a snapshot of the sweepers.
func (r *Runner) Status() (promises, retention, audit Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.promises, r.retention, r.audit
}
