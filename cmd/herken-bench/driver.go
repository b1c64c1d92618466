package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/herken/herken/client"
	"github.com/herken/herken/internal/synth"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// kind is what a phase calls.
type kind int

const (
	kindBaseline  kind = iota // grpc.health.v1.Health/Check: the empty RPC
	kindKnown                 // Lookup of a customer's mobile, typed three ways
	kindUnknown               // Lookup of a mobile nobody holds
	kindEmail                 // Lookup of a customer's email
	kindResolve               // Resolve of one customer's mobile and email
	kindHTTP                  // GET /v1/lookup?phone= of a known number, over HTTP/JSON
	kindScreenPop             // GET /screen-pop/{token}: a known caller's screen pop page
)

// kinds in the order the closed-loop phases alternate.
var kinds = []kind{kindBaseline, kindKnown, kindUnknown, kindEmail, kindResolve, kindHTTP, kindScreenPop}

func (k kind) name() string {
	return [...]string{"empty RPC (Health/Check)", "Lookup known number", "Lookup unknown number", "Lookup email", "Resolve phone+email", "Lookup known, HTTP/JSON", "Screen pop page, HTTP"}[k]
}

const (
	// requestsPerPhase requests are built before each phase and cycled
	// through: about as many as a 64-in-flight phase issues, so that
	// customers repeat little within a phase.
	requestsPerPhase = 32_768
	// maxCallsPerWorker bounds every closed loop by count as well as time.
	maxCallsPerWorker = 50_000_000
	// maxOpenCalls bounds an open-loop phase.
	maxOpenCalls = 20_000_000
)

// target is one connection's stubs.
type target struct {
	health healthpb.HealthClient
	rec    herkenv1.RecognitionServiceClient
	pop    herkenv1.ScreenPopServiceClient
	http   *http.Client // the gateway's, when the server serves one
	base   string       // http://host:port
}

type driver struct {
	serverPid int
	conns     []*grpc.ClientConn
	targets   []target
	ds        *dataset
	rng       *rand.Rand
}

// newDriver opens conns connections to addr: several, so that 64 calls in
// flight are not bounded by one HTTP/2 connection. No retry policy: a
// failed call counts as an error.
func newDriver(addr string, serverPid int, cfg config, ds *dataset, dial ...grpc.DialOption) (*driver, error) {
	d := &driver{serverPid: serverPid, ds: ds, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6472697665))}
	if len(dial) == 0 {
		dial = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	for range cfg.Conns {
		conn, err := grpc.NewClient(addr, dial...)
		if err != nil {
			d.close()
			return nil, err
		}
		conn.Connect()
		c := client.NewFromConn(conn)
		d.conns = append(d.conns, conn)
		t := target{health: healthpb.NewHealthClient(conn), rec: c.Recognition, pop: c.ScreenPop}
		if cfg.httpAddr != "" {
			// One keep-alive pool per target, like one gRPC connection.
			t.base = "http://" + cfg.httpAddr
			t.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}}
		}
		d.targets = append(d.targets, t)
	}
	return d, nil
}

func (d *driver) sampleCPU() cpuSample { return sampleCPU(d.serverPid) }

func (d *driver) close() {
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
}

// requests are the prebuilt requests of one phase.
type requests struct {
	kind     kind
	health   *healthpb.HealthCheckRequest
	lookups  []*herkenv1.LookupRequest
	resolves []*herkenv1.ResolveRequest
	urls     []string // kindHTTP: paths with their query; kindScreenPop: the links' paths
	err      error    // the requests could not be built (kindScreenPop: no link)
}

// screenPopLinks is how many links a screen pop phase cycles through:
// asking for each is a call of its own, before the phase.
const screenPopLinks = 2048

func phoneID(number string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: number}}
}

func emailID(email string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_Email{Email: email}}
}

// build makes n requests of kind k for random customers, rotating the
// three typed forms of the numbers.
func (d *driver) build(k kind, n int) *requests {
	rs := &requests{kind: k, health: &healthpb.HealthCheckRequest{}}
	r := d.rng
	for j := range n {
		switch k {
		case kindBaseline:
			return rs
		case kindKnown:
			rs.lookups = append(rs.lookups, &herkenv1.LookupRequest{Identifier: phoneID(typedForms(r.IntN(d.ds.Customers))[j%3])})
		case kindUnknown:
			rs.lookups = append(rs.lookups, &herkenv1.LookupRequest{Identifier: phoneID(typedFormsOf(synth.UnknownMobile(r.IntN(10_000_000)))[j%3])})
		case kindEmail:
			s := d.ds.Sample[r.IntN(len(d.ds.Sample))]
			rs.lookups = append(rs.lookups, &herkenv1.LookupRequest{Identifier: emailID(s.Email)})
		case kindHTTP:
			rs.urls = append(rs.urls, "/v1/lookup?phone="+url.QueryEscape(typedForms(r.IntN(d.ds.Customers))[j%3]))
		case kindScreenPop:
			if j == screenPopLinks {
				return rs
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			link, err := d.targets[0].pop.CreateScreenPopLink(ctx, &herkenv1.CreateScreenPopLinkRequest{
				Identifier: phoneID(typedForms(r.IntN(d.ds.Customers))[j%3]), Ttl: durationpb.New(15 * time.Minute)})
			cancel()
			if err != nil {
				rs.err = fmt.Errorf("CreateScreenPopLink: %w", err)
				return rs
			}
			u, err := url.Parse(link.GetUrl())
			if err != nil {
				rs.err = err
				return rs
			}
			rs.urls = append(rs.urls, u.Path)
		case kindResolve:
			s := d.ds.Sample[r.IntN(len(d.ds.Sample))]
			rs.resolves = append(rs.resolves, &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{
				phoneID(typedForms(s.I)[j%3]), emailID(s.Email),
			}})
		}
	}
	return rs
}

// call issues request j on t and says whether the answer is the one
// expected: SERVING, FOUND, NOT_FOUND, FOUND, MATCHED by kind.
func (rs *requests) call(ctx context.Context, t *target, j int) (bool, error) {
	switch rs.kind {
	case kindBaseline:
		res, err := t.health.Check(ctx, rs.health)
		return err == nil && res.GetStatus() == healthpb.HealthCheckResponse_SERVING, err
	case kindKnown, kindEmail:
		res, err := t.rec.Lookup(ctx, rs.lookups[j%len(rs.lookups)])
		return err == nil && res.GetOutcome() == herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND, err
	case kindUnknown:
		res, err := t.rec.Lookup(ctx, rs.lookups[j%len(rs.lookups)])
		return err == nil && res.GetOutcome() == herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND, err
	case kindResolve:
		res, err := t.rec.Resolve(ctx, rs.resolves[j%len(rs.resolves)])
		return err == nil && res.GetOutcome() == herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED, err
	case kindHTTP, kindScreenPop:
		if t.http == nil {
			return false, errors.New("the server serves no HTTP/JSON gateway")
		}
		if rs.err != nil {
			return false, rs.err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+rs.urls[j%len(rs.urls)], nil)
		if err != nil {
			return false, err
		}
		resp, err := t.http.Do(req)
		if err != nil {
			return false, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
		}
		if rs.kind == kindScreenPop {
			return err == nil && bytes.Contains(body, []byte(`<h1 id="name">`)), err
		}
		return err == nil && bytes.Contains(body, []byte(`"MATCH_OUTCOME_FOUND"`)), err
	}
	panic("unknown kind")
}

// preflight checks, before anything is timed, that the server answers what
// the synthetic base says: a benchmark of wrong answers measures nothing.
func (d *driver) preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t := &d.targets[0]
	for n := range 30 {
		i := d.rng.IntN(d.ds.Customers)
		if n == 0 {
			i = 0
		} else if n == 1 {
			i = d.ds.Customers - 1
		}
		for f, typed := range typedForms(i) {
			res, err := t.rec.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phoneID(typed)})
			if err != nil {
				return fmt.Errorf("Lookup of known number (customer %d, form %d): %v", i, f, err)
			}
			if res.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND || res.GetCanonicalIdentifier().GetValue() != synth.Mobile(i) {
				return fmt.Errorf("Lookup of known number (customer %d, form %d): %v as %q, want FOUND as %q",
					i, f, res.GetOutcome(), res.GetCanonicalIdentifier().GetValue(), synth.Mobile(i))
			}
		}
		u := typedFormsOf(synth.UnknownMobile(d.rng.IntN(10_000_000)))[n%3]
		if res, err := t.rec.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phoneID(u)}); err != nil || res.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND {
			return fmt.Errorf("Lookup of unknown number: %v %v, want NOT_FOUND", res.GetOutcome(), err)
		}
		s := d.ds.Sample[d.rng.IntN(len(d.ds.Sample))]
		if res, err := t.rec.Lookup(ctx, &herkenv1.LookupRequest{Identifier: emailID(s.Email)}); err != nil || res.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND {
			return fmt.Errorf("Lookup of email (customer %d): %v %v, want FOUND", s.I, res.GetOutcome(), err)
		}
		res, err := t.rec.Resolve(ctx, &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phoneID(typedForms(s.I)[n%3]), emailID(s.Email)}})
		if err != nil || res.GetOutcome() != herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED {
			return fmt.Errorf("Resolve (customer %d): %v %v, want MATCHED", s.I, res.GetOutcome(), err)
		}
	}
	return nil
}

// warmup runs every kind briefly at 8 in flight and discards the results.
func (d *driver) warmup(ctx context.Context, total time.Duration) error {
	if total <= 0 {
		return nil
	}
	for _, k := range kinds {
		if (k == kindHTTP || k == kindScreenPop) && d.targets[0].http == nil {
			continue
		}
		res := d.closed(ctx, k, 8, total/time.Duration(len(kinds)))
		if res.Errors > 0 || res.Wrong > 0 {
			return fmt.Errorf("warm-up %s: %d errors, %d wrong outcomes; first: %s", k.name(), res.Errors, res.Wrong, res.FirstError)
		}
	}
	return ctx.Err()
}

// tally is what one worker saw.
type tally struct {
	lat    []time.Duration // completed calls (wrong outcomes included)
	late   []time.Duration // open loop: dispatch lateness (start − scheduled)
	errors int
	wrong  int
	first  string
	_      [64]byte // keep workers' counters off each other's cache lines
}

func (w *tally) record(lat time.Duration, ok bool, err error) {
	if err != nil {
		w.errors++
		if w.first == "" {
			w.first = status.Code(err).String() + ": " + status.Convert(err).Message()
		}
		return
	}
	w.lat = append(w.lat, lat)
	if !ok {
		w.wrong++
		if w.first == "" {
			w.first = "wrong outcome"
		}
	}
}

// closed runs inFlight workers that each issue calls back to back until
// dur has passed.
func (d *driver) closed(ctx context.Context, k kind, inFlight int, dur time.Duration) phaseResult {
	rs := d.build(k, requestsPerPhase)
	tallies := make([]tally, inFlight)
	start := time.Now()
	deadline := start.Add(dur)
	pctx, cancel := context.WithDeadline(ctx, deadline.Add(30*time.Second))
	defer cancel()
	done := pctx.Done()
	cpu0 := d.sampleCPU()
	var wg sync.WaitGroup
	for w := range inFlight {
		wg.Go(func() {
			t := &d.targets[w%len(d.targets)]
			tl := &tallies[w]
			tl.lat = make([]time.Duration, 0, 4096)
			j := w * (requestsPerPhase / inFlight)
			for range maxCallsPerWorker {
				select {
				case <-done:
					return
				default:
				}
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				ok, err := rs.call(pctx, t, j)
				tl.record(time.Since(t0), ok, err)
				j++
			}
		})
	}
	wg.Wait()
	res := summarize(k, fmt.Sprint(inFlight), inFlight, time.Since(start), tallies)
	res.CPU = cpu0.use(d.sampleCPU(), runtime.NumCPU())
	return res
}

// open sends calls at a fixed rate for dur: send i is scheduled at
// start + i/rate whatever happened to the sends before it, and its latency
// runs from that scheduled time, so a server that falls behind shows as
// latency, not as a lower send rate. At most workers calls are in flight;
// a send that finds them all busy waits, and the wait counts.
func (d *driver) open(ctx context.Context, k kind, rate float64, dur time.Duration, workers int) phaseResult {
	rs := d.build(k, requestsPerPhase)
	interval := time.Duration(float64(time.Second) / rate)
	n := min(int(dur/interval), maxOpenCalls)
	jobs := make(chan int, n)
	tallies := make([]tally, workers)
	start := time.Now().Add(10 * time.Millisecond)
	pctx, cancel := context.WithDeadline(ctx, start.Add(dur+30*time.Second))
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			t := &d.targets[w%len(d.targets)]
			tl := &tallies[w]
			for i := range jobs {
				sched := start.Add(time.Duration(i) * interval)
				tl.late = append(tl.late, time.Since(sched))
				ok, err := rs.call(pctx, t, i)
				tl.record(time.Since(sched), ok, err)
			}
		})
	}
	done := pctx.Done()
	cpu0 := d.sampleCPU()
dispatch:
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			preciseSleep(wait)
		}
		select {
		case <-done:
			break dispatch
		default:
		}
		jobs <- i
		// Let the woken worker run now on this P, rather than wait in
		// its run queue while this thread sleeps in nanosleep.
		runtime.Gosched()
	}
	close(jobs)
	wg.Wait()
	res := summarize(k, fmt.Sprintf("open, %.0f/s", rate), 0, time.Since(start), tallies)
	res.CPU = cpu0.use(d.sampleCPU(), runtime.NumCPU())
	res.Open, res.TargetRate = true, rate
	return res
}

// phaseResult is one phase's numbers.
type phaseResult struct {
	Kind       kind
	Label      string // "64" or "open, 5000/s"
	InFlight   int    // closed loop; 0 for open loop
	Open       bool
	Rep        int
	Calls      int // completed without error
	Errors     int // non-OK status
	Wrong      int // OK but not the expected outcome
	FirstError string
	Elapsed    time.Duration
	Rate       float64 // completed calls per second
	TargetRate float64 // open loop: scheduled rate
	P50        time.Duration
	P99        time.Duration
	P999       time.Duration
	Max        time.Duration
	LateP99    time.Duration // open loop: p99 of dispatch lateness
	CPU        cpuUse        // where the machine's CPU time went meanwhile
	Attempts   int           // runs of the phase it took to get a quiet one
	Noisy      bool          // other processes were busy in every attempt
}

func summarize(k kind, label string, inFlight int, elapsed time.Duration, tallies []tally) phaseResult {
	res := phaseResult{Kind: k, Label: label, InFlight: inFlight, Elapsed: elapsed}
	var all, late []time.Duration
	for i := range tallies {
		tl := &tallies[i]
		all = append(all, tl.lat...)
		late = append(late, tl.late...)
		res.Errors += tl.errors
		res.Wrong += tl.wrong
		if res.FirstError == "" {
			res.FirstError = tl.first
		}
	}
	slices.Sort(all)
	slices.Sort(late)
	res.Calls = len(all)
	res.Rate = float64(len(all)) / elapsed.Seconds()
	res.P50, res.P99, res.P999 = percentile(all, 0.50), percentile(all, 0.99), percentile(all, 0.999)
	if len(all) > 0 {
		res.Max = all[len(all)-1]
	}
	res.LateP99 = percentile(late, 0.99)
	return res
}

// percentile of sorted: the smallest value with at least q of the values
// at or below it (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted))-1e-9)) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func (r phaseResult) brief() string {
	s := fmt.Sprintf("%8.0f calls/s  p50 %s  p99 %s  p99.9 %s ms", r.Rate, ms(r.P50), ms(r.P99), ms(r.P999))
	if r.Open {
		s += fmt.Sprintf("  (send lateness p99 %s ms)", ms(r.LateP99))
	}
	if r.CPU.Valid {
		s += fmt.Sprintf("  cpu: server %.2f harness %.2f other %.2f steal %.2f", r.CPU.Server, r.CPU.Harness, r.CPU.Other, r.CPU.Steal)
	}
	if r.Errors+r.Wrong > 0 {
		s += fmt.Sprintf("  %d errors, %d wrong outcomes (%s)", r.Errors, r.Wrong, r.FirstError)
	}
	return s
}
