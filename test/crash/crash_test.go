//go:build unix

// Package crash is the crash-recovery test: it runs the real herken binary,
// writes to it from several clients, kills it with SIGKILL at a random
// moment, restarts it on the same data directory and proves that nothing it
// acknowledged was lost and that every write it did not acknowledge is all
// or nothing. The integrity check (herken check) runs on the stopped store
// every few cycles and at the end.
//
// It is skipped unless HERKEN_CRASH_CYCLES is set (make crashtest,
// make crashtest-short):
//
//	HERKEN_CRASH_CYCLES=10 go test ./test/crash -run . -v -timeout 10m
//
// HERKEN_CRASH_CHECK_EVERY (default 5) sets how often the integrity check
// runs: that cycle's server is stopped gracefully (SIGTERM) after its
// verification, herken check runs on the store, and the server starts again
// for the cycle's writes. Checking after every cycle would cost one more
// server start per cycle; every fifth keeps 10 cycles under a minute on two
// cores, and the last check (after the final full verification) sees every
// cycle's writes anyway. HERKEN_CRASH_SEED repeats a run.
package crash

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
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

	"github.com/herken/herken/internal/pgtest"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/store/badgerstore"
	"github.com/herken/herken/store/pgstore"
)

const (
	writers = 4
	// maxInteractions keeps every customer's history (acknowledged and in
	// doubt) within one Lookup page (interaction_limit 100), so
	// verification sees all of it.
	maxInteractions = 90
	landlines       = 100 // shared numbers; each takes at most 20 holders (long runs hit the limit)
	sampleOld       = 40  // customers not touched in a cycle, re-verified per cycle
)

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}

func TestCrash(t *testing.T) {
	cycles := envInt(t, "HERKEN_CRASH_CYCLES", 0)
	if cycles == 0 {
		t.Skip("set HERKEN_CRASH_CYCLES to run the crash test (make crashtest)")
	}
	checkEvery := max(envInt(t, "HERKEN_CRASH_CHECK_EVERY", 5), 1)
	seed := uint64(envInt(t, "HERKEN_CRASH_SEED", int(time.Now().UnixNano()&0x7fffffff)))
	t.Logf("crashtest: %d cycles, integrity check every %d, seed %d (HERKEN_CRASH_SEED)", cycles, checkEvery, seed)
	start := time.Now()

	tmp := t.TempDir()
	bin := herkenBinary(t)
	h := &harness{t: t, bin: bin, dir: filepath.Join(tmp, "data"), logDir: tmp, rng: rand.New(rand.NewPCG(seed, 1)), m: newModel(seed)}
	if os.Getenv("HERKEN_CRASH_STORE") == "postgres" {
		// The same kills, writers and model on the PostgreSQL store: herken
		// dies, the database does not.
		h.pgURL = pgtest.NewDatabase(t)
		t.Logf("crashtest: on PostgreSQL (HERKEN_CRASH_STORE=postgres)")
	}
	h.keysFile = filepath.Join(tmp, "keys")
	h.key = createKey(t, bin, h.keysFile)

	for cycle := 1; cycle <= cycles; cycle++ {
		h.cycle = cycle
		if h.rng.IntN(5) == 0 {
			h.killDuringStartup()
		}
		srv := h.start()
		h.verify(srv, false)
		if cycle%checkEvery == 0 {
			if h.pgURL != "" {
				// Backups of PostgreSQL are PostgreSQL's (pg_dump, base
				// backups); check runs on the live database.
				h.check()
			} else {
				backup := h.backup(srv)
				h.stop(srv)
				h.check()
				h.restoreBackup(backup)
				srv = h.start()
			}
		}
		d := time.Duration(50+h.rng.IntN(451)) * time.Millisecond
		if cycle%3 == 0 {
			d += 1500 * time.Millisecond // creates older than a second at the kill: their audit must survive
		}
		h.workload(srv, d)
		if t.Failed() {
			break
		}
	}
	// Creates just before a graceful stop: every audit record must be kept.
	srv := h.start()
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		h.create(ctx, srv, h.rng)
		cancel()
	}
	h.stop(srv)
	srv = h.start()
	h.verify(srv, true)
	h.stop(srv)
	h.check()

	s := &h.m.stats
	summary := fmt.Sprintf("crashtest: %d cycles, %d acknowledged writes, %d lost, %d integrity errors; audit: %d creates checked, %d records lost",
		h.cycle, s.acked.Load(), s.lost.Load(), s.integrity.Load(), s.auditChecked.Load(), s.auditLost.Load())
	details := fmt.Sprintf("crashtest: %d customers (%d through ImportCustomers), %d interactions, %d promises (%d kept or cancelled) acknowledged; "+
		"%d writes in doubt at a kill, resolved by retry (%d had been written); %d rejected by a rule (share limit); "+
		"%d reads; %d integrity checks; %d online backups restored clean; %d kills during startup; %s",
		s.customers.Load(), s.imported.Load(), s.interactions.Load(), s.promises.Load(), s.closes.Load(),
		s.inDoubt.Load(), s.inDoubtWritten.Load(), s.rejected.Load(), s.reads.Load(), s.checks.Load(), s.backups.Load(), s.startupKills.Load(),
		time.Since(start).Round(100*time.Millisecond))
	t.Log(summary)
	t.Log(details)
	t.Log(h.lifeSummary())
	fmt.Println(h.lifeSummary())
	fmt.Println(summary)
	fmt.Println(details)
	if importWriter() && s.imported.Load() == 0 {
		t.Error("no customer was imported: the ImportCustomers writer did not run")
	}
	if s.auditChecked.Load() == 0 {
		t.Error("no audit record was checked: the audit part of the crash test did not run")
	}
	if s.lost.Load() != 0 || s.integrity.Load() != 0 || s.auditLost.Load() != 0 {
		t.Fail()
	}
}

// harness runs the server process and keeps the model of what it
// acknowledged.
type harness struct {
	t      *testing.T
	bin    string
	dir    string
	logDir string
	rng    *rand.Rand
	m      *model
	cycle  int
	starts int
	// keysFile holds the one API key the writers use (key).
	keysFile, key string
	// pgURL is the PostgreSQL database the server runs on; "" for Badger.
	pgURL string
}

// crashKeyName is the name of the writers' API key: every audit record of
// their calls names it.
const crashKeyName = "crash-writer"

// createKey creates the writers' API key with `herken keys create`.
func createKey(t *testing.T, bin, file string) string {
	t.Helper()
	out, err := exec.Command(bin, "keys", "create", "--keys-file", file, "--name", crashKeyName, "--scopes", "lookup,write,admin").CombinedOutput()
	if err != nil {
		t.Fatalf("herken keys create: %v\n%s", err, out)
	}
	k := regexp.MustCompile(`hk_[A-Za-z0-9_-]{20,}`).Find(out)
	if k == nil {
		t.Fatalf("herken keys create printed no key")
	}
	return string(k)
}

// bearer sends the API key with every call (plaintext loopback).
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (bearer) RequireTransportSecurity() bool { return false }

type server struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited; then err is its exit
	err     error
	logPath string
	addr    string
	conn    *grpc.ClientConn

	customers    herkenv1.CustomerServiceClient
	recognition  herkenv1.RecognitionServiceClient
	interactions herkenv1.InteractionServiceClient
	promises     herkenv1.PromiseServiceClient
	audit        herkenv1.AuditServiceClient
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// spawn starts herken serve on a free loopback port.
func (h *harness) spawn() (*server, string) {
	h.t.Helper()
	h.starts++
	addr := freeAddr(h.t)
	logPath := filepath.Join(h.logDir, fmt.Sprintf("serve-%03d.log", h.starts))
	logFile, err := os.Create(logPath)
	if err != nil {
		h.t.Fatal(err)
	}
	defer logFile.Close()
	// The production stack is on: API keys, audit (the default), metrics.
	where := []string{"--data-dir", h.dir, "--sync-writes=true", "--block-cache-mb", "16"}
	if h.pgURL != "" {
		where = []string{"--store", "postgres", "--postgres-url", h.pgURL}
	}
	cmd := exec.Command(h.bin, append([]string{"serve", "--addr", addr, "--log-format", "json", "--shutdown-timeout", "5s",
		"--keys-file", h.keysFile, "--metrics-addr", freeAddr(h.t), "--audit=true", "--no-rate-limit"}, where...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "HERKEN_DEMO=false")
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	srv := &server{cmd: cmd, exited: make(chan struct{}), logPath: logPath, addr: addr}
	go func() {
		srv.err = cmd.Wait()
		close(srv.exited)
	}()
	h.t.Cleanup(func() {
		select {
		case <-srv.exited:
		default:
			_ = cmd.Process.Kill() // this test's own child, by pid
			<-srv.exited
		}
	})
	return srv, addr
}

// killDuringStartup kills a server while it opens (and recovers) the store.
func (h *harness) killDuringStartup() {
	srv, _ := h.spawn()
	time.Sleep(time.Duration(h.rng.IntN(150)) * time.Millisecond)
	_ = srv.cmd.Process.Signal(syscall.SIGKILL)
	<-srv.exited
	h.m.stats.startupKills.Add(1)
}

// start starts a server and waits until health says SERVING.
func (h *harness) start() *server {
	h.t.Helper()
	for attempt := 1; ; attempt++ {
		srv, ok := h.tryStart()
		if ok {
			return srv
		}
		// The free port was taken between probing and binding: try another.
		if b, _ := os.ReadFile(srv.logPath); attempt == 3 || !bytes.Contains(b, []byte("address already in use")) {
			h.fatalf(srv, "server exited during startup: %v", srv.err)
		}
	}
}

// tryStart starts a server and waits until health says SERVING; false when
// it exited during startup.
func (h *harness) tryStart() (*server, bool) {
	h.t.Helper()
	srv, addr := h.spawn()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(bearer(h.key)))
	if err != nil {
		h.t.Fatal(err)
	}
	srv.conn = conn
	h.t.Cleanup(func() { conn.Close() })
	srv.customers = herkenv1.NewCustomerServiceClient(conn)
	srv.recognition = herkenv1.NewRecognitionServiceClient(conn)
	srv.interactions = herkenv1.NewInteractionServiceClient(conn)
	srv.promises = herkenv1.NewPromiseServiceClient(conn)
	srv.audit = herkenv1.NewAuditServiceClient(conn)
	health := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.Status == healthpb.HealthCheckResponse_SERVING {
			return srv, true
		}
		select {
		case <-srv.exited:
			return srv, false
		default:
		}
		if time.Now().After(deadline) {
			h.fatalf(srv, "server not SERVING after 30s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) fatalf(srv *server, format string, args ...any) {
	h.t.Helper()
	if srv != nil {
		b, _ := os.ReadFile(srv.logPath)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		h.t.Logf("last log lines of %s:\n%s", srv.logPath, strings.Join(lines[max(0, len(lines)-20):], "\n"))
	}
	h.t.Fatalf(format, args...)
}

// stop stops a server gracefully (SIGTERM) and requires a clean exit.
func (h *harness) stop(srv *server) {
	h.t.Helper()
	srv.conn.Close()
	stopAt := time.Now()
	_ = srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.exited:
		if srv.err != nil {
			h.fatalf(srv, "server exit after SIGTERM: %v", srv.err)
		}
		// A graceful stop flushes the audit trail: nothing acknowledged
		// before it may be missing.
		h.m.decideAudit(stopAt)
	case <-time.After(20 * time.Second):
		h.fatalf(srv, "server did not stop within 20s of SIGTERM")
	}
}

// backup takes an online backup of the running server through
// BackupService (`herken backup`), after the writes of the cycles so far.
func (h *harness) backup(srv *server) string {
	h.t.Helper()
	out := filepath.Join(h.logDir, fmt.Sprintf("backup-%03d.hbk", h.cycle))
	cmd := exec.Command(h.bin, "backup", "--addr", srv.addr, "--out", out)
	cmd.Env = append(os.Environ(), "HERKEN_API_KEY="+h.key)
	if b, err := cmd.CombinedOutput(); err != nil {
		h.fatalf(srv, "herken backup: %v\n%s", err, b)
	}
	h.m.stats.backups.Add(1)
	return out
}

// restoreBackup restores a backup into a new directory, applying the
// stopped store's erasures, and requires it clean (`herken restore` runs
// the check and exits 1 on any problem).
func (h *harness) restoreBackup(file string) {
	h.t.Helper()
	dir := filepath.Join(h.logDir, fmt.Sprintf("restored-%03d", h.cycle))
	b, err := exec.Command(h.bin, "restore", "--from", file, "--data-dir", dir, "--erasures-from", h.dir).CombinedOutput()
	if err != nil {
		h.m.stats.integrity.Add(1)
		h.t.Errorf("cycle %d: herken restore of an online backup: %v\n%s", h.cycle, err, b)
	}
	os.RemoveAll(dir)
}

// check runs herken check on the stopped store and counts its problems.
func (h *harness) check() {
	h.t.Helper()
	h.m.stats.checks.Add(1)
	var out, errOut bytes.Buffer
	cmd := exec.Command(h.bin, "check", "--data-dir", h.dir, "--json")
	if h.pgURL != "" {
		cmd = exec.Command(h.bin, "check", "--postgres-url", h.pgURL, "--json")
	}
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if h.pgURL != "" {
		var rep pgstore.Report
		if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
			h.t.Fatalf("herken check (cycle %d): %v %v\n%s%s", h.cycle, err, jerr, out.String(), errOut.String())
		}
		if err != nil || !rep.OK() {
			h.m.stats.integrity.Add(int64(max(rep.Total(), 1)))
			var text bytes.Buffer
			_ = rep.WriteText(&text)
			h.t.Errorf("herken check after cycle %d: %v\n%s", h.cycle, err, text.String())
		}
		return
	}
	var rep badgerstore.Report
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		h.t.Fatalf("herken check (cycle %d): %v %v\n%s%s", h.cycle, err, jerr, out.String(), errOut.String())
	}
	if err != nil || !rep.OK() {
		h.m.stats.integrity.Add(int64(rep.Total()))
		var text bytes.Buffer
		_ = rep.WriteText(&text)
		h.t.Errorf("herken check after cycle %d: %v\n%s", h.cycle, err, text.String())
	}
}

// --- the model -------------------------------------------------------------

type stats struct {
	acked, lost, integrity                    atomic.Int64
	customers, interactions, promises, closes atomic.Int64
	inDoubt, inDoubtWritten, rejected, reads  atomic.Int64
	checks, startupKills                      atomic.Int64
	auditChecked, auditLost                   atomic.Int64
	backups                                   atomic.Int64
	imported                                  atomic.Int64
}

type customer struct {
	name     string
	phone    string // unique, E.164
	email    string // unique
	landline string // shared, "" if none
	// acked interactions: name → occur time; inFlight counts acknowledged
	// and in-doubt ones (the bound on history length).
	interactions map[string]time.Time
	inFlight     int
	promises     []*promise
	touched      bool // written since the last verification
	// The create's acknowledgement time and request_id: its audit record
	// must survive a kill -9 a second later (the recorder flushes every
	// 200ms), and any graceful stop.
	created      time.Time
	reqID        string
	auditChecked bool
	// auditDecided: the first kill or stop after the create has said
	// whether its record must have survived (auditDue): acknowledged more
	// than a second before a kill, or before a graceful stop. A record
	// legitimately lost in the last second before one kill must not be
	// counted as lost at a later one.
	auditDecided, auditDue bool
}

type promise struct {
	name  string
	state herkenv1.PromiseState
	busy  bool // a writer or a pending close holds it
}

type pending struct {
	kind string // create, interaction, promise, close
	c    *customer
	p    *promise
	to   herkenv1.PromiseState
	cc   *herkenv1.CreateCustomerRequest
	ri   *herkenv1.RecordInteractionRequest
	cp   *herkenv1.CreatePromiseRequest
	// create only: the identifiers it links
	phone, email, landline string
	// import only: its records
	imports []importedRec
}

type model struct {
	mu        sync.Mutex
	run       string
	next      atomic.Int64
	customers []*customer
	pending   []*pending
	stats     stats
	life      lifeModel // lifecycle_test.go
}

// decideAudit settles, for every create acknowledged since the last kill
// or stop, whether its audit record must survive this one: those
// acknowledged before `before` (a second before a kill, or the stop).
func (m *model) decideAudit(before time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.customers {
		if !c.auditDecided && !c.created.IsZero() {
			c.auditDecided, c.auditDue = true, c.created.Before(before)
		}
	}
}

func newModel(seed uint64) *model {
	return &model{run: strconv.FormatUint(seed%100000, 36)}
}

func (m *model) addPending(p *pending) {
	m.mu.Lock()
	m.pending = append(m.pending, p)
	m.mu.Unlock()
	m.stats.inDoubt.Add(1)
}

// outcome classifies an RPC result: acknowledged, rejected by a rule (the
// server decided and wrote nothing), or in doubt (no answer: killed,
// timed out, or a server fault).
type outcome int

const (
	acked outcome = iota
	rejected
	inDoubt
)

func classify(err error) outcome {
	if err == nil {
		return acked
	}
	switch status.Code(err) {
	case codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.FailedPrecondition,
		codes.ResourceExhausted, codes.OutOfRange:
		return rejected
	}
	return inDoubt
}

// --- the workload ------------------------------------------------------------

// workload runs the writers against srv for d, then kills it with SIGKILL
// while requests are in flight.
func (h *harness) workload(srv *server, d time.Duration) {
	h.t.Helper()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		rng := rand.New(rand.NewPCG(h.rng.Uint64(), uint64(w)))
		go func() {
			defer wg.Done()
			for !stop.Load() {
				h.op(srv, rng)
			}
		}()
	}
	time.Sleep(d)
	// Audit records of calls acknowledged more than a second before the
	// kill must be on disk (at most the last second may be lost).
	auditBefore := time.Now().Add(-time.Second)
	h.trace("KILL")
	_ = srv.cmd.Process.Signal(syscall.SIGKILL)
	stop.Store(true)
	wg.Wait()
	<-srv.exited
	// Decided once nothing more can be acknowledged: a create acknowledged
	// in the last second before the kill may have lost its record.
	h.m.decideAudit(auditBefore)
	srv.conn.Close()
}

func phoneID(n string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: n}}
}

func emailID(e string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_Email{Email: e}}
}

// op does one random operation and records what the server acknowledged.
func (h *harness) op(srv *server, rng *rand.Rand) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	m := h.m
	switch r := rng.IntN(100); {
	case r < 26 || len(m.snapshot()) < 5:
		h.create(ctx, srv, rng)
	case r < 30:
		// The ImportCustomers writer; HERKEN_CRASH_IMPORT=0 (make
		// crashtest-short) runs creates instead (see importWriter).
		if importWriter() {
			h.importBatch(ctx, srv, rng)
		} else {
			h.create(ctx, srv, rng)
		}
	case r < 60:
		h.record(ctx, srv, rng)
	case r < 75:
		h.promise(ctx, srv, rng)
	case r < 82:
		h.close(ctx, srv, rng)
	case r < 94:
		h.life(ctx, srv, rng)
	default:
		h.read(ctx, srv, rng)
	}
}

func (m *model) snapshot() []*customer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.customers
}

func (h *harness) create(ctx context.Context, srv *server, rng *rand.Rand) {
	m := h.m
	n := m.next.Add(1)
	p := &pending{kind: "create",
		phone: fmt.Sprintf("+3161%07d", n),
		email: fmt.Sprintf("klant%d.%s@crash.example", n, m.run),
	}
	ids := []*herkenv1.Identifier{phoneID(p.phone), emailID(p.email)}
	if rng.IntN(3) == 0 {
		p.landline = fmt.Sprintf("+31205%06d", rng.IntN(landlines))
		ids = append(ids, phoneID(p.landline))
	}
	p.cc = &herkenv1.CreateCustomerRequest{
		RequestId:   fmt.Sprintf("cc-%s-%d", m.run, n),
		Customer:    &herkenv1.Customer{DisplayName: fmt.Sprintf("Klant %d", n), PreferredLanguage: "nl"},
		Identifiers: ids,
	}
	resp, err := srv.customers.CreateCustomer(ctx, p.cc)
	switch classify(err) {
	case acked:
		c := m.addCustomer(p, resp.GetCustomer().GetName())
		m.mu.Lock()
		c.created, c.reqID = time.Now(), p.cc.RequestId
		m.mu.Unlock()
		m.stats.acked.Add(1)
		m.stats.customers.Add(1)
	case rejected:
		h.rejected(err, "CreateCustomer")
	case inDoubt:
		m.addPending(p)
	}
}

func (h *harness) rejected(err error, rpc string) {
	switch status.Code(err) {
	case codes.ResourceExhausted, codes.FailedPrecondition:
		h.m.stats.rejected.Add(1) // the share limit
	case codes.NotFound:
		h.lost("%s of an acknowledged customer or promise: %v", rpc, err)
	default:
		h.t.Errorf("%s rejected: %v", rpc, err) // a bug in this test or the server
	}
}

func (m *model) addCustomer(p *pending, name string) *customer {
	c := &customer{name: name, phone: p.phone, email: p.email, landline: p.landline,
		interactions: map[string]time.Time{}, touched: true}
	m.mu.Lock()
	m.customers = append(m.customers, c)
	m.mu.Unlock()
	return c
}

// pick returns a random customer that may take another interaction, and
// reserves the slot.
func (m *model) pickForInteraction(rng *rand.Rand) *customer {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range 8 {
		c := m.customers[rng.IntN(len(m.customers))]
		if c.inFlight < maxInteractions {
			c.inFlight++
			return c
		}
	}
	return nil
}

func (h *harness) record(ctx context.Context, srv *server, rng *rand.Rand) {
	m := h.m
	c := m.pickForInteraction(rng)
	if c == nil {
		return
	}
	n := m.next.Add(1)
	channels := []herkenv1.Channel{herkenv1.Channel_CHANNEL_PHONE, herkenv1.Channel_CHANNEL_EMAIL, herkenv1.Channel_CHANNEL_CHAT}
	req := &herkenv1.RecordInteractionRequest{
		RequestId: fmt.Sprintf("ri-%s-%d", m.run, n),
		Interaction: &herkenv1.Interaction{
			Channel: channels[rng.IntN(len(channels))], Direction: herkenv1.Direction_DIRECTION_INBOUND,
			Outcome: herkenv1.InteractionOutcome_INTERACTION_OUTCOME_RESOLVED, Agent: "agent-042",
			Summary: fmt.Sprintf("contact %d", n), OccurTime: timestamppb.Now(),
		},
	}
	if rng.IntN(2) == 0 {
		req.Customer = &herkenv1.RecordInteractionRequest_Parent{Parent: c.name}
	} else {
		req.Customer = &herkenv1.RecordInteractionRequest_Identifier{Identifier: phoneID(c.phone)}
	}
	resp, err := srv.interactions.RecordInteraction(ctx, req)
	switch classify(err) {
	case acked:
		m.ackInteraction(c, resp.GetInteraction())
		m.stats.acked.Add(1)
		m.stats.interactions.Add(1)
	case rejected:
		h.rejected(err, "RecordInteraction")
	case inDoubt:
		m.addPending(&pending{kind: "interaction", c: c, ri: req})
	}
}

func (m *model) ackInteraction(c *customer, in *herkenv1.Interaction) {
	m.mu.Lock()
	c.interactions[in.GetName()] = in.GetOccurTime().AsTime()
	c.touched = true
	m.mu.Unlock()
}

func (h *harness) promise(ctx context.Context, srv *server, rng *rand.Rand) {
	m := h.m
	cs := m.snapshot()
	c := cs[rng.IntN(len(cs))]
	n := m.next.Add(1)
	kinds := []herkenv1.PromiseKind{herkenv1.PromiseKind_PROMISE_KIND_CALLBACK, herkenv1.PromiseKind_PROMISE_KIND_DELIVERY}
	owners := []string{"", "team-techniek", "team-verkoop", "agent-7"}
	req := &herkenv1.CreatePromiseRequest{
		RequestId: fmt.Sprintf("cp-%s-%d", m.run, n),
		Customer:  &herkenv1.CreatePromiseRequest_Parent{Parent: c.name},
		Promise: &herkenv1.Promise{
			Kind: kinds[rng.IntN(len(kinds))], Description: fmt.Sprintf("belofte %d", n),
			DueTime: timestamppb.New(time.Now().Add(time.Duration(1+rng.IntN(48)) * time.Hour).Truncate(time.Second)),
			Owner:   owners[rng.IntN(len(owners))],
		},
	}
	resp, err := srv.promises.CreatePromise(ctx, req)
	switch classify(err) {
	case acked:
		m.mu.Lock()
		c.promises = append(c.promises, &promise{name: resp.GetPromise().GetName(), state: resp.GetPromise().GetState()})
		c.touched = true
		m.mu.Unlock()
		m.stats.acked.Add(1)
		m.stats.promises.Add(1)
	case rejected:
		h.rejected(err, "CreatePromise")
	case inDoubt:
		m.addPending(&pending{kind: "promise", c: c, cp: req})
	}
}

// pickOpen reserves an OPEN promise no one else is closing.
func (m *model) pickOpen(rng *rand.Rand) (*customer, *promise) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range 8 {
		c := m.customers[rng.IntN(len(m.customers))]
		for _, p := range c.promises {
			if p.state == herkenv1.PromiseState_PROMISE_STATE_OPEN && !p.busy {
				p.busy = true
				return c, p
			}
		}
	}
	return nil, nil
}

func (h *harness) close(ctx context.Context, srv *server, rng *rand.Rand) {
	m := h.m
	c, p := m.pickOpen(rng)
	if p == nil {
		return
	}
	to := herkenv1.PromiseState_PROMISE_STATE_KEPT
	var err error
	var got *herkenv1.Promise
	if rng.IntN(3) == 0 {
		to = herkenv1.PromiseState_PROMISE_STATE_CANCELLED
		var resp *herkenv1.CancelPromiseResponse
		resp, err = srv.promises.CancelPromise(ctx, &herkenv1.CancelPromiseRequest{Name: p.name, Actor: "agent-7", Note: "niet meer nodig"})
		got = resp.GetPromise()
	} else {
		var resp *herkenv1.KeepPromiseResponse
		resp, err = srv.promises.KeepPromise(ctx, &herkenv1.KeepPromiseRequest{Name: p.name, Actor: "agent-7"})
		got = resp.GetPromise()
	}
	switch classify(err) {
	case acked:
		m.mu.Lock()
		p.state, p.busy, c.touched = got.GetState(), false, true
		m.mu.Unlock()
		if got.GetState() != to {
			h.t.Errorf("close %s: state %v, want %v", p.name, got.GetState(), to)
		}
		m.stats.acked.Add(1)
		m.stats.closes.Add(1)
	case rejected:
		h.rejected(err, "Keep/CancelPromise")
		m.mu.Lock()
		p.busy = false
		m.mu.Unlock()
	case inDoubt:
		m.addPending(&pending{kind: "close", c: c, p: p, to: to})
	}
}

// read looks an acknowledged customer up while writes go on: it must be
// found (an acknowledged write is visible), and Lookup must never fail with
// an internal error (an index naming a customer that is not there).
func (h *harness) read(ctx context.Context, srv *server, rng *rand.Rand) {
	cs := h.m.snapshot()
	c := cs[rng.IntN(len(cs))]
	resp, err := srv.recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: emailID(c.email)})
	h.m.stats.reads.Add(1)
	switch {
	case err != nil && classify(err) == inDoubt && status.Code(err) != codes.Internal:
		// the server is being killed
	case err != nil:
		h.t.Errorf("Lookup during writes: %v", err)
	case resp.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND || resp.GetCustomer().GetCustomer().GetName() != c.name:
		h.m.stats.lost.Add(1)
		h.t.Errorf("Lookup during writes of acknowledged %s: %v", c.name, resp.GetOutcome())
	}
}

// --- verification --------------------------------------------------------------

func vctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

func (h *harness) lost(format string, args ...any) {
	h.t.Helper()
	h.m.stats.lost.Add(1)
	h.t.Errorf("cycle %d: LOST: "+format, append([]any{h.cycle}, args...)...)
}

// verify resolves the writes left in doubt by the last kill, then checks
// every acknowledged write of the customers touched since the last
// verification and a sample of the others (all of them when full).
func (h *harness) verify(srv *server, full bool) {
	h.t.Helper()
	m := h.m
	m.mu.Lock()
	pend := m.pending
	m.pending = nil
	m.mu.Unlock()
	h.trace("verify: %d pending", len(pend))
	for _, p := range pend {
		h.resolve(srv, p)
	}
	m.mu.Lock()
	var todo []*customer
	for _, c := range m.customers {
		if full || c.touched {
			todo = append(todo, c)
			c.touched = false
		}
	}
	if !full {
		for range sampleOld {
			if len(m.customers) > 0 {
				todo = append(todo, m.customers[h.rng.IntN(len(m.customers))])
			}
		}
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	work := make(chan *customer)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				h.verifyCustomer(srv, c)
			}
		}()
	}
	for _, c := range todo {
		work <- c
	}
	close(work)
	wg.Wait()
	h.verifyLife(srv)
}

// lookup finds the holders of one identifier: the customer name when FOUND,
// the candidates when AMBIGUOUS, nothing when NOT_FOUND.
func lookup(srv *server, id *herkenv1.Identifier, limit int32) (*herkenv1.LookupResponse, []string, error) {
	ctx, cancel := vctx()
	defer cancel()
	resp, err := srv.recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: id, InteractionLimit: limit})
	if err != nil {
		return nil, nil, err
	}
	switch resp.GetOutcome() {
	case herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND:
		return resp, []string{resp.GetCustomer().GetCustomer().GetName()}, nil
	case herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS:
		var names []string
		for _, c := range resp.GetCandidates() {
			names = append(names, c.GetName())
		}
		return resp, names, nil
	}
	return resp, nil, nil
}

// resolve settles one write left in doubt: all or nothing, then retried
// with the same request id (a retry of a write that happened returns it).
func (h *harness) resolve(srv *server, p *pending) {
	h.t.Helper()
	m := h.m
	ctx, cancel := vctx()
	defer cancel()
	switch p.kind {
	case "import":
		h.resolveImport(srv, p)
	case "create":
		// All or nothing: both unique identifiers name the same customer,
		// or neither exists; the shared landline lists it when it exists.
		_, byPhone, err1 := lookup(srv, phoneID(p.phone), 0)
		_, byEmail, err2 := lookup(srv, emailID(p.email), 0)
		if err := errors.Join(err1, err2); err != nil {
			h.fatalf(srv, "verify lookup: %v", err)
		}
		if len(byPhone) > 1 || len(byEmail) > 1 || !slices.Equal(byPhone, byEmail) {
			m.stats.integrity.Add(1)
			h.t.Errorf("cycle %d: PARTIAL CreateCustomer %s: phone → %v, email → %v", h.cycle, p.cc.RequestId, byPhone, byEmail)
			return
		}
		existed := ""
		if len(byPhone) == 1 {
			existed = byPhone[0]
			m.stats.inDoubtWritten.Add(1)
			if p.landline != "" {
				if _, holders, err := lookup(srv, phoneID(p.landline), 0); err != nil || !slices.Contains(holders, existed) {
					m.stats.integrity.Add(1)
					h.t.Errorf("cycle %d: PARTIAL CreateCustomer %s: landline does not list %s (%v)", h.cycle, p.cc.RequestId, existed, err)
				}
			}
		}
		resp, err := srv.customers.CreateCustomer(ctx, p.cc)
		switch {
		case err == nil:
			if existed != "" && resp.GetCustomer().GetName() != existed {
				m.stats.integrity.Add(1)
				h.t.Errorf("cycle %d: retry of %s created %s, but %s existed", h.cycle, p.cc.RequestId, resp.GetCustomer().GetName(), existed)
			}
			m.addCustomer(p, resp.GetCustomer().GetName())
			m.stats.customers.Add(1)
		case classify(err) == rejected && existed == "":
			m.stats.rejected.Add(1) // the landline filled up meanwhile
		default:
			h.fatalf(srv, "retry of CreateCustomer %s (existed: %q): %v", p.cc.RequestId, existed, err)
		}
	case "interaction":
		resp, err := srv.interactions.RecordInteraction(ctx, p.ri)
		if status.Code(err) == codes.NotFound {
			h.lost("customer %s (retry of RecordInteraction %s: %v)", p.c.name, p.ri.RequestId, err)
			return
		}
		if err != nil {
			h.fatalf(srv, "retry of RecordInteraction %s: %v", p.ri.RequestId, err)
		}
		m.ackInteraction(p.c, resp.GetInteraction())
		m.stats.interactions.Add(1)
	case "promise":
		resp, err := srv.promises.CreatePromise(ctx, p.cp)
		if status.Code(err) == codes.NotFound {
			h.lost("customer %s (retry of CreatePromise %s: %v)", p.c.name, p.cp.RequestId, err)
			return
		}
		if err != nil {
			h.fatalf(srv, "retry of CreatePromise %s: %v", p.cp.RequestId, err)
		}
		m.mu.Lock()
		p.c.promises = append(p.c.promises, &promise{name: resp.GetPromise().GetName(), state: resp.GetPromise().GetState()})
		p.c.touched = true
		m.mu.Unlock()
		m.stats.promises.Add(1)
	case "close":
		got, err := srv.promises.GetPromise(ctx, &herkenv1.GetPromiseRequest{Name: p.p.name})
		if err != nil {
			h.lost("promise %s: %v", p.p.name, err)
			return
		}
		state := got.GetPromise().GetState()
		switch state {
		case p.to:
			m.stats.inDoubtWritten.Add(1)
		case herkenv1.PromiseState_PROMISE_STATE_OPEN:
			if p.to == herkenv1.PromiseState_PROMISE_STATE_KEPT {
				_, err = srv.promises.KeepPromise(ctx, &herkenv1.KeepPromiseRequest{Name: p.p.name, Actor: "agent-7"})
			} else {
				_, err = srv.promises.CancelPromise(ctx, &herkenv1.CancelPromiseRequest{Name: p.p.name, Actor: "agent-7"})
			}
			if err != nil {
				h.fatalf(srv, "retry of closing %s: %v", p.p.name, err)
			}
			state = p.to
		default:
			m.stats.integrity.Add(1)
			h.t.Errorf("cycle %d: promise %s in doubt to %v is %v", h.cycle, p.p.name, p.to, state)
		}
		m.mu.Lock()
		p.p.state, p.p.busy, p.c.touched = state, false, true
		m.mu.Unlock()
		m.stats.closes.Add(1)
	}
}

// verifyCustomer checks every acknowledged write of one customer.
func (h *harness) verifyCustomer(srv *server, c *customer) {
	m := h.m
	m.mu.Lock()
	interactions := make(map[string]time.Time, len(c.interactions))
	var newest time.Time
	for name, at := range c.interactions {
		interactions[name] = at
		if at.After(newest) {
			newest = at
		}
	}
	promises := make(map[string]herkenv1.PromiseState, len(c.promises))
	for _, p := range c.promises {
		if !p.busy {
			promises[p.name] = p.state
		}
	}
	m.mu.Unlock()

	ctx, cancel := vctx()
	defer cancel()
	got, err := srv.customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: c.name})
	if err != nil {
		h.lost("customer %s: %v", c.name, err)
		return
	}
	if last := got.GetCustomer().GetLastContactTime().AsTime(); !newest.IsZero() && last.Before(newest) {
		h.lost("customer %s: last contact %v before acknowledged interaction at %v", c.name, last, newest)
	}
	resp, holders, err := lookup(srv, phoneID(c.phone), 100)
	if err != nil || len(holders) != 1 || holders[0] != c.name {
		h.lost("customer %s: Lookup by its phone: %v %v", c.name, holders, err)
		return
	}
	seen := map[string]bool{}
	for _, in := range resp.GetCustomer().GetRecentInteractions() {
		seen[in.GetName()] = true
	}
	for name := range interactions {
		if !seen[name] {
			h.lost("interaction %s", name)
		}
	}
	if _, holders, err := lookup(srv, emailID(c.email), 0); err != nil || len(holders) != 1 || holders[0] != c.name {
		h.lost("customer %s: Lookup by its email: %v %v", c.name, holders, err)
	}
	if c.landline != "" {
		if _, holders, err := lookup(srv, phoneID(c.landline), 0); err != nil || !slices.Contains(holders, c.name) {
			h.lost("customer %s: not among the holders of its landline: %v %v", c.name, holders, err)
		}
	}
	for name, want := range promises {
		got, err := srv.promises.GetPromise(ctx, &herkenv1.GetPromiseRequest{Name: name})
		if err != nil || got.GetPromise().GetState() != want {
			h.lost("promise %s: %v %v, want %v", name, got.GetPromise().GetState(), err, want)
		}
	}
	h.verifyAudit(ctx, srv, c)
}

// verifyAudit checks that the audit record of the customer's acknowledged
// create survived, once its acknowledgement is older than auditBefore.
func (h *harness) verifyAudit(ctx context.Context, srv *server, c *customer) {
	m := h.m
	m.mu.Lock()
	due := c.auditDue && !c.auditChecked
	m.mu.Unlock()
	if !due {
		return
	}
	m.stats.auditChecked.Add(1)
	for tok := ""; ; {
		resp, err := srv.audit.ListAuditRecords(ctx, &herkenv1.ListAuditRecordsRequest{Parent: c.name, PageSize: 500, PageToken: tok})
		if err != nil {
			h.t.Errorf("ListAuditRecords %s: %v", c.name, err)
			return
		}
		for _, r := range resp.GetAuditRecords() {
			if r.GetRequestId() == c.reqID && r.GetAction() == herkenv1.AuditAction_AUDIT_ACTION_CHANGE &&
				r.GetMethod() == herkenv1.CustomerService_CreateCustomer_FullMethodName && r.GetActor() == crashKeyName {
				m.mu.Lock()
				c.auditChecked = true
				m.mu.Unlock()
				return
			}
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	m.stats.auditLost.Add(1)
	h.t.Errorf("customer %s: no audit record of its create (request %s), acknowledged more than a second before a kill, or before a graceful stop", c.name, c.reqID)
}
