package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
)

// withLimits sets the server's limits.
func withLimits(l server.Limits) testOption { return func(c *testConfig) { c.cfg.Limits = l } }

func TestRateLimit(t *testing.T) {
	s := newTestServer(t, withMemory(), withLimits(server.Limits{Rate: 1, Burst: 3}))
	lookup := func() error {
		_, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")})
		return err
	}
	for i := range 3 {
		if err := lookup(); status.Code(err) == codes.ResourceExhausted {
			t.Fatalf("call %d within the burst refused: %v", i, err)
		}
	}
	err := lookup()
	checkErr(t, err, wantErr{codes.ResourceExhausted, server.ReasonRateLimited, ""})
	var retry *errdetails.RetryInfo
	for _, d := range status.Convert(err).Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if d := retry.GetRetryDelay().AsDuration(); retry == nil || d <= 0 || d > time.Second {
		t.Fatalf("RetryInfo = %v, want a delay in (0, 1s] (one token a second)", retry)
	}
	// A refused call spends no token: after the advertised delay one call
	// passes again.
	time.Sleep(retry.GetRetryDelay().AsDuration())
	if err := lookup(); status.Code(err) == codes.ResourceExhausted {
		t.Fatalf("after RetryInfo's delay: %v", err)
	}
}

// TestRateLimitQueue: calls over the rate whose token is due within the
// queue wait wait for it instead of being refused.
func TestRateLimitQueue(t *testing.T) {
	s := newTestServer(t, withMemory(), withLimits(server.Limits{Rate: 100, Burst: 1, QueueWait: 200 * time.Millisecond}))
	start := time.Now()
	for i := range 6 {
		if _, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")}); err != nil {
			t.Fatalf("call %d: %v, want it to wait for its token (10ms apart)", i, err)
		}
	}
	if took := time.Since(start); took < 40*time.Millisecond {
		t.Errorf("6 calls at 100/s with a burst of 1 took %v: they did not wait for their tokens", took)
	}
	// A call whose token is not due within the queue wait is refused at
	// its end, not at once: a flood's refusals come no faster than its
	// calls in flight per queue wait.
	s = newTestServer(t, withMemory(), withLimits(server.Limits{Rate: 1, Burst: 1, QueueWait: 150 * time.Millisecond}))
	if _, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	_, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")})
	if took := time.Since(start); status.Code(err) != codes.ResourceExhausted || took < 150*time.Millisecond {
		t.Errorf("over the rate: %v after %v, want RESOURCE_EXHAUSTED after the 150ms queue wait", err, took)
	}
	// Never waiting: the second call at once is refused.
	s = newTestServer(t, withMemory(), withLimits(server.Limits{Rate: 100, Burst: 1, QueueWait: -1}))
	var refused int
	for range 6 {
		if _, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")}); status.Code(err) == codes.ResourceExhausted {
			refused++
		}
	}
	if refused == 0 {
		t.Error("with QueueWait < 0 no call over the rate was refused")
	}
}

func TestRateLimitOff(t *testing.T) {
	s := newTestServer(t, withMemory(), withLimits(server.Limits{Rate: 1, Burst: 1, Unlimited: true}))
	for i := range 20 {
		if _, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")}); status.Code(err) == codes.ResourceExhausted {
			t.Fatalf("call %d refused with limiting off: %v", i, err)
		}
	}
}

// deadlineService reports the deadline its handler sees, through the
// server's interceptors.
const deadlineService = "herken.test.DeadlineService"

func registerDeadlineService(g *grpc.Server) {
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: deadlineService,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Deadline",
			Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
				in := new(emptypb.Empty)
				if err := dec(in); err != nil {
					return nil, err
				}
				h := func(ctx context.Context, _ any) (any, error) {
					d, ok := ctx.Deadline()
					if !ok {
						return durationpb.New(0), nil
					}
					return durationpb.New(time.Until(d)), nil
				}
				return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + deadlineService + "/Deadline"}, h)
			},
		}},
	}, struct{}{})
}

func TestMaxDeadline(t *testing.T) {
	s := newTestServer(t, withMemory(), withService(registerDeadlineService), withLimits(server.Limits{MaxDeadline: 2 * time.Second}))
	left := func(ctx context.Context) time.Duration {
		t.Helper()
		var out durationpb.Duration
		if err := s.Conn.Invoke(ctx, "/"+deadlineService+"/Deadline", &emptypb.Empty{}, &out); err != nil {
			t.Fatal(err)
		}
		return out.AsDuration()
	}
	// No deadline, or one far away: the handler gets the bound.
	if d := left(context.Background()); d <= 0 || d > 2*time.Second {
		t.Errorf("without a deadline the handler has %v left, want (0, 2s]", d)
	}
	long, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if d := left(long); d <= 0 || d > 2*time.Second {
		t.Errorf("with a 1h deadline the handler has %v left, want (0, 2s]", d)
	}
	// A shorter deadline is kept.
	short, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	if d := left(short); d <= 0 || d > 500*time.Millisecond {
		t.Errorf("with a 500ms deadline the handler has %v left", d)
	}
}

func TestMaxMessageSize(t *testing.T) {
	s := newTestServer(t, withMemory())
	// 2 MiB of handover note: above the default 1 MiB bound, refused before
	// it is decoded.
	_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{DisplayName: "Groot", HandoverNote: strings.Repeat("x", 2<<20)},
	})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("2 MiB request: %v, want RESOURCE_EXHAUSTED", err)
	}
}

func TestLimitsValidate(t *testing.T) {
	for _, l := range []server.Limits{
		{Rate: -1},
		{MaxConnectionIdle: time.Millisecond},
		{MaxDeadline: time.Millisecond},
	} {
		if err := l.Validate(); err == nil {
			t.Errorf("%+v: no error", l)
		}
	}
	var l server.Limits
	if err := l.Validate(); err != nil || l.Rate != 200 || l.Burst != 400 || l.MaxDeadline != 30*time.Second || l.MaxConcurrentStreams != 256 {
		t.Errorf("defaults: %+v, %v", l, err)
	}
}

// TestMaxStreamDeadline: a stream that would run forever (a health Watch,
// or a backup nobody reads) ends at the stream bound.
func TestMaxStreamDeadline(t *testing.T) {
	s := newTestServer(t, withMemory(), withLimits(server.Limits{MaxStreamDeadline: 200 * time.Millisecond}))
	start := time.Now()
	w, err := s.Health.Watch(ctxT(t), &healthpb.HealthCheckRequest{}) // the client's own deadline: 10s
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err = w.Recv(); err != nil {
			break
		}
	}
	// The health service ends a Watch whose context is done as CANCELLED.
	if took := time.Since(start); took > 5*time.Second || status.Code(err) != codes.Canceled {
		t.Fatalf("Watch ended after %v with %v, want the server to end it at the 200ms bound", took, err)
	}
}
