package badgerstore

import (
	"context"
	"slices"
	"testing"

	"github.com/herken/herken"
	"github.com/herken/herken/store/storetest"
)

// spanningPrefixes is herken.NamePrefixes before format 6: every prefix
// from each word's start, across the words after it.
func spanningPrefixes(name string) []string {
	f := herken.FoldName(name)
	var out []string
	for i := range len(f) {
		if i == 0 || f[i-1] == ' ' {
			for j := i + 1; j <= len(f); j++ {
				if f[j-1] != ' ' && !slices.Contains(out, f[i:j]) {
					out = append(out, f[i:j])
				}
			}
		}
	}
	return out
}

// TestMigrateV5NameIndex: a format-5 store (its name index across words)
// opens as format 6 with the index by word only, checks clean, and finds
// its customers by prefixes of one word and of several.
func TestMigrateV5NameIndex(t *testing.T) {
	// A format-5 store, and one whose migration was interrupted.
	for _, format := range []string{sealedV5, migratingV5} {
		t.Run(format, func(t *testing.T) { testMigrateV5NameIndex(t, format) })
	}
}

func testMigrateV5NameIndex(t *testing.T, format string) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	henk := storetest.NewCustomer("Henk van den Hendriks", storetest.Phone("+31612345678"))
	jan := storetest.NewCustomer("Jan de Vries")
	for _, c := range []herken.Customer{henk, jan} {
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Back to format 5: the index a format-5 build wrote.
	err = s.testUpdate(func(txn *tx) error {
		for _, c := range []herken.Customer{henk, jan} {
			for _, p := range spanningPrefixes(c.DisplayName) {
				if err := txn.Set(s.namePrefixKey(p, c.ID), nil); err != nil {
					return err
				}
			}
		}
		return txn.Set([]byte(keyFormat), []byte(format))
	})
	if err != nil {
		t.Fatal(err)
	}
	before := countKeys(t, s.db)[prefixName]
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := len(herken.NamePrefixes(henk.DisplayName)) + len(herken.NamePrefixes(jan.DisplayName))
	if got := countKeys(t, s.db)[prefixName]; got != want || before <= want {
		t.Fatalf("name index: %d keys after the migration (%d before), want %d", got, before, want)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after the migration: %v", rep.Problems)
	}
	for q, id := range map[string]string{"hend": henk.ID, "van den h": henk.ID, "de vr": jan.ID, "vries": jan.ID} {
		list, _, err := s.ListCustomers(ctx, herken.CustomerQuery{NamePrefix: q, PageSize: 10})
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Errorf("ListCustomers %q: %v %v", q, list, err)
		}
	}
}
