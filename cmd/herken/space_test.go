package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/herken/herken/client"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// TestServeDiskSpaceLow runs the real serve path on a data directory whose
// free space drops below --min-free-mb and comes back: writes are refused
// with UNAVAILABLE / STORE_UNAVAILABLE (cause DISK_SPACE_LOW), health goes
// read-only (NOT_SERVING overall, RecognitionService SERVING), callers are
// still recognised, and with room again everything is SERVING and writes
// succeed. The real filesystem version is make disktest (test/disk).
func TestServeDiskSpaceLow(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 30)
	cfg := testConfig()
	cfg.InMemory, cfg.DataDir, cfg.MinFreeMB = false, t.TempDir(), 64
	cfg.diskFree = func() (uint64, error) { return free.Load(), nil }
	cfg.probeEvery = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, cfg, slog.New(slog.NewJSONHandler(&logs, nil)), ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready")
	}
	conn := clientConn(t, addr)
	health := healthpb.NewHealthClient(conn)
	customers := herkenv1.NewCustomerServiceClient(conn)
	c := client.NewFromConn(conn)
	create := func(phone string) error {
		_, err := customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
			Customer:    &herkenv1.Customer{DisplayName: "Klant"},
			Identifiers: []*herkenv1.Identifier{{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: phone}}}})
		return err
	}
	waitServices(t, health, allHealth(healthpb.HealthCheckResponse_SERVING))
	if err := create("+31620000001"); err != nil {
		t.Fatal(err)
	}

	free.Store(63 << 20)
	err := create("+31620000002")
	st := status.Convert(err)
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	if st.Code() != codes.Unavailable || info.GetReason() != "STORE_UNAVAILABLE" || info.GetMetadata()["cause"] != "DISK_SPACE_LOW" {
		t.Fatalf("write below the reserve: %s %q %v, want UNAVAILABLE / STORE_UNAVAILABLE, cause DISK_SPACE_LOW", st.Code(), st.Message(), info)
	}
	waitServices(t, health, readOnlyHealth)
	// Callers are still recognised; the refused customer does not exist.
	if resp, err := c.LookupPhone(ctx, "06-20000001"); err != nil || resp.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND {
		t.Fatalf("lookup while read-only: %v %v", resp.GetOutcome(), err)
	}
	if resp, err := c.LookupPhone(ctx, "06-20000002"); err != nil || resp.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND {
		t.Fatalf("lookup of the refused customer: %v %v", resp.GetOutcome(), err)
	}

	free.Store(1 << 30)
	waitServices(t, health, allHealth(healthpb.HealthCheckResponse_SERVING))
	if err := create("+31620000002"); err != nil {
		t.Fatalf("write with room again: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for _, want := range []string{"data directory nearly full", "store refuses writes", "data directory has room again", "store healthy; SERVING"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestServeStartsReadOnly: a server started on a disk below the reserve
// comes up read-only instead of refusing to start, so callers are still
// recognised.
func TestServeStartsReadOnly(t *testing.T) {
	cfg := testConfig()
	cfg.InMemory, cfg.DataDir, cfg.Demo, cfg.MinFreeMB = false, t.TempDir(), false, 64
	var free atomic.Uint64
	free.Store(1 << 30)
	cfg.diskFree = func() (uint64, error) { return free.Load(), nil }
	// First start: create the store.
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, cfg, slog.New(slog.DiscardHandler), ready) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("server exited: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Second start on a full disk.
	free.Store(0)
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- runServer(ctx, cfg, slog.New(slog.DiscardHandler), ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server on a full disk exited: %v", err)
	}
	waitServices(t, healthpb.NewHealthClient(clientConn(t, addr)), readOnlyHealth)
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMinFreeBytes: --min-free-mb 0 turns the reserve off (badgerstore's
// 0 would mean its default instead).
func TestMinFreeBytes(t *testing.T) {
	if got := minFreeBytes(0); got >= 0 {
		t.Errorf("minFreeBytes(0) = %d, want negative (off)", got)
	}
	if got := minFreeBytes(256); got != 256<<20 {
		t.Errorf("minFreeBytes(256) = %d, want %d", got, 256<<20)
	}
}

// TestServeDebugAddrTaken: a --debug-addr that cannot be listened on stops
// the start before gRPC serves (it used to return with gRPC already up and
// close the store under it).
func TestServeDebugAddrTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := testConfig()
	cfg.DebugAddr = taken.Addr().String()
	ready := make(chan string, 1)
	err = runServer(context.Background(), cfg, slog.New(slog.DiscardHandler), ready)
	if err == nil {
		t.Fatal("runServer with a taken --debug-addr: no error")
	}
	select {
	case addr := <-ready:
		t.Fatalf("gRPC served on %s although the debug address was taken", addr)
	default:
	}
}
