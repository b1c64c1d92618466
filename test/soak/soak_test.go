//go:build linux

// Package soak is the soak test: it runs the real herken binary on a data
// directory under mixed load for a long time and checks that the server
// does not leak — goroutines, open files and heap stay flat — that it
// answers every request without an unexpected error, and that the store is
// intact afterwards (herken check after a graceful stop).
//
// It is skipped unless HERKEN_SOAK is set (make soak):
//
//	HERKEN_SOAK=1 HERKEN_SOAK_DURATION=10m go test ./test/soak -run . -v -timeout 30m
//
// HERKEN_SOAK_DURATION (default 10m) is the length of the mixed load,
// HERKEN_SOAK_CUSTOMERS (default 3000) the customers seeded first,
// HERKEN_SOAK_WORKERS (default 8) the concurrent clients, each a closed
// loop of one request at a time with a 5 s deadline, HERKEN_SOAK_RATE
// (default 1000) the requests per second they make together, paced evenly
// (0: as fast as the server answers). The server runs with --debug-addr on
// loopback; every 10 s the test reads the goroutine count and the heap in
// use after a forced GC from its pprof endpoints, and open files (by kind)
// and RSS from /proc/<pid>. Linux only (/proc).
//
// What it asserts, so a leak fails and a growing store does not:
//   - no request fails other than the deliberately provoked ALREADY_EXISTS;
//   - goroutines: idle after the load (in-flight RPCs done) at most 20
//     above idle before it, and the median under load in the last third at
//     most 20 above the first third's;
//   - open files other than the store's own files (sockets, pipes, files
//     already deleted) at most 20 above the baseline after warm-up, in every
//     sample; Badger keeps one descriptor per table and log file, so those
//     grow with the data and are reported, not bounded;
//   - heap in use after GC: the median of the last third of the samples at
//     most 50% and 64 MiB above the first third's;
//   - herken check is clean after a graceful stop.
package soak

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/store/badgerstore"
)

// The bounds the soak asserts (see the package comment).
const (
	sampleEvery       = 10 * time.Second
	goroutineSlack    = 20
	fdSlack           = 20
	heapGrowthMax     = 0.50
	heapGrowthMaxMiB  = 64
	requestTimeout    = 5 * time.Second
	landlineShare     = 10 // customers per shared landline (the limit is 20)
	maxFollowedTokens = 1  // ListInteractions follows at most this many next pages
)

func envInt(t *testing.T, name string, def, least int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		t.Fatalf("%s=%q: want an integer of at least %d", name, v, least)
	}
	return n
}

func TestSoak(t *testing.T) {
	if os.Getenv("HERKEN_SOAK") == "" {
		t.Skip("set HERKEN_SOAK=1 to run the soak test (make soak)")
	}
	duration := 10 * time.Minute
	if v := os.Getenv("HERKEN_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 30*time.Second {
			t.Fatalf("HERKEN_SOAK_DURATION=%q: want a duration of at least 30s", v)
		}
		duration = d
	}
	cfg := config{
		duration:  duration,
		customers: envInt(t, "HERKEN_SOAK_CUSTOMERS", 3000, 1),
		workers:   envInt(t, "HERKEN_SOAK_WORKERS", 8, 1),
		rate:      envInt(t, "HERKEN_SOAK_RATE", 1000, 0),
		warmup:    min(time.Minute, duration/5),
	}

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "herken")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/herken/herken/cmd/herken").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataDir := filepath.Join(tmp, "data")
	keysFile := filepath.Join(tmp, "keys")
	out, err := exec.Command(bin, "keys", "create", "--keys-file", keysFile, "--name", "soak", "--scopes", "lookup,write,admin").CombinedOutput()
	if err != nil {
		t.Fatalf("herken keys create: %v\n%s", err, out)
	}
	key := regexp.MustCompile(`hk_[A-Za-z0-9_-]{20,}`).Find(out)
	if key == nil {
		t.Fatal("herken keys create printed no key")
	}
	srv := start(t, bin, dataDir, tmp, keysFile, string(key))
	t.Logf("soak: herken pid %d on %s (debug %s), %d customers, %d workers at %d requests/s in all, %s of load after seeding (%s warm-up)",
		srv.cmd.Process.Pid, srv.addr, srv.debug, cfg.customers, cfg.workers, cfg.rate, cfg.duration, cfg.warmup)

	l := &load{t: t, c: srv.clients(), stats: map[string]*opStats{}}
	seedStart := time.Now()
	l.seed(cfg.customers, cfg.workers)
	cfg.seedTook = time.Since(seedStart)
	if t.Failed() {
		srv.stop(t)
		return
	}
	idleBefore := srv.idleGoroutines(t)

	// The load, with a sampler beside it.
	ctx, cancel := context.WithTimeout(context.Background(), cfg.duration)
	defer cancel()
	var wg sync.WaitGroup
	for w := range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			var every time.Duration
			if cfg.rate > 0 {
				every = time.Duration(float64(time.Second) * float64(cfg.workers) / float64(cfg.rate))
			}
			next := time.Now()
			for ctx.Err() == nil {
				l.op(ctx, rng)
				if every == 0 {
					continue
				}
				next = next.Add(every)
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				} else if d < -time.Second {
					next = time.Now() // fell behind: do not make up for it in a burst
				}
			}
		}()
	}
	loadStart, seedOps := time.Now(), l.ops.Load()
	var samples []sample
	tick := time.NewTicker(sampleEvery)
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			continue
		case <-tick.C:
		}
		s, err := srv.sample(time.Since(loadStart), l.ops.Load()-seedOps, l.unexpected.Load(), dataDir)
		if err != nil {
			t.Errorf("sample: %v", err)
			continue
		}
		samples = append(samples, s)
	}
	tick.Stop()
	wg.Wait()
	cfg.loadTook = time.Since(loadStart)
	idleAfter := srv.idleGoroutines(t)
	last, err := srv.sample(time.Since(loadStart), l.ops.Load()-seedOps, l.unexpected.Load(), dataDir)
	if err != nil {
		t.Errorf("sample: %v", err)
	}
	dataFiles, dataBytes := dirSize(t, dataDir)
	// The metrics endpoint served the whole time and counted the Lookups.
	if b, err := srv.http.Get("http://" + srv.metrics + "/metrics"); err != nil {
		t.Errorf("metrics: %v", err)
	} else {
		body, _ := io.ReadAll(b.Body)
		b.Body.Close()
		if !bytes.Contains(body, []byte("herken_lookup_outcomes_total")) {
			t.Errorf("metrics: no herken_lookup_outcomes_total")
		}
	}

	srv.stop(t)
	if st, err := os.Stat(srv.logPath); err == nil {
		t.Logf("soak: server log %d bytes after %d calls", st.Size(), l.ops.Load())
		fmt.Printf("soak: server log %d bytes after %d calls\n", st.Size(), l.ops.Load())
	}
	counts := checkStore(t, bin, dataDir)

	rep := report(cfg, samples, l, idleBefore, idleAfter, last, dataFiles, dataBytes, counts, !t.Failed())
	t.Log("\n" + rep.text)
	fmt.Println(rep.text)
	if path := os.Getenv("HERKEN_SOAK_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(rep.text), 0o644); err != nil {
			t.Error(err)
		}
	}
	for _, f := range rep.failures {
		t.Error(f)
	}
}

type config struct {
	duration, warmup, seedTook, loadTook time.Duration
	customers, workers, rate             int
}

// dirSize counts the files in dir and their bytes on disk.
func dirSize(t *testing.T, dir string) (files int, bytes int64) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			bytes += st.Blocks * 512
		}
		files++
	}
	return files, bytes
}

// ---- the server process ----

type process struct {
	cmd     *exec.Cmd
	addr    string
	debug   string
	metrics string
	logPath string
	exited  chan struct{}
	err     error
	conn    *grpc.ClientConn
	http    *http.Client
}

// bearer sends the API key with every call (plaintext loopback).
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (bearer) RequireTransportSecurity() bool { return false }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func start(t *testing.T, bin, dataDir, logDir, keysFile, key string) *process {
	t.Helper()
	p := &process{addr: freeAddr(t), debug: freeAddr(t), metrics: freeAddr(t), logPath: filepath.Join(logDir, "serve.log"), exited: make(chan struct{}),
		http: &http.Client{Timeout: 5 * time.Second}}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// The production stack: API keys, audit (the default), metrics, rate
	// limits (above the soak's rate), and the default log level: successful
	// calls are not logged, so the log stays bounded under load.
	p.cmd = exec.Command(bin, "serve", "--addr", p.addr, "--debug-addr", p.debug, "--data-dir", dataDir,
		"--log-format", "json", "--block-cache-mb", "32", "--keys-file", keysFile, "--metrics-addr", p.metrics,
		"--rate-limit", "20000", "--rate-burst", "40000")
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.Env = append(os.Environ(), "HERKEN_DEMO=false")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill() // this test's own child, by pid
			<-p.exited
		}
	})
	p.conn, err = grpc.NewClient(p.addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(bearer(key)))
	if err != nil {
		t.Fatal(err)
	}
	health := healthpb.NewHealthClient(p.conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return p
		}
		select {
		case <-p.exited:
			p.fatalf(t, "server exited during startup: %v", p.err)
		default:
		}
		if time.Now().After(deadline) {
			p.fatalf(t, "server not SERVING after 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *process) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	b, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	t.Logf("last log lines:\n%s", strings.Join(lines[max(0, len(lines)-20):], "\n"))
	t.Fatalf(format, args...)
}

func (p *process) stop(t *testing.T) {
	t.Helper()
	p.conn.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			p.fatalf(t, "server exit after SIGTERM: %v", p.err)
		}
	case <-time.After(30 * time.Second):
		p.fatalf(t, "server did not stop within 30s of SIGTERM")
	}
}

func checkStore(t *testing.T, bin, dataDir string) badgerstore.Counts {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, "check", "--data-dir", dataDir, "--json")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var rep badgerstore.Report
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("herken check: %v %v\n%s%s", err, jerr, out.String(), errOut.String())
	}
	if err != nil || !rep.OK() {
		var text bytes.Buffer
		_ = rep.WriteText(&text)
		t.Errorf("herken check after the soak: %v\n%s", err, text.String())
	}
	return rep.Counts
}

type clients struct {
	recognition  herkenv1.RecognitionServiceClient
	customers    herkenv1.CustomerServiceClient
	interactions herkenv1.InteractionServiceClient
	promises     herkenv1.PromiseServiceClient
}

func (p *process) clients() clients {
	return clients{
		recognition:  herkenv1.NewRecognitionServiceClient(p.conn),
		customers:    herkenv1.NewCustomerServiceClient(p.conn),
		interactions: herkenv1.NewInteractionServiceClient(p.conn),
		promises:     herkenv1.NewPromiseServiceClient(p.conn),
	}
}

// ---- runtime samples ----

type sample struct {
	at              time.Duration
	ops, unexpected int64
	goroutines      int
	// Open files: the store's own (live files under the data directory)
	// and everything else (sockets, pipes, /dev/null, deleted files).
	dataFDs, otherFDs int
	deletedFDs        int
	heapInuse, rss    int64
}

func (p *process) get(path string) ([]byte, error) {
	resp, err := p.http.Get("http://" + p.debug + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", path, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func (p *process) goroutines() (int, error) {
	b, err := p.get("/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	// "goroutine profile: total 42"
	first, _, _ := bytes.Cut(b, []byte("\n"))
	n, err := strconv.Atoi(strings.TrimPrefix(string(first), "goroutine profile: total "))
	if err != nil {
		return 0, fmt.Errorf("goroutine profile header %q", first)
	}
	return n, nil
}

// idleGoroutines waits for in-flight work to settle and counts goroutines:
// the least of a few readings a second apart.
func (p *process) idleGoroutines(t *testing.T) int {
	t.Helper()
	least := -1
	for range 5 {
		time.Sleep(time.Second)
		n, err := p.goroutines()
		if err != nil {
			t.Fatalf("goroutines: %v", err)
		}
		if least < 0 || n < least {
			least = n
		}
	}
	return least
}

func (p *process) sample(at time.Duration, ops, unexpected int64, dataDir string) (sample, error) {
	s := sample{at: at, ops: ops, unexpected: unexpected}
	var err error
	if s.goroutines, err = p.goroutines(); err != nil {
		return s, err
	}
	// gc=1: the heap right after a collection, so garbage not yet collected
	// does not count as growth.
	b, err := p.get("/debug/pprof/heap?debug=1&gc=1")
	if err != nil {
		return s, err
	}
	if s.heapInuse, err = field(b, "# HeapInuse = "); err != nil {
		return s, err
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return s, err
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		switch {
		case err != nil: // closed since the listing
		case strings.HasSuffix(target, " (deleted)"):
			s.deletedFDs++
			s.otherFDs++
		case strings.HasPrefix(target, dataDir+"/"):
			s.dataFDs++
		default:
			s.otherFDs++
		}
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return s, err
	}
	kb, err := field(st, "VmRSS:")
	if err != nil {
		return s, err
	}
	s.rss = kb << 10
	return s, nil
}

// field reads the integer after prefix at the start of a line of b.
func field(b []byte, prefix string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %q in the profile", prefix)
}

// ---- the load ----

type customer struct {
	name, phone, email, ext, landline string
}

type record struct {
	name  string // interaction
	state int    // feedbackNone ... feedbackAnswering
}

// Feedback on an interaction recorded during the soak: each is submitted
// once and answered once, never concurrently.
const (
	feedbackNone = iota
	feedbackSubmitting
	feedbackSubmitted
	feedbackAnswering
)

type openPromise struct{ name string }

type load struct {
	t *testing.T
	c clients

	mu           sync.Mutex
	customers    []*customer
	interactions []*record // recorded during the soak, feedback not yet answered
	open         []openPromise
	next         int

	ops, unexpected atomic.Int64
	statsMu         sync.Mutex
	stats           map[string]*opStats
}

type opStats struct {
	n, expected, unexpected int
	lat                     []time.Duration
	firstErrors             []string
}

// done records one request: err is nil, an expected error (ALREADY_EXISTS
// when the soak reuses an external id on purpose), or unexpected.
func (l *load) done(op string, start time.Time, err error, expected codes.Code) {
	d := time.Since(start)
	l.ops.Add(1)
	l.statsMu.Lock()
	defer l.statsMu.Unlock()
	s := l.stats[op]
	if s == nil {
		s = &opStats{}
		l.stats[op] = s
	}
	s.n++
	s.lat = append(s.lat, d)
	switch {
	case err == nil:
	case expected != codes.OK && status.Code(err) == expected:
		s.expected++
	default:
		s.unexpected++
		l.unexpected.Add(1)
		if len(s.firstErrors) < 3 {
			s.firstErrors = append(s.firstErrors, fmt.Sprintf("%s: %v", op, err))
		}
	}
}

func phoneID(s string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: s}}
}

func emailID(s string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_Email{Email: s}}
}

func extID(s string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_ExternalId{ExternalId: s}}
}

func queryID(s string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_Query{Query: s}}
}

// newCustomer makes the n-th customer: unique mobile, email and CRM id;
// every third shares a landline with at most landlineShare-1 others.
func newCustomer(n int) (*customer, *herkenv1.CreateCustomerRequest) {
	c := &customer{
		phone: fmt.Sprintf("+3162%07d", n),
		email: fmt.Sprintf("klant%d@soak.example", n),
		ext:   fmt.Sprintf("SOAK-%d", n),
	}
	ids := []*herkenv1.Identifier{phoneID(c.phone), emailID(c.email), extID(c.ext)}
	if n%3 == 0 {
		c.landline = fmt.Sprintf("+31205%06d", n/3/landlineShare)
		ids = append(ids, phoneID(c.landline))
	}
	return c, &herkenv1.CreateCustomerRequest{
		Customer:    &herkenv1.Customer{DisplayName: fmt.Sprintf("Klant %d", n), PreferredLanguage: "nl", Tags: []string{"soak"}},
		Identifiers: ids,
		RequestId:   fmt.Sprintf("soak-cc-%d", n),
	}
}

func (l *load) nextN() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	return l.next
}

func (l *load) create(ctx context.Context) error {
	c, req := newCustomer(l.nextN())
	resp, err := l.c.customers.CreateCustomer(ctx, req)
	if err == nil {
		c.name = resp.GetCustomer().GetName()
		l.mu.Lock()
		l.customers = append(l.customers, c)
		l.mu.Unlock()
	}
	return err
}

// seed creates n customers with workers clients.
func (l *load) seed(n, workers int) {
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(n))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
				start := time.Now()
				l.done("seed CreateCustomer", start, l.create(ctx), codes.OK)
				cancel()
			}
		}()
	}
	wg.Wait()
	if u := l.unexpected.Load(); u > 0 {
		l.t.Errorf("seeding: %d unexpected errors, e.g. %v", u, l.stats["seed CreateCustomer"].firstErrors)
	}
}

func (l *load) pick(rng *rand.Rand) *customer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.customers[rng.IntN(len(l.customers))]
}

// op does one request of the mix. A request cut off because the load's
// time is up is not counted.
func (l *load) op(loadCtx context.Context, rng *rand.Rand) {
	ctx, cancel := context.WithTimeout(loadCtx, requestTimeout)
	defer cancel()
	c := l.pick(rng)
	start := time.Now()
	var err error
	expected := codes.OK
	op := ""
	switch r := rng.IntN(100); {
	case r < 25:
		op = "Lookup phone"
		number := c.phone
		switch {
		case rng.IntN(10) == 0:
			number = fmt.Sprintf("+3161%07d", rng.IntN(1e7)) // unknown: NOT_FOUND
		case c.landline != "" && rng.IntN(3) == 0:
			number = c.landline // AMBIGUOUS
		}
		_, err = l.c.recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phoneID(number)})
	case r < 33:
		op = "Lookup email"
		_, err = l.c.recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: emailID(strings.ToUpper(c.email))})
	case r < 41:
		op = "Lookup query"
		q := []string{"0" + c.phone[3:], c.email, "crm:" + c.ext}[rng.IntN(3)]
		_, err = l.c.recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: queryID(q), InteractionLimit: 5})
	case r < 47:
		op = "Resolve"
		_, err = l.c.recognition.Resolve(ctx, &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{emailID(c.email), phoneID(c.phone)}})
	case r < 51:
		op = "GetCustomer"
		_, err = l.c.customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: c.name})
	case r < 55:
		op = "CreateCustomer"
		err = l.create(ctx)
	case r < 56:
		// Reuse another customer's CRM id on purpose: ALREADY_EXISTS.
		op, expected = "CreateCustomer (taken id)", codes.AlreadyExists
		_, err = l.c.customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{extID(c.ext)}})
	case r < 70:
		op = "RecordInteraction"
		err = l.record(ctx, rng, c)
	case r < 78:
		op = "ListInteractions"
		err = l.list(ctx, rng, c)
	case r < 82:
		op = "SubmitFeedback"
		err = l.feedback(ctx, rng, false)
	case r < 84:
		op = "AnswerFeedback"
		err = l.feedback(ctx, rng, true)
	case r < 91:
		op = "CreatePromise"
		err = l.promise(ctx, rng, c)
	case r < 95:
		op = "KeepPromise"
		err = l.keep(ctx, rng)
	default:
		op = "ListPromises"
		req := &herkenv1.ListPromisesRequest{Parent: c.name}
		if rng.IntN(2) == 0 {
			req = &herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: fmt.Sprintf("team-%d", rng.IntN(5)), PageSize: 20}
		}
		_, err = l.c.promises.ListPromises(ctx, req)
	}
	if end, _ := loadCtx.Deadline(); err != nil && (loadCtx.Err() != nil || !time.Now().Before(end)) {
		return
	}
	l.done(op, start, err, expected)
}

func (l *load) record(ctx context.Context, rng *rand.Rand, c *customer) error {
	channels := []herkenv1.Channel{herkenv1.Channel_CHANNEL_PHONE, herkenv1.Channel_CHANNEL_EMAIL, herkenv1.Channel_CHANNEL_CHAT, herkenv1.Channel_CHANNEL_WHATSAPP}
	in := &herkenv1.Interaction{
		Channel: channels[rng.IntN(len(channels))], Direction: herkenv1.Direction_DIRECTION_INBOUND,
		Outcome: herkenv1.InteractionOutcome(1 + rng.IntN(4)), Agent: fmt.Sprintf("agent-%03d", rng.IntN(200)),
		Summary: "Klant belde over de factuur; uitgelegd en afgesproken dat we terugbellen.", OccurTime: timestamppb.Now(),
	}
	req := &herkenv1.RecordInteractionRequest{Interaction: in, RequestId: fmt.Sprintf("soak-ri-%d", l.nextN())}
	if rng.IntN(2) == 0 {
		req.Customer = &herkenv1.RecordInteractionRequest_Parent{Parent: c.name}
	} else {
		req.Customer = &herkenv1.RecordInteractionRequest_Identifier{Identifier: phoneID(c.phone)}
	}
	resp, err := l.c.interactions.RecordInteraction(ctx, req)
	if err == nil {
		l.mu.Lock()
		if len(l.interactions) < 10000 {
			l.interactions = append(l.interactions, &record{name: resp.GetInteraction().GetName()})
		}
		l.mu.Unlock()
	}
	return err
}

func (l *load) list(ctx context.Context, rng *rand.Rand, c *customer) error {
	req := &herkenv1.ListInteractionsRequest{Parent: c.name, PageSize: int32(1 + rng.IntN(10))}
	if rng.IntN(4) == 0 {
		req.Channels = []herkenv1.Channel{herkenv1.Channel_CHANNEL_PHONE}
	}
	if rng.IntN(10) == 0 {
		req = &herkenv1.ListInteractionsRequest{Parent: "customers/-", UnansweredFeedbackOnly: true, PageSize: 20}
	}
	for range maxFollowedTokens + 1 {
		resp, err := l.c.interactions.ListInteractions(ctx, req)
		if err != nil || resp.GetNextPageToken() == "" {
			return err
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil
}

// feedback submits feedback on an interaction recorded during the soak, or
// answers submitted feedback; each once.
func (l *load) feedback(ctx context.Context, rng *rand.Rand, answer bool) error {
	want := feedbackNone
	if answer {
		want = feedbackSubmitted
	}
	l.mu.Lock()
	var r *record
	for range 8 {
		if len(l.interactions) == 0 {
			break
		}
		i := rng.IntN(len(l.interactions))
		if c := l.interactions[i]; c.state == want {
			r = c
			r.state++
			if answer { // done with it
				l.interactions[i] = l.interactions[len(l.interactions)-1]
				l.interactions = l.interactions[:len(l.interactions)-1]
			}
			break
		}
	}
	l.mu.Unlock()
	if r == nil {
		return nil
	}
	if answer {
		_, err := l.c.interactions.AnswerFeedback(ctx, &herkenv1.AnswerFeedbackRequest{Name: r.name, Answer: "Teruggebeld en excuses gemaakt.", AnsweredBy: "team-lead"})
		return err
	}
	_, err := l.c.interactions.SubmitFeedback(ctx, &herkenv1.SubmitFeedbackRequest{Name: r.name, Score: int32(1 + rng.IntN(5)), Comment: "Snel geholpen."})
	if err == nil {
		l.mu.Lock()
		r.state = feedbackSubmitted
		l.mu.Unlock()
	}
	return err
}

func (l *load) promise(ctx context.Context, rng *rand.Rand, c *customer) error {
	p := &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_CALLBACK, Owner: fmt.Sprintf("team-%d", rng.IntN(5)),
		Description: "Terugbellen over de storing.", DueTime: timestamppb.New(time.Now().Add(time.Duration(1+rng.IntN(48)) * time.Hour))}
	req := &herkenv1.CreatePromiseRequest{Promise: p, RequestId: fmt.Sprintf("soak-cp-%d", l.nextN())}
	if rng.IntN(2) == 0 {
		req.Customer = &herkenv1.CreatePromiseRequest_Parent{Parent: c.name}
	} else {
		req.Customer = &herkenv1.CreatePromiseRequest_Identifier{Identifier: emailID(c.email)}
	}
	resp, err := l.c.promises.CreatePromise(ctx, req)
	if err == nil {
		l.mu.Lock()
		if len(l.open) < 10000 {
			l.open = append(l.open, openPromise{resp.GetPromise().GetName()})
		}
		l.mu.Unlock()
	}
	return err
}

// keep keeps an OPEN promise created during the soak (each once).
func (l *load) keep(ctx context.Context, rng *rand.Rand) error {
	l.mu.Lock()
	if len(l.open) == 0 {
		l.mu.Unlock()
		return nil
	}
	i := rng.IntN(len(l.open))
	p := l.open[i]
	l.open[i] = l.open[len(l.open)-1]
	l.open = l.open[:len(l.open)-1]
	l.mu.Unlock()
	_, err := l.c.promises.KeepPromise(ctx, &herkenv1.KeepPromiseRequest{Name: p.name, Actor: "agent-042", Note: "Teruggebeld."})
	return err
}

// ---- the report ----

type soakReport struct {
	text     string
	failures []string
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func median(ss []sample, f func(sample) int64) float64 {
	v := make([]int64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return float64(v[len(v)/2])
	}
	return float64(v[len(v)/2-1]+v[len(v)/2]) / 2
}

func report(cfg config, samples []sample, l *load, idleBefore, idleAfter int, last sample, dataFiles int, dataBytes int64,
	counts badgerstore.Counts, checkOK bool) soakReport {
	var r soakReport
	var b strings.Builder
	rate := "unpaced"
	if cfg.rate > 0 {
		rate = fmt.Sprintf("paced at %d requests/s", cfg.rate)
	}
	fmt.Fprintf(&b, "herken soak: %s of mixed load from %d workers (%s), after seeding %d customers in %s; samples every %s, warm-up %s\n\n",
		cfg.loadTook.Round(time.Second), cfg.workers, rate, cfg.customers, cfg.seedTook.Round(100*time.Millisecond), sampleEvery, cfg.warmup)

	// Per-operation table.
	l.statsMu.Lock()
	ops := make([]string, 0, len(l.stats))
	for op := range l.stats {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	var total, expected, unexpected int
	var firstErrors []string
	fmt.Fprintf(&b, "| operation | requests | expected errors | unexpected errors | p50 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, op := range ops {
		s := l.stats[op]
		slices.Sort(s.lat)
		q := func(p float64) time.Duration { return s.lat[min(len(s.lat)-1, int(p*float64(len(s.lat))))] }
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s | %s |\n", op, s.n, s.expected, s.unexpected,
			q(0.50).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), s.lat[len(s.lat)-1].Round(10*time.Microsecond))
		total += s.n
		expected += s.expected
		unexpected += s.unexpected
		firstErrors = append(firstErrors, s.firstErrors...)
	}
	fmt.Fprintf(&b, "| **total** | %d | %d | %d | | | |\n\n", total, expected, unexpected)
	l.statsMu.Unlock()

	// Samples table.
	fmt.Fprintf(&b, "| t | requests/s | unexpected errors | goroutines | store files open | other fds | HeapInuse after GC MiB | RSS MiB |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var post []sample
	var prev sample
	for _, s := range samples {
		rate := float64(s.ops-prev.ops) / (s.at - prev.at).Seconds()
		fmt.Fprintf(&b, "| %s | %.0f | %d | %d | %d | %d | %.1f | %.1f |\n", s.at.Round(time.Second), rate, s.unexpected,
			s.goroutines, s.dataFDs, s.otherFDs, mib(s.heapInuse), mib(s.rss))
		prev = s
		if s.at >= cfg.warmup {
			post = append(post, s)
		}
	}
	fmt.Fprintf(&b, "| idle after | | %d | %d | %d | %d | %.1f | %.1f |\n\n", last.unexpected, idleAfter, last.dataFDs, last.otherFDs, mib(last.heapInuse), mib(last.rss))

	if unexpected > 0 {
		r.failures = append(r.failures, fmt.Sprintf("%d unexpected errors, first ones: %s", unexpected, strings.Join(firstErrors, "; ")))
	}
	if len(post) < 6 {
		r.failures = append(r.failures, fmt.Sprintf("only %d samples after warm-up: run longer", len(post)))
		r.text = b.String()
		return r
	}
	third := len(post) / 3
	first, lastThird := post[:third], post[len(post)-third:]
	goroutines := func(s sample) int64 { return int64(s.goroutines) }
	heap := func(s sample) int64 { return s.heapInuse }
	rss := func(s sample) int64 { return s.rss }
	gFirst, gLast := median(first, goroutines), median(lastThird, goroutines)
	heapFirst, heapLast := median(first, heap), median(lastThird, heap)
	growth := heapLast/heapFirst - 1
	base := post[0]
	maxFD := base
	for _, s := range post {
		if s.otherFDs > maxFD.otherFDs {
			maxFD = s
		}
	}

	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "FAIL"
	}
	idleOK := idleAfter <= idleBefore+goroutineSlack
	loadOK := gLast <= gFirst+goroutineSlack
	fdOK := maxFD.otherFDs <= base.otherFDs+fdSlack
	heapOK := growth < heapGrowthMax && (heapLast-heapFirst)/(1<<20) < heapGrowthMaxMiB
	fmt.Fprintf(&b, "| check | bound | measured | |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| unexpected errors | 0 | %d (and %d expected ALREADY_EXISTS) | %s |\n", unexpected, expected, verdict(unexpected == 0))
	fmt.Fprintf(&b, "| goroutines, idle | before the load %d + %d | after it %d | %s |\n", idleBefore, goroutineSlack, idleAfter, verdict(idleOK))
	fmt.Fprintf(&b, "| goroutines under load, median | first third %.0f + %d | last third %.0f | %s |\n", gFirst, goroutineSlack, gLast, verdict(loadOK))
	fmt.Fprintf(&b, "| open fds other than store files | baseline %d (t=%s) + %d | max %d (t=%s); %d of deleted files at the end | %s |\n",
		base.otherFDs, base.at.Round(time.Second), fdSlack, maxFD.otherFDs, maxFD.at.Round(time.Second), last.deletedFDs, verdict(fdOK))
	fmt.Fprintf(&b, "| store files open (grow with the data) | reported | %d → %d; %d files, %.0f MiB in the data directory at the end | |\n",
		base.dataFDs, last.dataFDs, dataFiles, mib(dataBytes))
	fmt.Fprintf(&b, "| HeapInuse after GC, median | first third +%.0f%% and +%d MiB | %.1f → %.1f MiB (%+.1f%%) | %s |\n",
		heapGrowthMax*100, heapGrowthMaxMiB, heapFirst/(1<<20), heapLast/(1<<20), growth*100, verdict(heapOK))
	fmt.Fprintf(&b, "| RSS, median (reported) | | %.1f → %.1f MiB | |\n", median(first, rss)/(1<<20), median(lastThird, rss)/(1<<20))
	fmt.Fprintf(&b, "| herken check after a graceful stop | clean | %d customers, %d interactions, %d promises | %s |\n",
		counts.Customers, counts.Interactions, counts.Promises, verdict(checkOK))
	if !idleOK {
		r.failures = append(r.failures, fmt.Sprintf("idle goroutines grew from %d to %d", idleBefore, idleAfter))
	}
	if !loadOK {
		r.failures = append(r.failures, fmt.Sprintf("goroutines under load grew from a median of %.0f to %.0f", gFirst, gLast))
	}
	if !fdOK {
		r.failures = append(r.failures, fmt.Sprintf("open files other than the store's grew from %d to %d", base.otherFDs, maxFD.otherFDs))
	}
	if !heapOK {
		r.failures = append(r.failures, fmt.Sprintf("HeapInuse after GC grew %.1f%% (%.1f → %.1f MiB)", growth*100, heapFirst/(1<<20), heapLast/(1<<20)))
	}
	r.text = b.String()
	return r
}
