package main

import (
	"errors"
	"net"
	"time"

	"golang.org/x/net/netutil"

	"github.com/herken/herken/server"
)

// limitFlags are the limits that keep one caller's excess from hurting the
// others (server.Limits, plus the listener's connection cap).
type limitFlags struct {
	Rate              float64
	Burst             int
	NoRateLimit       bool
	RateQueueWait     time.Duration
	MaxStreams        int
	MaxConnectionIdle time.Duration
	MaxDeadline       time.Duration
	MaxStreamDeadline time.Duration
	MaxConnections    int
	MaxRecvBytes      int
}

func (f *limitFlags) addFlags(e *envFlags) {
	e.Float(&f.Rate, "rate-limit", 200, "calls per second each API key may make on average (a token bucket per key); beyond it calls fail RESOURCE_EXHAUSTED with RetryInfo")
	e.Int(&f.Burst, "rate-burst", 400, "calls an API key may make at once above --rate-limit")
	e.Duration(&f.RateQueueWait, "rate-queue-wait", 100*time.Millisecond, "a call over a key's rate waits this long at most: served if its token comes due by then, refused at the end of the wait otherwise (0 refuses at once)")
	e.Bool(&f.NoRateLimit, "no-rate-limit", false, "turn per-key rate limiting off (benchmarks)")
	e.Int(&f.MaxStreams, "max-streams", 256, "calls in flight on one connection at most; more wait")
	e.Duration(&f.MaxConnectionIdle, "max-connection-idle", 5*time.Minute, "close a connection after this long without a call")
	e.Duration(&f.MaxDeadline, "max-deadline", 30*time.Second, "longest a call may run: a call without a deadline, or with a later one, gets this one")
	e.Duration(&f.MaxStreamDeadline, "max-stream-deadline", time.Hour, "the same bound for streaming calls (backup); a client that never reads its stream is cut off then")
	e.Int(&f.MaxConnections, "max-connections", 4096, "open connections at most; further ones wait to be accepted")
	e.Int(&f.MaxRecvBytes, "max-recv-bytes", 1<<20, "largest request message in bytes")
}

func (f *limitFlags) validate() error {
	var errs []error
	if f.Rate <= 0 || f.Burst < 1 {
		errs = append(errs, errors.New("--rate-limit and --rate-burst must be positive (use --no-rate-limit to turn limiting off)"))
	}
	if f.RateQueueWait < 0 || f.RateQueueWait > 10*time.Second {
		errs = append(errs, errors.New("--rate-queue-wait must be between 0 and 10s"))
	}
	if f.MaxStreams < 1 || f.MaxStreams > 1<<20 {
		errs = append(errs, errors.New("--max-streams must be between 1 and 1048576"))
	}
	if f.MaxConnectionIdle < time.Second {
		errs = append(errs, errors.New("--max-connection-idle must be at least 1s"))
	}
	if f.MaxDeadline < 10*time.Millisecond || f.MaxStreamDeadline < 10*time.Millisecond {
		errs = append(errs, errors.New("--max-deadline and --max-stream-deadline must be at least 10ms"))
	}
	if f.MaxConnections < 1 {
		errs = append(errs, errors.New("--max-connections must be at least 1"))
	}
	if f.MaxRecvBytes < 4<<10 || f.MaxRecvBytes > 64<<20 {
		errs = append(errs, errors.New("--max-recv-bytes must be between 4096 and 67108864"))
	}
	return errors.Join(errs...)
}

func (f *limitFlags) limits() server.Limits {
	return server.Limits{
		Rate:                 f.Rate,
		Burst:                f.Burst,
		Unlimited:            f.NoRateLimit,
		QueueWait:            queueWait(f.RateQueueWait),
		MaxConcurrentStreams: uint32(f.MaxStreams),
		MaxConnectionIdle:    f.MaxConnectionIdle,
		MaxDeadline:          f.MaxDeadline,
		MaxStreamDeadline:    f.MaxStreamDeadline,
	}
}

// listener caps the open connections: beyond the cap, new connections wait
// in the kernel's backlog instead of each costing the server a goroutine
// and buffers.
func (f *limitFlags) listener(lis net.Listener) net.Listener {
	return netutil.LimitListener(lis, f.MaxConnections)
}

// queueWait maps the flag's 0 (refuse at once) to server.Limits' negative
// (whose 0 means the default).
func queueWait(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
