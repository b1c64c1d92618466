package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/herken/herken"

	"github.com/herken/herken/store/badgerstore"
	"github.com/herken/herken/store/storetest"
)

// newStoreDir writes a small store to a directory and closes it; damage,
// if set, then breaks it.
func newStoreDir(t *testing.T, damage func(s *badgerstore.Store) error) string {
	t.Helper()
	dir := t.TempDir()
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	jan := storetest.NewCustomer("Jan", storetest.Phone("+31612345678"), storetest.Email("jan@example.nl"))
	if _, err := s.CreateCustomer(ctx, jan, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCustomer(ctx, storetest.NewCustomer("Anna", storetest.Phone("+31201234567")), herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if damage != nil {
		if err := damage(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runCheck(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"check"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheckCommandClean(t *testing.T) {
	dir := newStoreDir(t, nil)
	code, out, errOut := runCheck("--data-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"customers (c/)                   2", "identifier index entries (i/)    3", "no problems"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCheck("--data-dir", dir, "--json")
	var rep badgerstore.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Counts.Customers != 2 || len(rep.Problems) != 0 {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	// The data dir also comes from the environment, like serve's.
	t.Setenv("HERKEN_DATA_DIR", dir)
	if code, out, errOut := runCheck(); code != 0 {
		t.Fatalf("with HERKEN_DATA_DIR: exit %d\n%s%s", code, out, errOut)
	}
}

func TestCheckCommandProblems(t *testing.T) {
	dir := newStoreDir(t, func(s *badgerstore.Store) error {
		return s.UnindexForTest(storetest.Email("jan@example.nl"))
	})
	code, out, errOut := runCheck("--data-dir", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"1 problem:", "CUSTOMER_IDENTIFIER_NOT_INDEXED", "i/e:<redacted>", "identifier kind email"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "check found problems: 1") {
		t.Fatalf("stderr: %s", errOut)
	}
	code, out, _ = runCheck("--data-dir", dir, "--json")
	var rep badgerstore.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 1 || err != nil || rep.ProblemCounts["CUSTOMER_IDENTIFIER_NOT_INDEXED"] != 1 || rep.Total() != 1 {
		t.Fatalf("json: exit %d, %v: %s", code, err, out)
	}
	for _, pii := range []string{"612345678", "jan@example", "Jan"} {
		if strings.Contains(out, pii) || strings.Contains(errOut, pii) {
			t.Fatalf("output contains %q", pii)
		}
	}
}

func TestCheckCommandUsage(t *testing.T) {
	dir := newStoreDir(t, nil)
	for _, args := range [][]string{{"--data-dir", dir, "extra"}, {"--nope"}, {"--data-dir", ""}} {
		if code, _, errOut := runCheck(args...); code != 2 {
			t.Fatalf("%q: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
	if code, _, errOut := runCheck("--data-dir", t.TempDir()); code != 1 || !strings.Contains(errOut, "no store") {
		t.Fatalf("empty dir: exit %d: %s", code, errOut)
	}
	// A store in use (herken serve holds the lock) is refused, not read.
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if code, _, errOut := runCheck("--data-dir", dir); code != 1 || !strings.Contains(errOut, "in use") {
		t.Fatalf("store in use: exit %d: %s", code, errOut)
	}
}
