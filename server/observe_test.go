package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/herken/herken/internal/maintenance"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/server/metrics"
)

func withMetrics(m *metrics.Metrics) testOption {
	return func(c *testConfig) { c.cfg.Metrics = m }
}

func withSlowCall(d time.Duration) testOption { return func(c *testConfig) { c.cfg.SlowCall = d } }

// scrape fetches /metrics from m served on a real loopback HTTP listener.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := m.ServeOn(lis, nil)
	defer stop()
	resp, err := http.Get("http://" + lis.Addr().String() + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(body)
}

// sample is the value of the series name{labels...} in a scrape; ok is
// false when there is none. labels are "k", "v" pairs; others may be there.
func sample(body, name string, labels ...string) (v float64, ok bool) {
	for _, line := range strings.Split(body, "\n") {
		rest, found := strings.CutPrefix(line, name)
		if !found || !strings.HasPrefix(rest, "{") && !strings.HasPrefix(rest, " ") {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(rest, labels[i]+`="`+labels[i+1]+`"`) {
				match = false
			}
		}
		if !match {
			continue
		}
		f, err := strconv.ParseFloat(rest[strings.LastIndexByte(rest, ' ')+1:], 64)
		return f, err == nil
	}
	return 0, false
}

func wantSample(t *testing.T, body string, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := sample(body, name, labels...)
	if !ok {
		t.Errorf("no %s%v in /metrics", name, labels)
	} else if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// TestMetricsEndpoint: after real calls through the gRPC server, /metrics
// has the gRPC counters and latency histogram per method, one outcome per
// successful recognition call (errors none), calls per key, the sweepers,
// the store size, Badger's and Go's own.
func TestMetricsEndpoint(t *testing.T) {
	m := metrics.New()
	if err := m.WatchSweepers(func() []metrics.SweeperStat {
		return []metrics.SweeperStat{
			{Name: "promises", Status: maintenance.Status{Total: 7, FailedRuns: 2, LastCount: 3, LastLimited: true, LastRun: fixedNow}},
			{Name: "retention"},
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchStoreSize(func() (int64, error) { return 123456, nil }); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, withMetrics(m))
	seed(t, s)

	lookups := []struct {
		id   *herkenv1.Identifier
		want herkenv1.MatchOutcome
	}{
		{phone("06-12345678"), found},
		{phone(landline), ambiguous},
		{phone("06-87654321"), notFound},
		{phone("anonymous"), notFound}, // withheld
		{email("jan@example.nl"), found},
	}
	for _, l := range lookups {
		resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: l.id})
		if err != nil || resp.GetOutcome() != l.want {
			t.Fatalf("Lookup: %v %v, want %v", resp.GetOutcome(), err, l.want)
		}
	}
	if _, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-1234567")}); codeOf(err) != codes.InvalidArgument {
		t.Fatalf("invalid Lookup: %v", err)
	}
	resolves := []struct {
		ids  []*herkenv1.Identifier
		want herkenv1.ResolveOutcome
	}{
		{[]*herkenv1.Identifier{email("jan@example.nl"), phone("06-12345678")}, herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED},
		{[]*herkenv1.Identifier{phone(landline)}, herkenv1.ResolveOutcome_RESOLVE_OUTCOME_AMBIGUOUS},
		{[]*herkenv1.Identifier{email("jan@example.nl"), email("anna@example.nl")}, herkenv1.ResolveOutcome_RESOLVE_OUTCOME_CONFLICT},
		{[]*herkenv1.Identifier{email("piet@example.nl")}, herkenv1.ResolveOutcome_RESOLVE_OUTCOME_NOT_FOUND},
		{[]*herkenv1.Identifier{phone("anonymous")}, herkenv1.ResolveOutcome_RESOLVE_OUTCOME_NOT_FOUND}, // withheld
	}
	for _, r := range resolves {
		resp, err := s.Recognition.Resolve(ctxT(t), &herkenv1.ResolveRequest{Identifiers: r.ids})
		if err != nil || resp.GetOutcome() != r.want {
			t.Fatalf("Resolve: %v %v, want %v", resp.GetOutcome(), err, r.want)
		}
	}

	body := scrape(t, m)
	lookup := []string{"grpc_service", "herken.v1.RecognitionService", "grpc_method", "Lookup"}
	wantSample(t, body, 5, "grpc_server_handled_total", append(lookup, "grpc_code", "OK")...)
	wantSample(t, body, 1, "grpc_server_handled_total", append(lookup, "grpc_code", "InvalidArgument")...)
	wantSample(t, body, 6, "grpc_server_handling_seconds_count", lookup...)
	if _, ok := sample(body, "grpc_server_handling_seconds_bucket", append(lookup, "le", "0.001")...); !ok {
		t.Errorf("no latency histogram buckets for Lookup")
	}
	for _, o := range []struct {
		method, outcome string
		n               float64
	}{
		{"Lookup", "found", 2}, {"Lookup", "ambiguous", 1}, {"Lookup", "not_found", 1}, {"Lookup", "withheld", 1},
		{"Resolve", "found", 1}, {"Resolve", "ambiguous", 1}, {"Resolve", "conflict", 1}, {"Resolve", "not_found", 1}, {"Resolve", "withheld", 1},
	} {
		wantSample(t, body, o.n, "herken_lookup_outcomes_total", "method", o.method, "outcome", o.outcome)
	}
	if n, _ := sample(body, "herken_calls_total", "key", "anonymous", "code", "OK"); n < 15 {
		t.Errorf("herken_calls_total{key=anonymous,code=OK} = %v, want the seed's and these calls", n)
	}
	wantSample(t, body, 1, "herken_calls_total", "key", "anonymous", "code", "InvalidArgument")
	wantSample(t, body, 7, "herken_sweeper_swept_total", "sweeper", "promises")
	wantSample(t, body, 2, "herken_sweeper_failed_runs_total", "sweeper", "promises")
	wantSample(t, body, 3, "herken_sweeper_last_swept", "sweeper", "promises")
	wantSample(t, body, 1, "herken_sweeper_backlog", "sweeper", "promises")
	wantSample(t, body, float64(fixedNow.Unix()), "herken_sweeper_last_run_timestamp_seconds", "sweeper", "promises")
	wantSample(t, body, 0, "herken_sweeper_backlog", "sweeper", "retention")
	wantSample(t, body, 123456, "herken_store_size_bytes")
	for _, name := range []string{"badger_get_num_user", "badger_put_num_user", "go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := sample(body, name); !ok {
			t.Errorf("no %s in /metrics", name)
		}
	}
	for _, secret := range []string{"12345678", "jan@", "Vries"} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics contains personal data %q", secret)
		}
	}
}

// TestRefusedCallsPerKey: a rate-limited call is counted under its key
// name and reason.
func TestRefusedCallsPerKey(t *testing.T) {
	m := metrics.New()
	s := newTestServer(t, withMetrics(m), withLimits(server.Limits{Rate: 0.001, Burst: 1}))
	req := &herkenv1.LookupRequest{Identifier: phone("06-12345678")}
	if _, err := s.Recognition.Lookup(ctxT(t), req); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.Recognition.Lookup(ctxT(t), req); codeOf(err) != codes.ResourceExhausted {
			t.Fatalf("Lookup past the burst: %v, want RESOURCE_EXHAUSTED", err)
		}
	}
	body := scrape(t, m)
	wantSample(t, body, 2, "herken_refused_calls_total", "key", "anonymous", "reason", "rate_limited")
	wantSample(t, body, 2, "herken_calls_total", "key", "anonymous", "code", "ResourceExhausted")
}

// captureLogs is a JSON logger at level and what it wrote.
func captureLogs(level slog.Level) (*slog.Logger, *syncBuffer) {
	var buf syncBuffer
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level})), &buf
}

// TestSuccessfulCallsQuietAtInfo: at the default level a fast successful
// call writes nothing, so logs stay bounded under load.
func TestSuccessfulCallsQuietAtInfo(t *testing.T) {
	l, logs := captureLogs(slog.LevelInfo)
	s := newTestServer(t, withLogger(l))
	seed(t, s)
	for range 3 {
		if _, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")}); err != nil {
			t.Fatal(err)
		}
	}
	if out := logs.String(); out != "" {
		t.Errorf("successful fast calls logged at INFO:\n%s", out)
	}
}

// TestFailedCallLogged: one line with method, code, duration, key and
// request id (the caller's x-request-id, echoed back to it).
func TestFailedCallLogged(t *testing.T) {
	l, logs := captureLogs(slog.LevelInfo)
	s := newTestServer(t, withLogger(l))
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "x-request-id", "pbx-7.call_42")
	var header metadata.MD
	_, err := s.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone("06-1234567")}, grpc.Trailer(&header))
	if codeOf(err) != codes.InvalidArgument {
		t.Fatalf("Lookup: %v", err)
	}
	lines := logLines(t, logs.String())
	if len(lines) != 1 {
		t.Fatalf("%d lines for one failed call, want 1:\n%s", len(lines), logs.String())
	}
	line := lines[0]
	want := map[string]any{
		"level": "INFO", "msg": "call failed", "method": herkenv1.RecognitionService_Lookup_FullMethodName,
		"grpc.code": "InvalidArgument", "key": "anonymous", "request_id": "pbx-7.call_42",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v", k, line[k], v)
		}
	}
	if d, ok := line["duration"].(float64); !ok || d <= 0 {
		t.Errorf("duration = %v, want a positive duration", line["duration"])
	}
	if got := header.Get("x-request-id"); len(got) != 1 || got[0] != "pbx-7.call_42" {
		t.Errorf("x-request-id header = %q, want the caller's", got)
	}
	if strings.Contains(logs.String(), "1234567") {
		t.Errorf("log has the number:\n%s", logs.String())
	}
}

// TestSlowCallWarns: a successful call slower than SlowCall is one WARN line.
func TestSlowCallWarns(t *testing.T) {
	l, logs := captureLogs(slog.LevelInfo)
	s := newTestServer(t, withLogger(l), withSlowCall(time.Nanosecond))
	if _, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")}); err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, logs.String())
	if len(lines) != 1 || lines[0]["level"] != "WARN" || lines[0]["msg"] != "slow call" || lines[0]["grpc.code"] != "OK" {
		t.Fatalf("want one WARN slow call line, got:\n%s", logs.String())
	}
	if id, _ := lines[0]["request_id"].(string); id == "" {
		t.Errorf("slow call line without request id: %v", lines[0])
	}
}

// TestLongStreamIsNotSlow: a stream's length is its work: a successful
// import stream slower than SlowCall writes no line at INFO.
func TestLongStreamIsNotSlow(t *testing.T) {
	l, logs := captureLogs(slog.LevelInfo)
	s := newTestServer(t, withLogger(l), withSlowCall(time.Nanosecond))
	if _, err := sendImport(ctxT(t), s, &herkenv1.ImportCustomersRequest{Records: []*herkenv1.ImportRecord{importRec("K-1", "Een")}}); err != nil {
		t.Fatal(err)
	}
	if lines := logLines(t, logs.String()); len(lines) != 0 {
		t.Fatalf("a successful stream logged:\n%s", logs.String())
	}
}

// TestNoPersonalDataInCallLogs: even at DEBUG, with every successful and
// failed call logged, no number, email or name the calls carried appears.
func TestNoPersonalDataInCallLogs(t *testing.T) {
	l, logs := captureLogs(slog.LevelDebug)
	s := newTestServer(t, withLogger(l))
	seed(t, s)
	for _, id := range []*herkenv1.Identifier{phone("06-12345678"), email("jan@example.nl"), phone(landline), phone("06-87654321"), phone("06-1234567"), email("jan@")} {
		s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: id})
	}
	s.Recognition.Resolve(ctxT(t), &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{email("anna@example.nl"), phone("06-12345678")}})
	out := logs.String()
	if n := len(logLines(t, out)); n < 10 {
		t.Fatalf("only %d log lines at DEBUG; the test would prove nothing:\n%s", n, out)
	}
	for _, secret := range []string{"12345678", "1234567", "87654321", "+31", "jan@", "anna@", "example.nl", "Vries", "Jan", "Anna"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains personal data %q:\n%s", secret, out)
		}
	}
}

// TestRequestID: a valid x-request-id is echoed; a missing or invalid one
// (also an all-digit one, which could be a phone number) is replaced by a
// fresh id; streams get one too.
func TestRequestID(t *testing.T) {
	s := newTestServer(t)
	fresh := regexp.MustCompile(`^[0-9a-f]{16}$`)
	call := func(t *testing.T, sent ...string) string {
		t.Helper()
		ctx := ctxT(t)
		for _, v := range sent {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", v)
		}
		var header metadata.MD
		if _, err := s.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone("06-12345678")}, grpc.Trailer(&header)); err != nil {
			t.Fatal(err)
		}
		got := header.Get("x-request-id")
		if len(got) != 1 {
			t.Fatalf("x-request-id header = %q, want one", got)
		}
		return got[0]
	}
	if got := call(t, "A-z_0.9"); got != "A-z_0.9" {
		t.Errorf("valid id came back as %q", got)
	}
	if got := call(t, strings.Repeat("a", 64)); got != strings.Repeat("a", 64) {
		t.Errorf("64-character id came back as %q", got)
	}
	first := call(t)
	for _, bad := range [][]string{nil, {"has space"}, {strings.Repeat("a", 65)}, {"jan@example.nl"}, {"0612345678"}, {"+31612345678"}, {"a/b"}, {"one", "two"}} {
		got := call(t, bad...)
		if !fresh.MatchString(got) || got == first && bad != nil {
			t.Errorf("sent %q: got id %q, want a fresh 16-hex-digit one", bad, got)
		}
	}
	if a, b := call(t), call(t); a == b {
		t.Errorf("two calls without an id got the same one: %s", a)
	}

	t.Run("stream", func(t *testing.T) {
		ctx := metadata.AppendToOutgoingContext(ctxT(t), "x-request-id", "watch-1")
		w, err := s.Health.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		header, err := w.Header()
		if err != nil {
			t.Fatal(err)
		}
		if got := header.Get("x-request-id"); len(got) != 1 || got[0] != "watch-1" {
			t.Errorf("stream x-request-id header = %q, want watch-1", got)
		}
	})
}

// TestTracing: with a tracing handler, a call is one server span named
// after its method, and no span holds the identifier looked up.
func TestTracing(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	h, shutdown := metrics.TracingTo(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { shutdown(context.Background()) })
	s := newTestServer(t, func(c *testConfig) { c.cfg.Tracing = h })
	if _, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Health.Check(ctxT(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	// The server ends a call's span after the response went out: the
	// client can see the answer first.
	spans := exp.GetSpans()
	for deadline := time.Now().Add(5 * time.Second); len(spans) == 0 && time.Now().Before(deadline); spans = exp.GetSpans() {
		time.Sleep(5 * time.Millisecond)
	}
	if len(spans) != 1 || spans[0].Name != "herken.v1.RecognitionService/Lookup" {
		var names []string
		for _, sp := range spans {
			names = append(names, sp.Name)
		}
		t.Fatalf("spans %q, want one for Lookup (health checks untraced)", names)
	}
	for _, a := range spans[0].Attributes {
		if strings.Contains(a.Value.Emit(), "12345678") {
			t.Errorf("span attribute %s holds the number", a.Key)
		}
	}
}
