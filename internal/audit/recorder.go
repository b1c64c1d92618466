// Package audit takes audit records off the request path: the server hands
// each record to a Recorder, which buffers it and writes batches to the
// store in the background. A Lookup therefore costs a channel send, not a
// store write.
//
// What a crash can lose: after a graceful stop (Close), nothing that was
// recorded; after kill -9, at most the records of the last FlushInterval
// (≤ 1s) plus whatever a failing store had not taken yet.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herken/herken"
)

// Sink is where the records go: *herken.Service (or a Store). AppendAudit
// must be idempotent by record ID, so a batch that failed half-way can be
// written again.
type Sink interface {
	AppendAudit(ctx context.Context, recs []herken.AuditRecord) error
}

// Options tune a Recorder; zero values take the defaults.
type Options struct {
	// FlushInterval is the longest a record waits before it is written;
	// default 200ms, at most MaxFlushInterval.
	FlushInterval time.Duration
	// Buffer is how many records may wait to be written; default 100,000.
	// When it is full, Record blocks (and counts it) rather than drop.
	Buffer int
	// BatchSize is the most records one AppendAudit writes; default 1000.
	BatchSize int
	// RetryMin and RetryMax bound the backoff between attempts to write a
	// batch the sink refused; default 50ms and 5s.
	RetryMin, RetryMax time.Duration
	// WriteTimeout bounds one AppendAudit; default 10s.
	WriteTimeout time.Duration
	// Logger receives a line per failed write; nil discards.
	Logger *slog.Logger
}

// Defaults and bounds of Options.
const (
	DefaultFlushInterval = 200 * time.Millisecond
	// MaxFlushInterval: the issue allows losing at most the last second of
	// audit after kill -9.
	MaxFlushInterval = time.Second
	DefaultBuffer    = 100_000
	DefaultBatchSize = 1000
)

func (o *Options) validate() error {
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.FlushInterval < 0 || o.FlushInterval > MaxFlushInterval {
		return fmt.Errorf("audit: flush interval %v must be above 0 and at most %v", o.FlushInterval, MaxFlushInterval)
	}
	if o.Buffer == 0 {
		o.Buffer = DefaultBuffer
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Buffer < 0 || o.BatchSize < 0 {
		return errors.New("audit: buffer and batch size must be positive")
	}
	if o.RetryMin == 0 {
		o.RetryMin = 50 * time.Millisecond
	}
	if o.RetryMax == 0 {
		o.RetryMax = 5 * time.Second
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = o.RetryMin
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// item is a record, or a Flush's marker: it travels the same channel as the
// records, so everything recorded before the Flush is ahead of it.
type item struct {
	rec     herken.AuditRecord
	flushed chan struct{}
}

// Recorder buffers audit records and writes them in batches. It is safe for
// concurrent use. Close it after the last Record (after the gRPC server
// stopped): records handed to it afterwards are dropped and counted.
type Recorder struct {
	sink Sink
	opt  Options
	log  *slog.Logger

	in      chan item
	quit    chan struct{} // closed by Close: write what is left and stop
	done    chan struct{} // closed when the writer has stopped
	abort   context.CancelFunc
	aborted context.Context // done when Close gave up: stop retrying
	once    sync.Once
	closed  atomic.Bool

	written, failures, blocked, dropped, lost atomic.Uint64
	batchLen                                  atomic.Int64
}

// Stats are the recorder's counters, for metrics.
type Stats struct {
	Written  uint64 // records the sink took
	Pending  int    // records waiting to be written
	Failures uint64 // sink writes that failed (and were retried)
	Blocked  uint64 // Record calls that waited for room in a full buffer
	Dropped  uint64 // records handed over after Close
	Lost     uint64 // records Close gave up on (its context ended while the sink failed)
}

// New starts a Recorder writing to sink.
func New(sink Sink, opt Options) (*Recorder, error) {
	if sink == nil {
		return nil, errors.New("audit: no sink")
	}
	if err := opt.validate(); err != nil {
		return nil, err
	}
	aborted, abort := context.WithCancel(context.Background())
	r := &Recorder{
		sink: sink, opt: opt, log: opt.Logger,
		in:   make(chan item, opt.Buffer),
		quit: make(chan struct{}), done: make(chan struct{}),
		aborted: aborted, abort: abort,
	}
	go r.run()
	return r, nil
}

// Record queues rec (stamping its Time when zero; the writer mints its ID
// when empty, off the request path). It does not wait for the store; it
// waits only when the buffer is full (the store has been failing or is
// slower than the calls), so no acknowledged call loses its record.
func (r *Recorder) Record(rec herken.AuditRecord) {
	if r.closed.Load() {
		r.dropped.Add(1)
		return
	}
	if rec.Time.IsZero() {
		rec.Time = time.Now().UTC()
	}
	select {
	case r.in <- item{rec: rec}:
		return
	default:
	}
	r.blocked.Add(1)
	select {
	case r.in <- item{rec: rec}:
	case <-r.done:
		r.dropped.Add(1)
	}
}

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("audit: recorder closed")

// Flush returns once every record recorded before it was called is
// written, or ctx ends (while the sink keeps failing).
func (r *Recorder) Flush(ctx context.Context) error {
	m := make(chan struct{})
	select {
	case r.in <- item{flushed: m}:
	case <-r.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.done:
		select {
		case <-m:
			return nil
		default:
			return ErrClosed
		}
	}
}

// Close writes every record recorded so far and stops the writer. If ctx
// ends first (the sink keeps failing), it gives up and reports how many
// records were lost. Close is idempotent.
func (r *Recorder) Close(ctx context.Context) error {
	r.once.Do(func() {
		r.closed.Store(true)
		close(r.quit)
	})
	select {
	case <-r.done:
	case <-ctx.Done():
		r.abort()
		<-r.done
	}
	if n := r.lost.Load(); n > 0 {
		return fmt.Errorf("audit: %d records not written at close: %w", n, ctx.Err())
	}
	return nil
}

// Stats reports the counters.
func (r *Recorder) Stats() Stats {
	return Stats{
		Written:  r.written.Load(),
		Pending:  len(r.in) + int(r.batchLen.Load()),
		Failures: r.failures.Load(),
		Blocked:  r.blocked.Load(),
		Dropped:  r.dropped.Load(),
		Lost:     r.lost.Load(),
	}
}

// run is the writer: it collects records into a batch and writes it when
// full, every FlushInterval, at a Flush marker and at Close.
func (r *Recorder) run() {
	defer close(r.done)
	defer r.abort()
	tick := time.NewTicker(r.opt.FlushInterval)
	defer tick.Stop()
	batch := make([]herken.AuditRecord, 0, r.opt.BatchSize)
	var waiters []chan struct{}
	// flush writes the batch (retrying until it is written or Close gives
	// up) and releases the Flush calls waiting for it; false when given up.
	flush := func() bool {
		if len(batch) > 0 {
			if !r.write(batch) {
				r.lost.Add(uint64(len(batch)))
				return false
			}
			// A new batch: the sink may still hold the old slice.
			batch = make([]herken.AuditRecord, 0, r.opt.BatchSize)
			r.batchLen.Store(0)
		}
		for _, w := range waiters {
			close(w)
		}
		waiters = waiters[:0]
		return true
	}
	// take adds it to the batch; false when a flush gave up.
	take := func(it item) bool {
		if it.flushed != nil {
			waiters = append(waiters, it.flushed)
			return flush()
		}
		if it.rec.ID == "" {
			// Once, as the record joins the batch: a retried batch
			// resends the same ID, so the sink skips what it has.
			it.rec.ID = herken.NewID()
		}
		batch = append(batch, it.rec)
		r.batchLen.Store(int64(len(batch)))
		if len(batch) >= r.opt.BatchSize {
			return flush()
		}
		return true
	}
	for {
		select {
		case it := <-r.in:
			if !take(it) {
				r.loseQueued()
				return
			}
		case <-tick.C:
			if !flush() {
				r.loseQueued()
				return
			}
		case <-r.quit:
			for {
				select {
				case it := <-r.in:
					if !take(it) {
						r.loseQueued()
						return
					}
				default:
					if !flush() {
						r.loseQueued()
					}
					return
				}
			}
		}
	}
}

// loseQueued counts what is still queued when Close gave up.
func (r *Recorder) loseQueued() {
	for {
		select {
		case it := <-r.in:
			if it.flushed == nil {
				r.lost.Add(1)
			}
		default:
			r.batchLen.Store(0)
			return
		}
	}
}

// write writes batch, retrying with backoff while the sink fails; false
// when Close gave up first.
func (r *Recorder) write(batch []herken.AuditRecord) bool {
	backoff := r.opt.RetryMin
	for {
		ctx, cancel := context.WithTimeout(r.aborted, r.opt.WriteTimeout)
		err := r.sink.AppendAudit(ctx, batch)
		cancel()
		if err == nil {
			r.written.Add(uint64(len(batch)))
			return true
		}
		r.failures.Add(1)
		r.log.Warn("audit write failed; retrying", "records", len(batch), "retry_in", backoff, "error", err)
		select {
		case <-time.After(backoff):
		case <-r.aborted.Done():
			return false
		}
		backoff = min(backoff*2, r.opt.RetryMax)
	}
}
