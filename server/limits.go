package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/herken/herken/server/metrics"
)

// Limits protect the server, and every other caller, from one caller's
// excess. The zero value takes the defaults.
type Limits struct {
	// Rate is the sustained calls per second each key may make (a token
	// bucket per key name; all anonymous callers share one); default 200:
	// above a large contact centre's ring rate, and a small share of one
	// node's capacity (about 6,000 Lookups/s on 2 cores), so that one key
	// cannot take the node from the others.
	// Beyond it calls fail RESOURCE_EXHAUSTED / RATE_LIMITED with RetryInfo.
	Rate float64
	// Burst is how many calls a key may make at once above Rate; default
	// twice Rate.
	Burst int
	// Unlimited turns rate limiting off (benchmarks of the bare server).
	Unlimited bool
	// QueueWait is how long a call over the rate waits: served if its
	// token comes due by then, refused at the end of the wait otherwise;
	// default 100ms, negative: refused at once.
	QueueWait time.Duration
	// MaxConcurrentStreams bounds the calls in flight on one connection;
	// default 256. A client that opens more waits for one to finish.
	MaxConcurrentStreams uint32
	// MaxConnectionIdle closes a connection with no call for this long;
	// default 5m, so thousands of idle connections do not pile up.
	MaxConnectionIdle time.Duration
	// MaxDeadline bounds how long a unary call may run: a call without a
	// deadline, or with a later one, gets this one; default 30s.
	MaxDeadline time.Duration
	// MaxStreamDeadline is the same bound for streaming calls (a backup of
	// a large store takes minutes); default 1h. A client that never reads
	// its stream is cut off then.
	MaxStreamDeadline time.Duration
}

// Validate fills defaults and checks l.
func (l *Limits) Validate() error {
	if l.Rate == 0 {
		l.Rate = 200
	}
	if l.Burst == 0 {
		l.Burst = int(2 * l.Rate)
	}
	if l.QueueWait == 0 {
		l.QueueWait = 100 * time.Millisecond
	}
	if l.MaxConcurrentStreams == 0 {
		l.MaxConcurrentStreams = 256
	}
	if l.MaxConnectionIdle == 0 {
		l.MaxConnectionIdle = 5 * time.Minute
	}
	if l.MaxDeadline == 0 {
		l.MaxDeadline = 30 * time.Second
	}
	if l.MaxStreamDeadline == 0 {
		l.MaxStreamDeadline = time.Hour
	}
	var errs []error
	if l.Rate < 0 || l.Burst < 1 {
		errs = append(errs, fmt.Errorf("server: rate limit %v/s with burst %d: both must be positive", l.Rate, l.Burst))
	}
	if l.MaxConnectionIdle < time.Second {
		errs = append(errs, errors.New("server: MaxConnectionIdle must be at least 1s"))
	}
	if l.MaxDeadline < 10*time.Millisecond || l.MaxStreamDeadline < 10*time.Millisecond {
		errs = append(errs, errors.New("server: MaxDeadline and MaxStreamDeadline must be at least 10ms"))
	}
	return errors.Join(errs...)
}

// limitOptions are the per-connection limits.
func (s *Server) limitOptions() []grpc.ServerOption {
	l := s.cfg.Limits
	return []grpc.ServerOption{
		grpc.MaxConcurrentStreams(l.MaxConcurrentStreams),
		// Clients may ping every 10s, also between calls (a PBX keeps its
		// connection warm); more often is a GOAWAY.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// Idle connections are closed; a dead peer is found within 40s.
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: l.MaxConnectionIdle,
			Time:              30 * time.Second,
			Timeout:           10 * time.Second,
		}),
	}
}

// limitInterceptors rate-limit per key (after auth has named the caller)
// and bound every call's deadline.
func (s *Server) limitInterceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	lim := newKeyLimiter(s.cfg.Limits)
	maxDeadline, maxStream := s.cfg.Limits.MaxDeadline, s.cfg.Limits.MaxStreamDeadline
	unary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := lim.Limit(ctx); err != nil {
			s.refused(ctx, metrics.ReasonRateLimited)
			return nil, err
		}
		ctx, cancel := boundDeadline(ctx, maxDeadline)
		defer cancel()
		return handler(ctx, req)
	}
	stream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := lim.Limit(ss.Context()); err != nil {
			s.refused(ss.Context(), metrics.ReasonRateLimited)
			return err
		}
		ctx, cancel := boundDeadline(ss.Context(), maxStream)
		defer cancel()
		return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
	}
	return []grpc.UnaryServerInterceptor{unary}, []grpc.StreamServerInterceptor{stream}
}

// boundDeadline gives ctx a deadline no later than max from now.
func boundDeadline(ctx context.Context, max time.Duration) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= max {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, max)
}

// contextStream replaces a server stream's context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (c *contextStream) Context() context.Context { return c.ctx }

// keyLimiter is a token bucket per caller name. It implements
// go-grpc-middleware's ratelimit.Limiter, but its own interceptor returns
// the error as is: the middleware's interceptor rewraps it into a plain
// status and would drop the RetryInfo and ErrorInfo details.
type keyLimiter struct {
	off   bool
	rate  rate.Limit
	burst int
	queue time.Duration // longest wait for a token before refusing
	// buckets maps a caller name to its *rate.Limiter; a sync.Map because
	// every call reads it and it is written once per key.
	buckets sync.Map
}

func newKeyLimiter(l Limits) *keyLimiter {
	return &keyLimiter{off: l.Unlimited, rate: rate.Limit(l.Rate), burst: l.Burst, queue: l.QueueWait}
}

// Limit takes a token from the caller's bucket. A call over the rate waits
// up to the queue wait: it goes on when its token comes due by then, and
// is refused at the end of the wait otherwise (RESOURCE_EXHAUSTED /
// RATE_LIMITED, RetryInfo saying when the next token is due). Refusing
// only then holds a client that floods with many calls in flight to its
// key's rate plus (calls in flight ÷ queue wait) refusals a second,
// instead of a storm of refusals that costs the server, TLS and all, as
// much as serving them would.
func (k *keyLimiter) Limit(ctx context.Context) error {
	if k.off {
		return nil
	}
	name := callerName(ctx)
	b, ok := k.buckets.Load(name)
	if !ok {
		// Keys are few (the keys file's names), so buckets are never evicted.
		b, _ = k.buckets.LoadOrStore(name, rate.NewLimiter(k.rate, k.burst))
	}
	now := time.Now()
	r := b.(*rate.Limiter).ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	wait, ok := delay, true
	if delay > k.queue {
		// Refused: its token goes back at once (a refused call spends
		// none), the answer after the queue wait.
		r.CancelAt(now)
		wait, ok = max(k.queue, 0), false
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			if ok {
				r.Cancel()
			}
			return status.FromContextError(ctx.Err()).Err()
		}
	}
	if ok {
		return nil
	}
	return rateLimited(delay - wait)
}

func rateLimited(delay time.Duration) error {
	st := status.New(codes.ResourceExhausted, "rate limit of this API key exceeded; retry after the RetryInfo delay")
	wd, err := st.WithDetails(
		&errdetails.ErrorInfo{Reason: ReasonRateLimited, Domain: ErrorDomain},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)},
	)
	if err != nil {
		return st.Err()
	}
	return wd.Err()
}
