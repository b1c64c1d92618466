package metrics

import (
	"errors"
	"fmt"
	"github.com/herken/herken/internal/audit"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServe: /metrics and nothing else, over a real listener; stop closes it.
func TestServe(t *testing.T) {
	m := New()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := m.ServeOn(lis, nil)
	base := "http://" + lis.Addr().String()
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "herken_lookup_outcomes_total") {
		t.Errorf("/metrics: %d\n%s", code, body)
	}
	for _, path := range []string{"/", "/debug/pprof/", "/metrics/x"} {
		if code, _ := get(t, base+path); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}
	stop()
	if _, err := http.Get(base + "/metrics"); err == nil {
		t.Errorf("still serving after stop")
	}
}

// TestServeAddressTaken: an address that cannot be had fails at once.
func TestServeAddressTaken(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	stop, err := New().Serve(lis.Addr().String(), nil)
	if err == nil {
		stop()
		t.Fatal("Serve on a taken address succeeded")
	}
}

// TestKeyLabelsBounded: however many key names callers bring, the label
// set stays bounded; no name is "unknown".
func TestKeyLabelsBounded(t *testing.T) {
	m := New()
	for i := range 3 * MaxKeyLabels {
		m.Call(fmt.Sprintf("key-%d", i), "OK")
		m.Refused(fmt.Sprintf("key-%d", i), ReasonRateLimited)
	}
	m.Call("", "Unauthenticated")
	if got := m.keyLabel("key-0"); got != "key-0" {
		t.Errorf("first key = %q, want its name", got)
	}
	if got := m.keyLabel(fmt.Sprintf("key-%d", MaxKeyLabels)); got != KeyOther {
		t.Errorf("key past the bound = %q, want %q", got, KeyOther)
	}
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "herken_calls_total":
			if n := len(mf.GetMetric()); n != MaxKeyLabels+2 { // + other, + unknown
				t.Errorf("herken_calls_total has %d series, want %d", n, MaxKeyLabels+2)
			}
		case "herken_refused_calls_total":
			if n := len(mf.GetMetric()); n != MaxKeyLabels+1 {
				t.Errorf("herken_refused_calls_total has %d series, want %d", n, MaxKeyLabels+1)
			}
		}
	}
}

// TestStoreSizeError: a size that cannot be read leaves the gauge out and
// the rest of the scrape intact.
func TestStoreSizeError(t *testing.T) {
	m := New()
	fail := true
	if err := m.WatchStoreSize(func() (int64, error) {
		if fail {
			return 0, errors.New("closed")
		}
		return 42, nil
	}); err != nil {
		t.Fatal(err)
	}
	has := func() (bool, float64) {
		mfs, err := m.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "herken_store_size_bytes" {
				return true, mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		return false, 0
	}
	if ok, _ := has(); ok {
		t.Errorf("store size present although it could not be read")
	}
	fail = false
	if ok, v := has(); !ok || v != 42 {
		t.Errorf("store size = %v %v, want 42", ok, v)
	}
}

// TestWatchAudit: the recorder's state at scrape time; records dropped
// after close and given up at shutdown are both lost.
func TestWatchAudit(t *testing.T) {
	m := New()
	st := audit.Stats{Written: 7, Pending: 3, Failures: 2, Blocked: 1, Dropped: 4, Lost: 5}
	if err := m.WatchAudit(func() audit.Stats { return st }); err != nil {
		t.Fatal(err)
	}
	values := func() map[string]float64 {
		mfs, err := m.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			if !strings.HasPrefix(mf.GetName(), "herken_audit_") {
				continue
			}
			c := mf.GetMetric()[0]
			out[mf.GetName()] = c.GetCounter().GetValue() + c.GetGauge().GetValue()
		}
		return out
	}
	want := map[string]float64{
		"herken_audit_records_written_total": 7, "herken_audit_records_pending": 3,
		"herken_audit_write_failures_total": 2, "herken_audit_blocked_calls_total": 1,
		"herken_audit_records_lost_total": 9,
	}
	if got := values(); !maps.Equal(got, want) {
		t.Errorf("audit metrics = %v, want %v", got, want)
	}
	st.Pending = 0 // read again at the next scrape
	if got := values()["herken_audit_records_pending"]; got != 0 {
		t.Errorf("pending after it drained = %v, want 0", got)
	}
}
