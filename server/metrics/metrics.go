// Package metrics collects herken's Prometheus metrics: gRPC calls per
// method with latency histograms (go-grpc-middleware's prometheus
// provider), herken's own (recognition outcomes, refused calls and calls
// per key, sweepers, store size), Badger's expvar counters and the Go and
// process collectors, all in one registry of its own (no global state),
// served over HTTP on an address apart from gRPC (Serve).
package metrics

import (
	"sync"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"
)

// Recognition outcomes (herken_lookup_outcomes_total{outcome}).
const (
	OutcomeFound     = "found"
	OutcomeAmbiguous = "ambiguous"
	OutcomeNotFound  = "not_found"
	// OutcomeWithheld: the caller id was withheld (Lookup), or every
	// identifier of a Resolve that found nothing was.
	OutcomeWithheld = "withheld"
	// OutcomeConflict: Resolve's identifiers point to different customers.
	OutcomeConflict = "conflict"
)

// Recognition methods (herken_lookup_outcomes_total{method}).
const (
	MethodLookup  = "Lookup"
	MethodResolve = "Resolve"
)

// Reasons a call is refused before its handler
// (herken_refused_calls_total{reason}).
const (
	ReasonUnauthenticated  = "unauthenticated"
	ReasonPermissionDenied = "permission_denied"
	ReasonRateLimited      = "rate_limited"
)

// Key label values that are no key name.
const (
	// KeyUnknown: the caller presented no key herken knows.
	KeyUnknown = "unknown"
	// KeyOther: a key name past MaxKeyLabels.
	KeyOther = "other"
)

// MaxKeyLabels bounds the distinct key names used as label values: key
// names come from the keys file (a handful), but a label set must never
// grow with what callers send, so names past this many share KeyOther.
const MaxKeyLabels = 100

// latencyBuckets (seconds) suit herken's calls: a Lookup takes well under a
// millisecond from a warm store, a write with fsync a few milliseconds, a
// backup or a large export seconds.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Metrics is herken's metrics registry. Its methods are safe for
// concurrent use; a nil *Metrics is not (the server checks for nil).
type Metrics struct {
	reg      *prometheus.Registry
	grpc     *grpcprom.ServerMetrics
	outcomes *prometheus.CounterVec
	refused  *prometheus.CounterVec
	calls    *prometheus.CounterVec

	mu   sync.RWMutex
	keys map[string]struct{} // key label values in use, at most MaxKeyLabels
}

// New returns a registry with the gRPC, herken, Badger, Go and process
// collectors registered. Sweepers and the store size are added by
// WatchSweepers and WatchStoreSize.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		grpc: grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
			grpcprom.WithHistogramBuckets(latencyBuckets))),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herken_lookup_outcomes_total",
			Help: "Successful Lookup and Resolve calls by outcome (found, ambiguous, not_found, withheld; Resolve also conflict). Errors are no outcome.",
		}, []string{"method", "outcome"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herken_refused_calls_total",
			Help: "Calls refused before their handler, by key name and reason (unauthenticated, permission_denied, rate_limited).",
		}, []string{"key", "reason"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herken_calls_total",
			Help: "Calls by key name and gRPC code.",
		}, []string{"key", "code"}),
		keys: make(map[string]struct{}),
	}
	// Every outcome from the start, so rates and alerts see 0, not absence.
	for _, o := range []string{OutcomeFound, OutcomeAmbiguous, OutcomeNotFound, OutcomeWithheld} {
		m.outcomes.WithLabelValues(MethodLookup, o)
		m.outcomes.WithLabelValues(MethodResolve, o)
	}
	m.outcomes.WithLabelValues(MethodResolve, OutcomeConflict)
	m.reg.MustRegister(m.grpc, m.outcomes, m.refused, m.calls,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		badgerCollector(),
	)
	return m
}

// Registry is the registry, for tests and for registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// UnaryServerInterceptor counts and times unary calls
// (grpc_server_handled_total, grpc_server_handling_seconds, ...).
func (m *Metrics) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return m.grpc.UnaryServerInterceptor()
}

// StreamServerInterceptor counts and times streaming calls.
func (m *Metrics) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return m.grpc.StreamServerInterceptor()
}

// InitializeGRPC sets every method's call counters to 0 before the first
// call, so they are present from the start. Call it with the *grpc.Server
// once its services are registered (server.Server.GRPC()).
func (m *Metrics) InitializeGRPC(s reflection.ServiceInfoProvider) { m.grpc.InitializeMetrics(s) }

// Outcome counts one successful recognition call.
func (m *Metrics) Outcome(method, outcome string) {
	m.outcomes.WithLabelValues(method, outcome).Inc()
}

// Refused counts a call refused before its handler.
func (m *Metrics) Refused(key, reason string) {
	m.refused.WithLabelValues(m.keyLabel(key), reason).Inc()
}

// Call counts a finished call of key with gRPC code (codes.Code.String()).
func (m *Metrics) Call(key, code string) {
	m.calls.WithLabelValues(m.keyLabel(key), code).Inc()
}

// keyLabel is the label value for key name: the name itself for the first
// MaxKeyLabels names seen, KeyOther after that, KeyUnknown for none.
func (m *Metrics) keyLabel(key string) string {
	if key == "" {
		return KeyUnknown
	}
	m.mu.RLock()
	_, ok := m.keys[key]
	m.mu.RUnlock()
	if ok {
		return key
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[key]; ok {
		return key
	}
	if len(m.keys) >= MaxKeyLabels {
		return KeyOther
	}
	m.keys[key] = struct{}{}
	return key
}
