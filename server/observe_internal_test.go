package server

import (
	"context"
	"maps"
	"testing"

	"github.com/herken/herken/server/metrics"
)

// TestRefusedKeyNames: an unauthenticated call counts under "unknown",
// whatever the context says; others under the key authentication noted,
// which the outer interceptors see through the call's state.
func TestRefusedKeyNames(t *testing.T) {
	m := metrics.New()
	s, err := New(nil, Config{Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	ctx, _ := withCallInfo(context.Background())
	s.refused(ctx, metrics.ReasonUnauthenticated)
	noteCaller(ctx, "pbx-1")
	s.refused(ctx, metrics.ReasonPermissionDenied)
	s.refused(ctx, metrics.ReasonRateLimited)
	s.refused(ctx, metrics.ReasonUnauthenticated)
	if got := keyName(ctx); got != "pbx-1" {
		t.Errorf("keyName after noteCaller = %q, want pbx-1", got)
	}
	if got := keyName(context.Background()); got != callerName(context.Background()) {
		t.Errorf("keyName without call state = %q, want callerName's %q", got, callerName(context.Background()))
	}
	want := map[string]float64{"pbx-1/permission_denied": 1, "pbx-1/rate_limited": 1, "unknown/unauthenticated": 2}
	got := map[string]float64{}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "herken_refused_calls_total" {
			continue
		}
		for _, c := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range c.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			got[l["key"]+"/"+l["reason"]] = c.GetCounter().GetValue()
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("herken_refused_calls_total = %v, want %v", got, want)
	}

	// Without metrics, refused is a no-op (no panic).
	bare, err := New(nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	bare.refused(ctx, metrics.ReasonRateLimited)
}
