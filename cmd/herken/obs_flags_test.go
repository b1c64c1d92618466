package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken/internal/maintenance"
)

func parseObs(t *testing.T, args ...string) (obsFlags, error) {
	t.Helper()
	var f obsFlags
	e := &envFlags{fs: newFlagSet()}
	f.addFlags(e)
	if err := e.parse(args); err != nil {
		t.Fatal(err)
	}
	return f, f.validate()
}

func TestObsFlags(t *testing.T) {
	f, err := parseObs(t)
	if err != nil || f.MetricsAddr != "" || f.SlowCall != 250*time.Millisecond || f.OTLPEndpoint != "" {
		t.Fatalf("defaults: %+v %v, want metrics and tracing off, slow call 250ms", f, err)
	}
	for _, ok := range [][]string{
		{"--metrics-addr", ":9090"}, {"--metrics-addr", "127.0.0.1:0"}, {"--metrics-addr", "[::1]:9090"},
		{"--otlp-endpoint", "localhost:4317"}, {"--otlp-endpoint", "http://collector:4317"}, {"--otlp-endpoint", "https://collector"},
		{"--slow-call", "1s"},
	} {
		if _, err := parseObs(t, ok...); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--metrics-addr", "9090"}, "--metrics-addr"},
		{[]string{"--metrics-addr", "host:http"}, "--metrics-addr"},
		{[]string{"--metrics-addr", "host:70000"}, "--metrics-addr"},
		{[]string{"--slow-call", "0s"}, "--slow-call"},
		{[]string{"--otlp-endpoint", "collector"}, "--otlp-endpoint"},
		{[]string{"--otlp-endpoint", "ftp://collector:21"}, "--otlp-endpoint"},
	} {
		if _, err := parseObs(t, bad.args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err = %v, want one naming %s", bad.args, err, bad.want)
		}
	}
}

type sizedStore struct{}

func (sizedStore) Size() (int64, error) { return 4096, nil }

// TestObsStart: with --metrics-addr the listener is up when start returns,
// with the sweepers and the store size; a taken address fails the start;
// without flags nothing is set up.
func TestObsStart(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sweepers := func() (p, r, a maintenance.Status) {
		return maintenance.Status{Total: 5}, maintenance.Status{LastLimited: true}, maintenance.Status{Total: 7}
	}

	off, err := (&obsFlags{SlowCall: time.Second}).start(log, sweepers, sizedStore{})
	if err != nil || off.Metrics != nil || off.Tracing != nil || off.SlowCall != time.Second {
		t.Fatalf("no flags: %+v %v, want nothing but the slow-call threshold", off, err)
	}
	off.close()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	if _, err := (&obsFlags{MetricsAddr: addr}).start(log, sweepers, nil); err == nil {
		t.Fatal("start on a taken metrics address succeeded")
	}
	lis.Close()

	o, err := (&obsFlags{MetricsAddr: addr, OTLPEndpoint: "http://127.0.0.1:1"}).start(log, sweepers, sizedStore{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Metrics == nil || o.Tracing == nil {
		t.Fatalf("metrics %v tracing %v, want both", o.Metrics, o.Tracing)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`herken_sweeper_swept_total{sweeper="promises"} 5`,
		`herken_sweeper_backlog{sweeper="retention"} 1`,
		`herken_store_size_bytes 4096`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// close flushes no spans to an absent collector without hanging.
	done := make(chan struct{})
	go func() { o.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("close hangs")
	}
	if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
		t.Error("metrics still served after close")
	}
}
