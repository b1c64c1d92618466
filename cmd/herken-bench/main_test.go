package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herken/herken/internal/pgtest"
	"time"

	"github.com/herken/herken/internal/synth"
)

// TestTypedForms: the typed forms herken-bench derives from a customer's
// index are the ones synth generated for it.
func TestTypedForms(t *testing.T) {
	err := synth.Generate(synth.Config{Customers: 500, Seed: 3, Now: time.Now(), Interactions: 1}, func(i int, c synth.Customer) error {
		if got := typedForms(i); got != c.Typed {
			t.Fatalf("customer %d: typedForms %q, synth %q", i, got, c.Typed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPercentile(t *testing.T) {
	var xs []time.Duration
	for i := 1; i <= 1000; i++ {
		xs = append(xs, time.Duration(i))
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500}, {0.99, 990}, {0.999, 999}, {1, 1000}, {0, 1}} {
		if got := percentile(xs, tc.q); got != tc.want {
			t.Errorf("percentile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing")
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median = %v", got)
	}
	if got := commas(1234567.4); got != "1,234,567" {
		t.Errorf("commas = %q", got)
	}
}

// TestEndToEnd builds herken and runs the whole benchmark on a tiny base
// with short phases: load, reuse, starts, every phase, the report.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs herken")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "herken")
	build := exec.Command("go", "build", "-o", bin, "github.com/herken/herken/cmd/herken")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building herken: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	args := func(out string, extra ...string) []string {
		return append([]string{"-herken", bin, "-customers", "2000", "-data-dir", data, "-phase-duration", "60ms",
			"-warmup", "100ms", "-reps", "1", "-concurrency", "1,4", "-starts", "2", "-max-other-cpu", "2", "-out", out}, extra...)
	}
	var stdout, stderr bytes.Buffer
	out1 := filepath.Join(dir, "r1.md")
	// The PostgreSQL part runs where PostgreSQL is installed (always in CI).
	var pg []string
	wants := []string{"| Lookup known number | 4 |", "| Resolve phone+email | 1 |", "| Lookup known, HTTP/JSON | 4 |", "| Screen pop page, HTTP | 4 |", "The screen pop page beside gRPC Lookup", "Lookup over HTTP/JSON beside gRPC", "open loop, ", "Every repetition", "Cold start to SERVING", "Bulk load"}
	if _, err := pgtest.BinDir(); err != nil && os.Getenv("HERKEN_REQUIRE_POSTGRES") != "1" {
		t.Logf("no PostgreSQL here, so no PostgreSQL phases: %v", err)
		pg = []string{"-postgres=false"}
	} else {
		wants = append(wants, "Lookup on PostgreSQL beside Badger", "| 4 | ")
	}
	if code := run(context.Background(), args(out1, pg...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	md, err := os.ReadFile(out1)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range wants {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(string(md), "FAIL") {
		t.Errorf("report has a failure:\n%s", md)
	}

	// -reuse takes the loaded store; a different size loads anew.
	stderr.Reset()
	if code := run(context.Background(), args(filepath.Join(dir, "r2.md"), "-reuse", "-postgres=false"), &stdout, &stderr); code != 0 {
		t.Fatalf("reuse: exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "-reuse: using the store") {
		t.Errorf("-reuse did not reuse:\n%s", stderr.String())
	}

	// A directory with foreign files is refused, not cleared.
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "precious"), []byte("x"), 0o644)
	stderr.Reset()
	a := args(filepath.Join(dir, "r3.md"))
	a[5] = foreign
	if code := run(context.Background(), a, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "did not write") {
		t.Errorf("foreign data dir: exit %d\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(foreign, "precious")); err != nil {
		t.Error("foreign file removed")
	}
}
