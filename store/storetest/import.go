package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/herken/herken"
)

var importTests = []storeTest{
	{"ImportCreatesAndUpdates", testImportCreatesAndUpdates},
	{"ImportOpFailsAlone", testImportOpFailsAlone},
	{"ImportSeesEarlierOps", testImportSeesEarlierOps},
	{"ImportManyOps", testImportManyOps},
}

// importOp creates c, or renames the holder of key to c's name.
func importOp(c herken.Customer) herken.ImportOp {
	return herken.ImportOp{Key: c.Identifiers[0].Identifier, New: c, Update: func(cur *herken.Customer) (bool, error) {
		if cur.DisplayName == c.DisplayName {
			return false, nil
		}
		cur.DisplayName = c.DisplayName
		cur.Revision++
		return true, nil
	}}
}

func mustImport(t *testing.T, s herken.Store, ops ...herken.ImportOp) []herken.ImportOpResult {
	t.Helper()
	res, err := s.ImportCustomers(ctx, ops, herken.WriteOptions{})
	if err != nil {
		t.Fatalf("ImportCustomers: %v", err)
	}
	if len(res) != len(ops) {
		t.Fatalf("%d results for %d ops", len(res), len(ops))
	}
	return res
}

func testImportCreatesAndUpdates(t *testing.T, s herken.Store) {
	jan := NewCustomer("Jan", External("K-1"), Phone("+31612345678"))
	res := mustImport(t, s, importOp(jan))
	if r := res[0]; r.Err != nil || !r.Created || !r.Changed || r.CustomerID != jan.ID {
		t.Fatalf("create: %+v", r)
	}
	got := mustGet(t, s, jan.ID)
	if showCustomer(got, false) != showCustomer(jan, false) {
		t.Fatalf("created %s, want %s", showCustomer(got, false), showCustomer(jan, false))
	}
	wantHolders(t, s, Phone("+31612345678"), jan.ID)

	// The same again: the holder is found by key, nothing is written.
	before := digestOf(t, s)
	again := NewCustomer("Jan", External("K-1"), Phone("+31612345678"))
	res = mustImport(t, s, importOp(again))
	if r := res[0]; r.Err != nil || r.Created || r.Changed || r.CustomerID != jan.ID {
		t.Fatalf("unchanged: %+v", r)
	}
	if digestOf(t, s) != before {
		t.Fatal("an unchanged op wrote")
	}

	// A change: Update runs on the holder's record, indexes follow.
	renamed := NewCustomer("Jan de Vries", External("K-1"))
	res = mustImport(t, s, importOp(renamed))
	if r := res[0]; r.Err != nil || r.Created || !r.Changed || r.CustomerID != jan.ID {
		t.Fatalf("update: %+v", r)
	}
	if got := mustGet(t, s, jan.ID); got.DisplayName != "Jan de Vries" || got.Revision != 2 || len(got.Identifiers) != 2 {
		t.Fatalf("after update: %s", showCustomer(got, false))
	}
	list, _, err := s.ListCustomers(ctx, herken.CustomerQuery{NamePrefix: "vries", PageSize: 10})
	if err != nil || len(list) != 1 || list[0].ID != jan.ID {
		t.Fatalf("name index after an import update: %v %v", list, err)
	}
}

// An op that cannot link an identifier, or whose Update fails, writes
// nothing; the ops around it are applied.
func testImportOpFailsAlone(t *testing.T, s herken.Store) {
	kees := mustCreate(t, s, NewCustomer("Kees", External("K-9"), Social(1, "x:kees")))
	a := NewCustomer("A", External("K-1"))
	b := NewCustomer("B", External("K-2"), Phone("+31611111111"), Social(1, "x:kees")) // handle held by Kees
	c := NewCustomer("C", External("K-3"))
	refused := errors.New("refused by Update")
	bad := herken.ImportOp{Key: External("K-9"), New: NewCustomer("X", External("K-9")), Update: func(*herken.Customer) (bool, error) { return false, refused }}
	before := mustGet(t, s, kees.ID)
	res := mustImport(t, s, importOp(a), importOp(b), bad, importOp(c))
	var ie *herken.IdentifierError
	if r := res[1]; !errors.As(r.Err, &ie) || ie.Index != 2 || !r.Created || r.CustomerID != "" {
		t.Fatalf("op with a taken handle: %+v", r)
	}
	if r := res[2]; !errors.Is(r.Err, refused) || r.Created || r.CustomerID != "" {
		t.Fatalf("op whose Update failed: %+v", r)
	}
	for _, i := range []int{0, 3} {
		if r := res[i]; r.Err != nil || !r.Created {
			t.Fatalf("op %d: %+v", i, r)
		}
	}
	if _, err := s.GetCustomer(ctx, b.ID); !errors.Is(err, herken.ErrCustomerNotFound) {
		t.Fatalf("the failed create left a customer: %v", err)
	}
	wantHolders(t, s, Phone("+31611111111"))
	if got := mustGet(t, s, kees.ID); showCustomer(got, false) != showCustomer(before, false) {
		t.Fatal("the failed update wrote")
	}
}

// Ops see the ops before them: a second op with the same key updates the
// customer the first created; a shared identifier counts both.
func testImportSeesEarlierOps(t *testing.T, s herken.Store) {
	first := NewCustomer("Eerste", External("K-1"), Phone("+31201234567"))
	second := NewCustomer("Tweede", External("K-1"))
	other := NewCustomer("Ander", External("K-2"), Phone("+31201234567"))
	res := mustImport(t, s, importOp(first), importOp(second), importOp(other))
	if !res[0].Created || res[1].Created || !res[1].Changed || res[1].CustomerID != first.ID || !res[2].Created {
		t.Fatalf("results: %+v", res)
	}
	if got := mustGet(t, s, first.ID); got.DisplayName != "Tweede" {
		t.Fatalf("second op not applied to the first's customer: %s", got.DisplayName)
	}
	wantHolders(t, s, Phone("+31201234567"), first.ID, other.ID)
}

// Many ops in one call (more than a store may put in one transaction).
func testImportManyOps(t *testing.T, s herken.Store) {
	const n = 3000
	ops := make([]herken.ImportOp, n)
	for i := range ops {
		ops[i] = importOp(NewCustomer(fmt.Sprintf("Klant %d met een lange naam voor veel prefixen", i), External(fmt.Sprintf("K-%d", i)), Phone(fmt.Sprintf("+316%08d", i))))
	}
	res := mustImport(t, s, ops...)
	for i, r := range res {
		if r.Err != nil || !r.Created || r.CustomerID != ops[i].New.ID {
			t.Fatalf("op %d: %+v", i, r)
		}
	}
	wantHolders(t, s, Phone("+31600002999"), ops[n-1].New.ID)
	res = mustImport(t, s, ops...)
	for i, r := range res {
		if r.Err != nil || r.Created || r.Changed {
			t.Fatalf("op %d again: %+v", i, r)
		}
	}
}
