package maintenance

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"
)

type fakeSweeps struct {
	promises, purged []int
	more             bool
	err              error
	grace, retention time.Duration
	limit            int
}

func (f *fakeSweeps) SweepPromises(_ context.Context, grace time.Duration, limit int) (int, bool, error) {
	f.grace, f.limit = grace, limit
	n := f.promises[0]
	f.promises = f.promises[1:]
	return n, f.more, f.err
}

func (f *fakeSweeps) PurgeHistory(_ context.Context, retention time.Duration, limit int) (int, bool, error) {
	f.retention = retention
	n := f.purged[0]
	f.purged = f.purged[1:]
	return n, f.more, f.err
}

func (f *fakeSweeps) PurgeAudit(context.Context, time.Duration, int) (int, bool, error) {
	return 0, false, nil
}

func TestValidateDefaults(t *testing.T) {
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.PromiseGrace != time.Hour || c.Retention != 730*24*time.Hour || c.BatchLimit != 1000 || c.PromiseInterval != time.Minute ||
		c.AuditRetention != herken.DefaultAuditRetention || c.AuditInterval != c.RetentionInterval {
		t.Fatalf("defaults: %+v", c)
	}
	for _, bad := range []Config{
		{Retention: time.Hour},
		{PromiseGrace: -time.Second},
		{PromiseInterval: time.Millisecond},
		{BatchLimit: -1},
		{AuditRetention: 23 * time.Hour},
		{AuditInterval: time.Millisecond},
	} {
		if err := bad.Validate(); err == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
}

func TestRunnerRecordsStatus(t *testing.T) {
	cfg := Config{}
	_ = cfg.Validate()
	f := &fakeSweeps{promises: []int{3, 2}, purged: []int{7}}
	r := New(f, cfg, nil)
	ctx := context.Background()
	r.SweepPromises(ctx)
	r.SweepPromises(ctx)
	r.PurgeHistory(ctx)
	p, h, _ := r.Status()
	if p.Total != 5 || p.LastCount != 2 || p.LastRun.IsZero() || p.Threshold != time.Hour || p.Interval != time.Minute {
		t.Fatalf("promise status %+v", p)
	}
	if h.Total != 7 || h.Threshold != cfg.Retention || f.retention != cfg.Retention || f.grace != time.Hour || f.limit != 1000 {
		t.Fatalf("retention status %+v (sweeps saw %+v)", h, f)
	}
	f.err, f.more, f.purged = errors.New("disk"), true, []int{1}
	r.PurgeHistory(ctx)
	_, h, _ = r.Status()
	if h.FailedRuns != 1 || !h.LastLimited || h.Total != 8 {
		t.Fatalf("failed run not recorded: %+v", h)
	}
	f.err, f.purged = context.Canceled, []int{0}
	r.PurgeHistory(ctx)
	if _, h, _ = r.Status(); h.FailedRuns != 1 {
		t.Fatal("a cancelled run counted as failure")
	}
}

// TestNewDefaultsAudit: a config that predates the audit sweeper (its
// fields zero, not validated again) runs it with the defaults.
func TestNewDefaultsAudit(t *testing.T) {
	r := New(&fakeSweeps{}, Config{PromiseInterval: time.Minute, RetentionInterval: time.Hour, Retention: time.Hour, BatchLimit: 1}, nil)
	if _, _, a := r.Status(); a.Interval != DefaultAuditInterval || a.Threshold != DefaultAuditRetention {
		t.Fatalf("audit status %+v", a)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	cfg := Config{}
	_ = cfg.Validate()
	f := &fakeSweeps{promises: []int{0}, purged: []int{0}}
	r := New(f, cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	cancel()
	<-done
	if p, h, a := r.Status(); p.LastRun.IsZero() || h.LastRun.IsZero() || a.LastRun.IsZero() {
		t.Fatal("Run did not sweep once at start")
	}
}

// backlogSweeps has backlog batches waiting for each sweeper.
type backlogSweeps struct {
	mu               sync.Mutex
	promises, purges int // calls so far
	audits           int
	backlog          int // calls that report more waiting
}

func (b *backlogSweeps) SweepPromises(context.Context, time.Duration, int) (int, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.promises++
	return 10, b.promises <= b.backlog, nil
}

func (b *backlogSweeps) PurgeHistory(context.Context, time.Duration, int) (int, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.purges++
	return 10, b.purges <= b.backlog, nil
}

func (b *backlogSweeps) PurgeAudit(context.Context, time.Duration, int) (int, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.audits++
	return 10, b.audits <= b.backlog, nil
}

// TestRunDrainsBacklog: a sweeper that stopped at its batch limit runs
// again after a short pause until it has caught up, not once per interval
// (the retention sweeper at 1000 an hour could never keep up).
func TestRunDrainsBacklog(t *testing.T) {
	cfg := Config{}
	_ = cfg.Validate() // intervals of a minute and an hour: never reached here
	b := &backlogSweeps{backlog: 3}
	r := New(b, cfg, nil)
	r.backlogPause = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		p, h, a := b.promises, b.purges, b.audits
		b.mu.Unlock()
		if p == 4 && h == 4 && a == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5s: %d promise sweeps, %d purges and %d audit purges, want 4 each (3 batches of backlog, then caught up)", p, h, a)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // caught up: no more runs until the interval
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.promises != 4 || b.purges != 4 || b.audits != 4 {
		t.Fatalf("%d promise sweeps, %d purges and %d audit purges after catching up, want 4 each", b.promises, b.purges, b.audits)
	}
	if _, h, a := r.Status(); h.Total != 40 || a.Total != 40 {
		t.Fatalf("retention total %d, audit total %d, want 40", h.Total, a.Total)
	}
}

// TestLeadWith: a runner that does not lead sweeps nothing and records
// nothing; once it leads, it sweeps.
func TestLeadWith(t *testing.T) {
	cfg := Config{}
	_ = cfg.Validate()
	f := &fakeSweeps{promises: []int{4}, purged: []int{1}}
	r := New(f, cfg, nil)
	leading := false
	r.LeadWith(func(context.Context) bool { return leading })
	ctx := context.Background()
	r.SweepPromises(ctx)
	r.PurgeHistory(ctx)
	r.PurgeAudit(ctx)
	if p, h, a := r.Status(); !p.LastRun.IsZero() || !h.LastRun.IsZero() || !a.LastRun.IsZero() || len(f.promises) != 1 {
		t.Fatalf("a runner that does not lead swept: %+v %+v %+v", p, h, a)
	}
	leading = true
	r.SweepPromises(ctx)
	if p, _, _ := r.Status(); p.Total != 4 || len(f.promises) != 0 {
		t.Fatalf("a leading runner did not sweep: %+v", p)
	}
}
