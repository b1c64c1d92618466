package maintenance

import (
	"context"
	"errors"
	"testing"
	"time"
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

func TestValidateDefaults(t *testing.T) {
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.PromiseGrace != time.Hour || c.Retention != 730*24*time.Hour || c.BatchLimit != 1000 || c.PromiseInterval != time.Minute {
		t.Fatalf("defaults: %+v", c)
	}
	for _, bad := range []Config{
		{Retention: time.Hour},
		{PromiseGrace: -time.Second},
		{PromiseInterval: time.Millisecond},
		{BatchLimit: -1},
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
	p, h := r.Status()
	if p.Total != 5 || p.LastCount != 2 || p.LastRun.IsZero() || p.Threshold != time.Hour || p.Interval != time.Minute {
		t.Fatalf("promise status %+v", p)
	}
	if h.Total != 7 || h.Threshold != cfg.Retention || f.retention != cfg.Retention || f.grace != time.Hour || f.limit != 1000 {
		t.Fatalf("retention status %+v (sweeps saw %+v)", h, f)
	}
	f.err, f.more, f.purged = errors.New("disk"), true, []int{1}
	r.PurgeHistory(ctx)
	_, h = r.Status()
	if h.FailedRuns != 1 || !h.LastLimited || h.Total != 8 {
		t.Fatalf("failed run not recorded: %+v", h)
	}
	f.err, f.purged = context.Canceled, []int{0}
	r.PurgeHistory(ctx)
	if _, h = r.Status(); h.FailedRuns != 1 {
		t.Fatal("a cancelled run counted as failure")
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
	if p, h := r.Status(); p.LastRun.IsZero() || h.LastRun.IsZero() {
		t.Fatal("Run did not sweep once at start")
	}
}
