package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"google.golang.org/grpc/stats"

	"github.com/herken/herken/internal/maintenance"
	"github.com/herken/herken/server/metrics"
)

// obsFlags are observability: the Prometheus listener, the slow-call log
// threshold and OpenTelemetry tracing.
type obsFlags struct {
	MetricsAddr  string
	SlowCall     time.Duration
	OTLPEndpoint string
}

func (f *obsFlags) addFlags(e *envFlags) {
	e.String(&f.MetricsAddr, "metrics-addr", "", "if set, serve Prometheus metrics at http://<host:port>/metrics, apart from gRPC (e.g. :9090); off by default")
	e.Duration(&f.SlowCall, "slow-call", 250*time.Millisecond, "log a successful call that takes longer than this at WARN (other successful calls are logged at debug only)")
	e.String(&f.OTLPEndpoint, "otlp-endpoint", "", "if set, send a trace span per call to this OpenTelemetry collector (OTLP over gRPC): http://host:4317 for plaintext, https://host:4317 or host:4317 for TLS; off by default")
}

func (f *obsFlags) validate() error {
	var errs []error
	if f.MetricsAddr != "" && !validHostPort(f.MetricsAddr) {
		errs = append(errs, fmt.Errorf("--metrics-addr %q: want host:port (host may be empty for every interface)", f.MetricsAddr))
	}
	if f.SlowCall <= 0 {
		errs = append(errs, errors.New("--slow-call must be positive"))
	}
	if f.OTLPEndpoint != "" && !validOTLPEndpoint(f.OTLPEndpoint) {
		errs = append(errs, fmt.Errorf("--otlp-endpoint %q: want host:port or http(s)://host:port", f.OTLPEndpoint))
	}
	return errors.Join(errs...)
}

func validHostPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

func validOTLPEndpoint(s string) bool {
	u, err := url.Parse(s)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return u.Host != "" && (u.Port() == "" || validHostPort(u.Host))
	}
	return validHostPort(s)
}

// observability is what the flags set up, for server.Config: Metrics is
// nil without --metrics-addr, Tracing nil without --otlp-endpoint.
type observability struct {
	Metrics  *metrics.Metrics
	Tracing  stats.Handler
	SlowCall time.Duration
	log      *slog.Logger
	stops    []func()
}

// storeSizer is a store that knows its size on disk.
type storeSizer interface {
	Size() (int64, error)
}

// start sets up metrics (publishing the sweepers' status and, if store
// has a Size method, its size) and tracing, and starts the metrics
// listener, before gRPC serves: an address that cannot be had stops the
// start. Call close when the gRPC server has stopped.
func (f *obsFlags) start(log *slog.Logger, sweepers func() (promises, retention, audit maintenance.Status), store any) (*observability, error) {
	o := &observability{SlowCall: f.SlowCall, log: log}
	if f.MetricsAddr != "" {
		m := metrics.New()
		if sweepers != nil {
			if err := m.WatchSweepers(sweeperStats(sweepers)); err != nil {
				return nil, err
			}
		}
		if s, ok := store.(storeSizer); ok {
			if err := m.WatchStoreSize(s.Size); err != nil {
				return nil, err
			}
		}
		stop, err := m.Serve(f.MetricsAddr, log)
		if err != nil {
			return nil, err
		}
		o.Metrics = m
		o.stops = append(o.stops, stop)
	}
	if f.OTLPEndpoint != "" {
		h, shutdown, err := metrics.Tracing(f.OTLPEndpoint)
		if err != nil {
			o.close()
			return nil, err
		}
		o.Tracing = h
		o.stops = append(o.stops, func() {
			// Flush what is buffered, but do not hang the exit on a
			// collector that is away.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := shutdown(ctx); err != nil {
				log.Warn("flushing traces", "error", err)
			}
		})
		log.Info("tracing on", "otlp_endpoint", f.OTLPEndpoint)
	}
	return o, nil
}

// close stops the metrics listener and flushes the traces.
func (o *observability) close() {
	for i := len(o.stops) - 1; i >= 0; i-- {
		o.stops[i]()
	}
	o.stops = nil
}

// sweeperStats adapts the maintenance runner's status to the metrics'.
func sweeperStats(status func() (promises, retention, audit maintenance.Status)) func() []metrics.SweeperStat {
	return func() []metrics.SweeperStat {
		p, r, a := status()
		return []metrics.SweeperStat{{Name: "promises", Status: p}, {Name: "retention", Status: r}, {Name: "audit", Status: a}}
	}
}
