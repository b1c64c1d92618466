package audit

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"
)

// fakeSink stores records by ID (idempotent, like the stores), can fail the
// next writes and can hold writes until released.
type fakeSink struct {
	mu      sync.Mutex
	byID    map[string]herken.AuditRecord
	order   []string
	batches []int
	failN   int           // fail this many more writes
	gate    chan struct{} // when set, a write waits for it to be closed
	calls   int
}

func newFakeSink() *fakeSink { return &fakeSink{byID: map[string]herken.AuditRecord{}} }

func (s *fakeSink) AppendAudit(ctx context.Context, recs []herken.AuditRecord) error {
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failN > 0 {
		s.failN--
		return errors.New("disk on fire")
	}
	s.batches = append(s.batches, len(recs))
	for _, r := range recs {
		if _, ok := s.byID[r.ID]; !ok {
			s.byID[r.ID] = r
			s.order = append(s.order, r.ID)
		}
	}
	return nil
}

func (s *fakeSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

func rec(i int) herken.AuditRecord {
	return herken.AuditRecord{CustomerID: "c" + strconv.Itoa(i), Actor: "pbx-1", Method: "/m", Action: herken.AuditRead, Time: time.Unix(int64(1e9+i), 0)}
}

func newRecorder(t *testing.T, sink Sink, opt Options) *Recorder {
	t.Helper()
	r, err := New(sink, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r.Close(ctx)
	})
	return r
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{FlushInterval: 2 * time.Second}, {FlushInterval: -1}, {Buffer: -1}} {
		if _, err := New(newFakeSink(), o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New without a sink accepted")
	}
}

// Records reach the sink within the flush interval without any Flush: the
// bound on what kill -9 can lose.
func TestWritesWithinFlushInterval(t *testing.T) {
	sink := newFakeSink()
	r := newRecorder(t, sink, Options{FlushInterval: 20 * time.Millisecond})
	r.Record(rec(1))
	deadline := time.Now().Add(2 * time.Second)
	for sink.count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("record not written without a Flush")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFlushMintsIDsAndKeepsGivenOnes(t *testing.T) {
	sink := newFakeSink()
	r := newRecorder(t, sink, Options{FlushInterval: time.Second})
	given := rec(1)
	given.ID = "given"
	r.Record(given)
	r.Record(rec(2))
	r.Record(herken.AuditRecord{CustomerID: "c3"}) // no time: stamped
	if err := r.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.order) != 3 || sink.order[0] != "given" || sink.order[1] == "" || sink.order[2] == "" || sink.order[1] == sink.order[2] {
		t.Fatalf("ids %q, want given and two minted ones", sink.order)
	}
	if sink.byID[sink.order[2]].Time.IsZero() {
		t.Error("a record without time was not stamped")
	}
	if st := r.Stats(); st.Written != 3 || st.Pending != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestBatchesAreBounded(t *testing.T) {
	sink := newFakeSink()
	r := newRecorder(t, sink, Options{FlushInterval: time.Second, BatchSize: 10})
	for i := range 95 {
		r.Record(rec(i))
	}
	if err := r.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	total := 0
	for _, n := range sink.batches {
		if n > 10 {
			t.Errorf("a batch of %d records", n)
		}
		total += n
	}
	if total != 95 || len(sink.byID) != 95 {
		t.Errorf("wrote %d records (%d distinct), want 95", total, len(sink.byID))
	}
}

// A failing sink costs retries, not records.
func TestRetriesKeepRecords(t *testing.T) {
	sink := newFakeSink()
	sink.failN = 3
	r := newRecorder(t, sink, Options{FlushInterval: 10 * time.Millisecond, RetryMin: time.Millisecond, RetryMax: 2 * time.Millisecond})
	for i := range 5 {
		r.Record(rec(i))
	}
	if err := r.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if sink.count() != 5 {
		t.Errorf("%d records written, want 5", sink.count())
	}
	if st := r.Stats(); st.Failures != 3 || st.Written != 5 {
		t.Errorf("stats %+v, want 3 failures and 5 written", st)
	}
}

// A full buffer makes Record wait (counted), never drop.
func TestFullBufferBlocks(t *testing.T) {
	sink := newFakeSink()
	sink.gate = make(chan struct{})
	r := newRecorder(t, sink, Options{FlushInterval: time.Millisecond, Buffer: 2, BatchSize: 1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10 {
			r.Record(rec(i))
		}
	}()
	select {
	case <-done:
		t.Fatal("10 records into a buffer of 2 with a stuck sink did not block")
	case <-time.After(100 * time.Millisecond):
	}
	if st := r.Stats(); st.Blocked == 0 || st.Pending == 0 {
		t.Errorf("stats %+v: want blocked Records and pending records", st)
	}
	close(sink.gate)
	<-done
	if err := r.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if sink.count() != 10 {
		t.Errorf("%d records written, want 10", sink.count())
	}
}

// Close writes everything recorded (graceful stop loses nothing); later
// records are counted as dropped.
func TestCloseFlushes(t *testing.T) {
	sink := newFakeSink()
	r, err := New(sink, Options{FlushInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2500 {
		r.Record(rec(i))
	}
	if err := r.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if sink.count() != 2500 {
		t.Errorf("%d records written at close, want 2500", sink.count())
	}
	r.Record(rec(9999))
	if st := r.Stats(); st.Dropped != 1 || st.Written != 2500 {
		t.Errorf("stats %+v", st)
	}
	if err := r.Flush(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
	if err := r.Close(ctxT(t)); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Close with a sink that keeps failing gives up when its context ends and
// says how many records it lost.
func TestCloseGivesUp(t *testing.T) {
	sink := newFakeSink()
	sink.failN = 1 << 30
	r, err := New(sink, Options{FlushInterval: time.Millisecond, BatchSize: 2, RetryMin: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		r.Record(rec(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = r.Close(ctx)
	if err == nil || r.Stats().Lost != 5 {
		t.Errorf("Close = %v, stats %+v: want an error and 5 lost", err, r.Stats())
	}
}

// Flush waits for records, not for the clock, and honours its context.
func TestFlushHonoursContext(t *testing.T) {
	sink := newFakeSink()
	sink.gate = make(chan struct{})
	r := newRecorder(t, sink, Options{FlushInterval: time.Second})
	r.Record(rec(1))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush with a stuck sink = %v", err)
	}
	close(sink.gate)
	if err := r.Flush(ctxT(t)); err != nil || sink.count() != 1 {
		t.Errorf("Flush = %v, %d written", err, sink.count())
	}
}

// Record is cheap: it allocates nothing once the record has an ID.
func TestRecordDoesNotAllocate(t *testing.T) {
	// No flush during the measurement: the writer's batches allocate.
	r := newRecorder(t, newFakeSink(), Options{FlushInterval: time.Second})
	x := rec(1)
	x.ID = "fixed"
	if n := testing.AllocsPerRun(100, func() { r.Record(x) }); n > 0 {
		t.Errorf("Record allocates %v times", n)
	}
	// The server's records come without an ID: the writer mints it, not
	// the call.
	x.ID = ""
	if n := testing.AllocsPerRun(100, func() { r.Record(x) }); n > 0 {
		t.Errorf("Record of a record without ID allocates %v times", n)
	}
}
