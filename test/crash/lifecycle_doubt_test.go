//go:build unix

package crash

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// TestCrashDoubtChain is the read-back of an erasure left in doubt over a
// chain of merges (o into p, p into c; erase c in doubt, not done): GetCustomer
// answers c for o, but o's direct survivor is still p. A model that took the
// flat answer as o's survivor expected o to stay with c when p was unmerged
// later, and picked o for an unmerge the server refused (CUSTOMER_MERGED:
// p was merged into c) — what the 10-cycle runs with the ImportCustomers
// writer sometimes reported. Runs with the crash test (HERKEN_CRASH_CYCLES).
func TestCrashDoubtChain(t *testing.T) {
	if envInt(t, "HERKEN_CRASH_CYCLES", 0) == 0 {
		t.Skip("set HERKEN_CRASH_CYCLES to run the crash test (make crashtest)")
	}
	if os.Getenv("HERKEN_CRASH_STORE") == "postgres" {
		t.Skip("the model's doubt chain does not depend on the store: the Badger run checks it")
	}
	tmp := t.TempDir()
	bin := herkenBinary(t)
	h := &harness{t: t, bin: bin, dir: filepath.Join(tmp, "data"), logDir: tmp, rng: rand.New(rand.NewPCG(1, 1)), m: newModel(1)}
	h.keysFile = filepath.Join(tmp, "keys")
	h.key = createKey(t, bin, h.keysFile)
	srv := h.start()
	defer h.stop(srv)
	ctx := context.Background()

	for range 3 {
		h.lifeCreate(ctx, srv)
	}
	if len(h.m.life.pool) != 3 {
		t.Fatalf("created %d pool customers, want 3", len(h.m.life.pool))
	}
	c, p, o := h.m.life.pool[0], h.m.life.pool[1], h.m.life.pool[2]
	merge := func(b, a *lifeCustomer) {
		t.Helper()
		if _, err := srv.customers.MergeCustomers(ctx, &herkenv1.MergeCustomersRequest{Survivor: a.name, Merged: b.name}); err != nil {
			t.Fatalf("merge %s into %s: %v", b.name, a.name, err)
		}
		b.state, b.into = lifeMerged, a
	}
	unmerge := func(b *lifeCustomer) {
		t.Helper()
		if _, err := srv.customers.UnmergeCustomers(ctx, &herkenv1.UnmergeCustomersRequest{Merged: b.name}); err != nil {
			t.Fatalf("unmerge %s (model: from %s): %v", b.name, b.into.name, err)
		}
		b.state, b.into = lifeLive, nil
	}
	merge(o, p)
	merge(p, c)
	// An EraseCustomer of c in doubt at a kill, which did not happen: what
	// lifeErase leaves.
	for _, x := range []*lifeCustomer{c, p, o} {
		x.doubt, x.mayErase = true, true
	}
	h.verifyLife(srv)
	if o.into != p {
		t.Fatalf("after the read-back o's survivor is %v, want p", o.into.name)
	}
	unmerge(p) // o goes with p
	h.verifyLife(srv)
	unmerge(o)
	h.verifyLife(srv)
}
