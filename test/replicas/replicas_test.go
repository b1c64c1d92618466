// Package replicas runs several `herken serve --store postgres` processes
// on one PostgreSQL database (a throwaway server, internal/pgtest) and
// checks what a deployment behind a load balancer relies on: a write
// through one replica is read through another at once, races between
// replicas keep every invariant, a replica killed mid-write loses nothing
// it acknowledged while the others keep serving, the sweepers run on one
// replica at a time, and a database restart is survived without
// restarting herken.
package replicas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/herken/herken/client"
	"github.com/herken/herken/internal/pgtest"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

var bin string // the herken binary, built once by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "herken-replicas-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "herken")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/herken/herken/cmd/herken").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// replica is one herken serve process.
type replica struct {
	t      *testing.T
	cmd    *exec.Cmd
	exited chan struct{}
	log    *syncBuffer
	addr   string
	c      *client.Client
}

// syncBuffer is a log both the process and the test touch.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start starts a replica on the database at url and waits until it serves.
func start(t *testing.T, url string, extra ...string) *replica {
	t.Helper()
	r := &replica{t: t, exited: make(chan struct{}), log: &syncBuffer{}, addr: freeAddr(t)}
	args := append([]string{"serve", "--addr", r.addr, "--store", "postgres", "--postgres-url", url,
		"--log-format", "text", "--shutdown-timeout", "3s", "--no-rate-limit"}, extra...)
	r.cmd = exec.Command(bin, args...)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	r.cmd.Env = append(os.Environ(), "HERKEN_DEMO=false")
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			t.Logf("log of replica %s:\n%s", r.addr, tail(r.log.String(), 30))
		}
	})
	c, err := client.New(context.Background(), r.addr, client.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	r.c = c
	t.Cleanup(func() { c.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(r.log.String(), "herken serving") {
		select {
		case <-r.exited:
			t.Fatalf("replica exited during startup:\n%s", r.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica not serving after 60s:\n%s", r.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

// kill kills the replica with SIGKILL (no graceful anything) and waits.
func (r *replica) kill() {
	select {
	case <-r.exited:
	default:
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.exited
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func phone(n string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: n}}
}

var ctx = context.Background()

func create(t *testing.T, r *replica, name, number string) *herkenv1.Customer {
	t.Helper()
	c, err := r.c.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
		Customer:    &herkenv1.Customer{DisplayName: name, PreferredLanguage: "nl"},
		Identifiers: []*herkenv1.Identifier{phone(number)},
	})
	if err != nil {
		t.Fatalf("CreateCustomer through %s: %v", r.addr, err)
	}
	return c
}

// TestWriteOneReadOther: what one replica writes, the other reads at once,
// and both answer the README's lookups alike.
func TestWriteOneReadOther(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a := start(t, url, "--demo", "--demo-size", "20")
	b := start(t, url)
	if strings.Contains(b.log.String(), "seeded demo dataset") {
		t.Fatal("the second replica seeded the demo data again")
	}
	for _, number := range []string{"06-12345678", "020-1234567", "+32 470 12 34 56"} {
		ra, err := a.c.LookupPhone(ctx, number)
		if err != nil {
			t.Fatalf("Lookup %s through a: %v", number, err)
		}
		rb, err := b.c.LookupPhone(ctx, number)
		if err != nil {
			t.Fatalf("Lookup %s through b: %v", number, err)
		}
		if !proto.Equal(ra, rb) {
			t.Fatalf("Lookup %s differs between replicas:\n a: %v\n b: %v", number, ra, rb)
		}
	}
	jan, err := a.c.LookupPhone(ctx, "06-12345678")
	if err != nil || jan.GetCustomer().GetCustomer().GetDisplayName() != "Jan de Vries" {
		t.Fatalf("the demo's Jan de Vries: %v %v", jan, err)
	}

	c := create(t, a, "Replica Klant", "+31611112222")
	got, err := b.c.LookupPhone(ctx, "+31611112222")
	if err != nil || got.GetCustomer().GetCustomer().GetName() != c.GetName() {
		t.Fatalf("a create through a, a lookup through b: %v %v", got, err)
	}
	in, err := b.c.RecordInteraction(ctx, &herkenv1.RecordInteractionRequest{
		Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: c.GetName()},
		Interaction: &herkenv1.Interaction{Channel: herkenv1.Channel_CHANNEL_PHONE, Direction: herkenv1.Direction_DIRECTION_INBOUND,
			Outcome: herkenv1.InteractionOutcome_INTERACTION_OUTCOME_RESOLVED, Agent: "agent-1", Summary: "via b", OccurTime: timestamppb.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = a.c.LookupPhone(ctx, "+31611112222")
	if err != nil || len(got.GetCustomer().GetRecentInteractions()) != 1 || got.GetCustomer().GetRecentInteractions()[0].GetName() != in.GetName() {
		t.Fatalf("an interaction through b, a lookup through a: %v %v", got, err)
	}
	// Page tokens are sealed with the database's secret: a token one
	// replica issued opens on the other.
	page, err := a.c.ListCustomers(ctx, &herkenv1.ListCustomersRequest{PageSize: 5})
	if err != nil || page.GetNextPageToken() == "" {
		t.Fatalf("ListCustomers through a: %v %v", page, err)
	}
	if _, err := b.c.ListCustomers(ctx, &herkenv1.ListCustomersRequest{PageSize: 5, PageToken: page.GetNextPageToken()}); err != nil {
		t.Fatalf("a page token from a, used on b: %v", err)
	}
	// Idempotency keys are shared: a retry through the other replica
	// returns what the first made.
	req := &herkenv1.CreateCustomerRequest{RequestId: "replica-retry-1",
		Customer: &herkenv1.Customer{DisplayName: "Eenmalig"}, Identifiers: []*herkenv1.Identifier{phone("+31633334444")}}
	first, err := a.c.CreateCustomer(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.c.CreateCustomer(ctx, req)
	if err != nil || again.GetName() != first.GetName() {
		t.Fatalf("the same request_id through b: %v %v, want %s", again, err, first.GetName())
	}
}

// TestDemoSeededOnce: replicas started together with --demo on an empty
// database seed it once between them.
func TestDemoSeededOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	rs := make([]*replica, 3)
	for i := range rs {
		wg.Add(1)
		go func() { defer wg.Done(); rs[i] = start(t, url, "--demo", "--demo-size", "20") }()
	}
	wg.Wait()
	seeded := 0
	for _, r := range rs {
		if strings.Contains(r.log.String(), "seeded demo dataset") {
			seeded++
		}
	}
	if seeded != 1 {
		t.Fatalf("%d of 3 replicas seeded the demo data", seeded)
	}
	got, err := rs[0].c.LookupPhone(ctx, "06-12345678")
	if err != nil || got.GetCustomer().GetCustomer().GetDisplayName() != "Jan de Vries" {
		t.Fatalf("Jan after a seed by three replicas: %v %v", got, err)
	}
}

// TestMergeRace: two replicas merge the same customers in opposite
// directions at once; exactly one merge wins and the data stays whole.
func TestMergeRace(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a := start(t, url)
	b := start(t, url)
	for round := range 10 {
		x := create(t, a, "X", fmt.Sprintf("+316200%05d", round))
		y := create(t, b, "Y", fmt.Sprintf("+316300%05d", round))
		var wg sync.WaitGroup
		var errA, errB error
		wg.Add(2)
		go func() { defer wg.Done(); _, errA = a.c.MergeCustomers(ctx, x.GetName(), y.GetName()) }()
		go func() { defer wg.Done(); _, errB = b.c.MergeCustomers(ctx, y.GetName(), x.GetName()) }()
		wg.Wait()
		if (errA == nil) == (errB == nil) {
			t.Fatalf("round %d: both merges %v / %v: want exactly one to win", round, errA, errB)
		}
		loser := errA
		if loser == nil {
			loser = errB
		}
		if status.Code(loser) != codes.FailedPrecondition && status.Code(loser) != codes.NotFound {
			t.Fatalf("round %d: the losing merge failed with %v", round, loser)
		}
		// Both numbers now find the one survivor, through either replica.
		ra, err := a.c.LookupPhone(ctx, fmt.Sprintf("+316200%05d", round))
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.c.LookupPhone(ctx, fmt.Sprintf("+316300%05d", round))
		if err != nil {
			t.Fatal(err)
		}
		if ra.GetCustomer().GetCustomer().GetName() == "" || ra.GetCustomer().GetCustomer().GetName() != rb.GetCustomer().GetCustomer().GetName() {
			t.Fatalf("round %d: after the race the numbers find %q and %q", round, ra.GetCustomer().GetCustomer().GetName(), rb.GetCustomer().GetCustomer().GetName())
		}
	}
	checkClean(t, url)
}

// checkClean runs herken check on the database.
func checkClean(t *testing.T, url string) {
	t.Helper()
	out, err := exec.Command(bin, "check", "--postgres-url", url).CombinedOutput()
	if err != nil {
		t.Fatalf("herken check: %v\n%s", err, out)
	}
}

// TestKillReplicaMidWrite: writers on both replicas; one is killed with
// SIGKILL mid-write; the other keeps serving, and every write either
// acknowledged is there.
func TestKillReplicaMidWrite(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a := start(t, url)
	b := start(t, url)
	var mu sync.Mutex
	acked := map[string]string{} // number -> customer name
	var n atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	var aFailures, bFailures atomic.Int64
	writer := func(r *replica, failures *atomic.Int64) {
		defer wg.Done()
		for !stop.Load() {
			number := fmt.Sprintf("+31640%06d", n.Add(1))
			c, err := r.c.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
				Customer: &herkenv1.Customer{DisplayName: "Klant"}, Identifiers: []*herkenv1.Identifier{phone(number)}})
			if err != nil {
				failures.Add(1)
				if failures.Load() > 1000 {
					return
				}
				time.Sleep(5 * time.Millisecond)
				continue
			}
			mu.Lock()
			acked[number] = c.GetName()
			mu.Unlock()
		}
	}
	for range 3 {
		wg.Add(2)
		go writer(a, &aFailures)
		go writer(b, &bFailures)
	}
	time.Sleep(700 * time.Millisecond)
	a.kill()
	mu.Lock()
	atKill := len(acked)
	mu.Unlock()
	time.Sleep(700 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) <= atKill {
		t.Fatalf("no write through b succeeded after a was killed (%d acknowledged at the kill, %d b failures)", atKill, bFailures.Load())
	}
	if bFailures.Load() > 0 {
		t.Errorf("%d writes through b failed while a was killed", bFailures.Load())
	}
	for number, name := range acked {
		got, err := b.c.LookupPhone(ctx, number)
		if err != nil || got.GetCustomer().GetCustomer().GetName() != name {
			t.Fatalf("LOST: %s acknowledged as %s, lookup through b: %v %v", number, name, got, err)
		}
	}
	t.Logf("%d creates acknowledged (%d before the kill of a); all found through b", len(acked), atKill)
	checkClean(t, url)
}

// TestSweeperOnOneReplica: of two replicas exactly one runs the sweepers;
// when it dies the other takes over within seconds.
func TestSweeperOnOneReplica(t *testing.T) {
	url := pgtest.NewDatabase(t)
	const leads = "this replica runs the background sweepers"
	a := start(t, url, "--promise-sweep-interval", "1s")
	waitFor(t, 10*time.Second, func() bool { return strings.Contains(a.log.String(), leads) })
	b := start(t, url, "--promise-sweep-interval", "1s")
	time.Sleep(5 * time.Second) // b tries the lock every 2 s and on every sweep
	if strings.Contains(b.log.String(), leads) {
		t.Fatalf("both replicas run the sweepers")
	}
	killed := time.Now()
	a.kill()
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(b.log.String(), leads) })
	t.Logf("b took the sweepers over %v after a was killed", time.Since(killed).Round(100*time.Millisecond))
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDatabaseRestart: under lookups, the database stops and starts again.
// Meanwhile calls fail UNAVAILABLE (never a wrong answer) and health says
// NOT_SERVING; afterwards both recover without restarting herken.
func TestDatabaseRestart(t *testing.T) {
	srv, err := pgtest.Start("")
	if err != nil {
		if os.Getenv("HERKEN_REQUIRE_POSTGRES") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer srv.Stop()
	url, err := srv.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := start(t, url)
	c := create(t, a, "Herstart", "+31655556666")
	var stop atomic.Bool
	var ok, unavailable, wrong atomic.Int64
	var other sync.Map
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			got, err := a.c.LookupPhone(cctx, "+31655556666")
			cancel()
			switch {
			case err == nil && got.GetCustomer().GetCustomer().GetName() == c.GetName():
				ok.Add(1)
			case err == nil:
				wrong.Add(1)
			case status.Code(err) == codes.Unavailable || errors.Is(err, client.ErrUnavailable):
				unavailable.Add(1)
			default:
				other.Store(status.Code(err).String(), err.Error())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	if err := srv.Restart(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	before := ok.Load()
	waitFor(t, 30*time.Second, func() bool { return ok.Load() > before+5 })
	stop.Store(true)
	<-done
	other.Range(func(k, v any) bool { t.Errorf("a lookup failed with %s: %s", k, v); return true })
	if wrong.Load() > 0 {
		t.Fatalf("%d lookups answered wrongly", wrong.Load())
	}
	if unavailable.Load() == 0 {
		t.Fatal("no lookup failed while the database was down: did it go down?")
	}
	if !strings.Contains(a.log.String(), "store unhealthy; NOT_SERVING") {
		t.Fatalf("health did not go NOT_SERVING:\n%s", a.log.String())
	}
	waitFor(t, 10*time.Second, func() bool { return strings.Contains(a.log.String(), "store healthy; SERVING") })
	t.Logf("%d lookups answered, %d UNAVAILABLE while the database was down", ok.Load(), unavailable.Load())
}

// TestScreenPopAcrossReplicas: replicas that share --screen-pop-secret-file
// open each other's screen pop links, read from the one database: a PBX
// asks replica a for the link and the agent's browser lands on b (behind
// a load balancer). Jan's page shows his missed callback first; the
// household's page lists both Bakkers, and a pick shows Pieter.
func TestScreenPopAcrossReplicas(t *testing.T) {
	url := pgtest.NewDatabase(t)
	secret := filepath.Join(t.TempDir(), "screen-pop.secret")
	if err := os.WriteFile(secret, []byte("c2hhcmVkIHNjcmVlbiBwb3Agc2VjcmV0IGZvciByZXBsaWNhcw==\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	httpA, httpB := freeAddr(t), freeAddr(t)
	a := start(t, url, "--demo", "--demo-size", "20", "--http-addr", httpA, "--screen-pop-secret-file", secret)
	start(t, url, "--http-addr", httpB, "--screen-pop-secret-file", secret)
	page := func(link, query string) string {
		t.Helper()
		// The link names a's address; the load balancer sent the browser to b.
		u := strings.Replace(link, httpA, httpB, 1) + query
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s on b: %d\n%s", u, resp.StatusCode, b)
		}
		return string(b)
	}
	jan, err := a.c.ScreenPopLink(ctx, "06-12345678", 0)
	if err != nil {
		t.Fatal(err)
	}
	body := page(jan.GetUrl(), "")
	first := strings.Index(body, `class="promise`)
	if !strings.Contains(body, `<h1 id="name">Jan de Vries</h1>`) || first < 0 || !strings.Contains(body[first:first+400], "Terugbellen over de storing") {
		t.Fatalf("Jan's screen pop on b:\n%s", body)
	}
	house, err := a.c.ScreenPopLink(ctx, "020-1234567", 0)
	if err != nil {
		t.Fatal(err)
	}
	body = page(house.GetUrl(), "")
	if !strings.Contains(body, "Anna Bakker") || !strings.Contains(body, "Pieter Bakker") || strings.Contains(body, `id="name"`) {
		t.Fatalf("the household's screen pop on b:\n%s", body)
	}
	pieter, err := a.c.LookupPhone(ctx, "06-34567890")
	if err != nil {
		t.Fatal(err)
	}
	body = page(house.GetUrl(), "?customer="+pieter.GetCustomer().GetCustomer().GetName())
	if !strings.Contains(body, `<h1 id="name">Pieter Bakker</h1>`) || !strings.Contains(body, "Slechthorend") {
		t.Fatalf("Pieter picked on b:\n%s", body)
	}
}
