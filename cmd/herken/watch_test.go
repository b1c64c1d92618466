package main

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herken/herken"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/store/badgerstore"
)

// serveStore serves a herken server over store on loopback, SERVING, and
// returns a client connection's health and recognition clients.
func serveStore(t *testing.T, store *badgerstore.Store) (*server.Server, healthpb.HealthClient, herkenv1.RecognitionServiceClient) {
	t.Helper()
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(herken.NewService(store, norm, herken.ServiceConfig{}), server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Shutdown)
	srv.SetServing(true)
	conn := clientConn(t, lis.Addr().String())
	return srv, healthpb.NewHealthClient(conn), herkenv1.NewRecognitionServiceClient(conn)
}

func waitHealth(t *testing.T, h healthpb.HealthClient, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := h.Check(ctx, &healthpb.HealthCheckRequest{Service: herkenv1.RecognitionService_ServiceDesc.ServiceName})
		cancel()
		if err == nil && resp.GetStatus() == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("health %v (%v), want %s", resp.GetStatus(), err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWatchStoreClosed: with the store closed under a running server,
// requests are UNAVAILABLE / STORE_UNAVAILABLE and health goes NOT_SERVING
// at the next probe.
func TestWatchStoreClosed(t *testing.T) {
	store, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, health, rec := serveStore(t, store)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go watchStore(ctx, store, srv, slog.New(slog.DiscardHandler), server.Serving, 20*time.Millisecond)
	waitHealth(t, health, healthpb.HealthCheckResponse_SERVING)

	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = rec.Lookup(context.Background(), &herkenv1.LookupRequest{Identifier: &herkenv1.Identifier{
		Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: "06-12345678"}}})
	st := status.Convert(err)
	var reason string
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			reason = info.GetReason()
		}
	}
	if st.Code() != codes.Unavailable || reason != "STORE_UNAVAILABLE" {
		t.Errorf("Lookup on a closed store: %s %q (reason %q), want UNAVAILABLE / STORE_UNAVAILABLE", st.Code(), st.Message(), reason)
	}
	waitHealth(t, health, healthpb.HealthCheckResponse_NOT_SERVING)
}

type flakyStore struct{ down, full atomic.Bool }

func (f *flakyStore) Writable() error {
	if f.full.Load() {
		return errors.New("disk full")
	}
	return nil
}

func (f *flakyStore) Ping(context.Context) error {
	if f.down.Load() {
		return errors.New("store down")
	}
	return nil
}

// TestWatchStoreRecovers: health follows the probe both ways.
func TestWatchStoreRecovers(t *testing.T) {
	store, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv, health, _ := serveStore(t, store)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var probe flakyStore
	go watchStore(ctx, &probe, srv, slog.New(slog.DiscardHandler), server.Serving, 10*time.Millisecond)
	probe.down.Store(true)
	waitHealth(t, health, healthpb.HealthCheckResponse_NOT_SERVING)
	probe.down.Store(false)
	waitHealth(t, health, healthpb.HealthCheckResponse_SERVING)
	// A store that reads but refuses writes: read-only, then back.
	probe.full.Store(true)
	waitServices(t, health, readOnlyHealth)
	probe.full.Store(false)
	waitServices(t, health, allHealth(healthpb.HealthCheckResponse_SERVING))
	// Unreadable beats full.
	probe.full.Store(true)
	probe.down.Store(true)
	waitServices(t, health, allHealth(healthpb.HealthCheckResponse_NOT_SERVING))
}

// readOnlyHealth is what health reports per service while the store
// refuses writes: only the services that just read stay SERVING.
var readOnlyHealth = map[string]healthpb.HealthCheckResponse_ServingStatus{
	"": healthpb.HealthCheckResponse_NOT_SERVING,
	herkenv1.RecognitionService_ServiceDesc.ServiceName: healthpb.HealthCheckResponse_SERVING,
	herkenv1.MaintenanceService_ServiceDesc.ServiceName: healthpb.HealthCheckResponse_SERVING,
	herkenv1.CustomerService_ServiceDesc.ServiceName:    healthpb.HealthCheckResponse_NOT_SERVING,
	herkenv1.InteractionService_ServiceDesc.ServiceName: healthpb.HealthCheckResponse_NOT_SERVING,
	herkenv1.PromiseService_ServiceDesc.ServiceName:     healthpb.HealthCheckResponse_NOT_SERVING,
}

func allHealth(st healthpb.HealthCheckResponse_ServingStatus) map[string]healthpb.HealthCheckResponse_ServingStatus {
	m := make(map[string]healthpb.HealthCheckResponse_ServingStatus)
	for name := range readOnlyHealth {
		m[name] = st
	}
	return m
}

// waitServices waits until every service's health is as in want.
func waitServices(t *testing.T, h healthpb.HealthClient, want map[string]healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := make(map[string]healthpb.HealthCheckResponse_ServingStatus)
		for name := range want {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			resp, err := h.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			cancel()
			if err != nil {
				t.Fatalf("health of %q: %v", name, err)
			}
			got[name] = resp.GetStatus()
		}
		if maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("health %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
