package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/herken/herken/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgServer serves a fresh PostgreSQL database (with the demo data when
// demo is set) and returns its address.
func pgServer(t *testing.T, demo bool) string {
	t.Helper()
	cfg := testConfig()
	cfg.InMemory, cfg.Store, cfg.PostgresURL, cfg.Demo = false, "postgres", pgtest.NewDatabase(t), demo
	return startServer(t, cfg)
}

// badgerServer serves a Badger store in a new directory.
func badgerServer(t *testing.T, demo bool) string {
	t.Helper()
	cfg := testConfig()
	cfg.InMemory, cfg.Store, cfg.DataDir, cfg.Demo, cfg.SyncWrites = false, "badger", t.TempDir(), demo, false
	return startServer(t, cfg)
}

// TestMigrateBetweenStores is the documented migration path: `herken
// export` from a Badger store and `herken import` into a PostgreSQL store
// gives the same customers, and back again.
func TestMigrateBetweenStores(t *testing.T) {
	from := badgerServer(t, true)
	keyed := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if !strings.Contains(l, `"external_id":""`) && strings.Contains(l, `"external_id"`) {
				out = append(out, l)
			}
		}
		return out
	}
	want := keyed(exportLines(t, from))
	if len(want) == 0 {
		t.Fatal("the demo data has no customer with an external id to migrate")
	}
	move := func(src, dst string) {
		t.Helper()
		file := filepath.Join(t.TempDir(), "klanten.ndjson")
		if r := herkenCLI("export", "--addr", src, "--out", file); r.code != 0 {
			t.Fatalf("export: %d %s", r.code, r.stderr)
		}
		r := herkenCLI("import", "--addr", dst, "--json", "--progress", "none", "--errors", filepath.Join(t.TempDir(), "e.csv"), file)
		if sum := decodeSummary(t, r.stdout); sum.Created == 0 {
			t.Fatalf("import: %d %s %s", r.code, r.stdout, r.stderr)
		}
	}
	pg := pgServer(t, false)
	move(from, pg)
	if got := keyed(exportLines(t, pg)); !slices.Equal(got, want) {
		t.Fatalf("Badger → PostgreSQL differs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	back := badgerServer(t, false)
	move(pg, back)
	if got := keyed(exportLines(t, back)); !slices.Equal(got, want) {
		t.Fatalf("PostgreSQL → Badger differs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestServePostgresDemo: --store postgres serves the demo like the other
// stores, and the store's flags are checked.
func TestServePostgresDemo(t *testing.T) {
	addr := pgServer(t, true)
	r := herkenCLI("lookup", "--addr", addr, "06-12345678")
	if r.code != 0 || !strings.Contains(r.stdout, "Jan de Vries") {
		t.Fatalf("lookup on PostgreSQL: %d %s %s", r.code, r.stdout, r.stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--store", "postgres"}, "--postgres-url"},
		{[]string{"--store", "mysql"}, "want badger, postgres or memory"},
		{[]string{"--postgres-url", "postgres://x/y"}, "needs --store postgres"},
		{[]string{"--in-memory", "--store", "postgres", "--postgres-url", "postgres://x/y"}, "choose one"},
	} {
		r := herkenCLI(append([]string{"serve"}, tc.args...)...)
		if r.code != 2 && r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("serve %q: exit %d, stderr %q; want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
