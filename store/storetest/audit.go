package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
)

// auditTests cover the audit trail (herken.AuditStore).
var auditTests = []storeTest{
	{"AuditNewestFirst", testAuditNewestFirst},
	{"AuditPaging", testAuditPaging},
	{"AuditDuplicatesSkipped", testAuditDuplicatesSkipped},
	{"AuditLargeBatch", testAuditLargeBatch},
	{"AuditRefusedWritesNothing", testAuditRefusedWritesNothing},
	{"AuditPurgeOldestFirst", testAuditPurgeOldestFirst},
	{"AuditEraseKeepsTrail", testAuditEraseKeepsTrail},
	{"AuditMergedKeepsOwnTrail", testAuditMergedKeepsOwnTrail},
	{"AuditUnknownID", testAuditUnknownID},
}

func newAudit(cid string, at time.Time, method string) herken.AuditRecord {
	return herken.AuditRecord{
		ID: herken.NewID(), CustomerID: cid, Time: at, Actor: "pbx-1",
		Method: method, Action: herken.AuditRead, RequestID: "req-" + method,
	}
}

func mustAppendAudit(t *testing.T, s herken.Store, recs ...herken.AuditRecord) {
	t.Helper()
	if err := s.AppendAudit(ctx, recs); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
}

// trailOf pages through id's whole trail with pages of size.
func trailOf(t *testing.T, s herken.Store, id string, size int) []herken.AuditRecord {
	t.Helper()
	var all []herken.AuditRecord
	for tok, pages := "", 0; ; pages++ {
		page, next, err := s.ListAudit(ctx, herken.AuditQuery{CustomerID: id, PageSize: size, PageToken: tok})
		if err != nil {
			t.Fatalf("ListAudit(%s): %v", id, err)
		}
		if len(page) > size || next != "" && len(page) != size {
			t.Fatalf("page of %d records (size %d, next %q)", len(page), size, next)
		}
		all = append(all, page...)
		if tok = next; tok == "" || pages > 10000 {
			return all
		}
	}
}

// sortedTrail is recs in the trail's order: newest first, ties by id.
func sortedTrail(recs []herken.AuditRecord) []herken.AuditRecord {
	out := slices.Clone(recs)
	slices.SortFunc(out, herken.AuditNewestFirst)
	return out
}

func showAudit(recs []herken.AuditRecord) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%s %s %s %s %d %s %s\n", r.ID, r.CustomerID, r.Time.UTC().Format(time.RFC3339Nano), r.Actor, r.Action, r.Method, r.RequestID)
	}
	return b.String()
}

func wantTrail(t *testing.T, s herken.Store, id string, want []herken.AuditRecord) {
	t.Helper()
	if got := trailOf(t, s, id, herken.MaxPageSize); showAudit(got) != showAudit(want) {
		t.Fatalf("trail of %s:\n%s\nwant\n%s", id, showAudit(got), showAudit(want))
	}
}

// testAuditNewestFirst: one customer's trail comes newest first, ties by
// id, every field as stored, and none of another customer's records.
func testAuditNewestFirst(t *testing.T, s herken.Store) {
	a, b := herken.NewID(), herken.NewID()
	var recs []herken.AuditRecord
	for _, m := range []int{3, 1, 4, 1, 5, 9, 2, 6, 5} { // ties at 1 and 5
		recs = append(recs, newAudit(a, minuteAt(m), fmt.Sprint("/m", m)))
	}
	recs[2].Action, recs[2].Actor, recs[2].RequestID = herken.AuditErase, herken.AnonymousActor, ""
	other := newAudit(b, minuteAt(7), "/other")
	mustAppendAudit(t, s, append(recs[:4:4], other)...)
	mustAppendAudit(t, s, recs[4:]...)
	wantTrail(t, s, a, sortedTrail(recs))
	wantTrail(t, s, b, []herken.AuditRecord{other})
}

// testAuditPaging: pages join up to the whole trail; a token opens only
// the trail it was issued for.
func testAuditPaging(t *testing.T, s herken.Store) {
	a, b := herken.NewID(), herken.NewID()
	var recs []herken.AuditRecord
	for i := range 7 {
		recs = append(recs, newAudit(a, minuteAt(i/2), fmt.Sprint("/m", i)), newAudit(b, minuteAt(i), "/b"))
	}
	mustAppendAudit(t, s, recs...)
	var mine []herken.AuditRecord
	for _, r := range recs {
		if r.CustomerID == a {
			mine = append(mine, r)
		}
	}
	for _, size := range []int{1, 3, 7, 100} {
		if got := trailOf(t, s, a, size); showAudit(got) != showAudit(sortedTrail(mine)) {
			t.Fatalf("pages of %d:\n%s\nwant\n%s", size, showAudit(got), showAudit(sortedTrail(mine)))
		}
	}
	_, tok, err := s.ListAudit(ctx, herken.AuditQuery{CustomerID: a, PageSize: 3})
	if err != nil || tok == "" {
		t.Fatalf("first page: token %q, %v", tok, err)
	}
	_, _, err = s.ListAudit(ctx, herken.AuditQuery{CustomerID: b, PageSize: 3, PageToken: tok})
	wantErr(t, err, herken.ErrPageToken)
	_, _, err = s.ListAudit(ctx, herken.AuditQuery{CustomerID: a, PageSize: 3, PageToken: tok + "x"})
	wantErr(t, err, herken.ErrPageToken)
	// A token of another list (history) does not open a trail either.
	c := mustCreate(t, s, NewCustomer("Jan"))
	for i := range 3 {
		mustAppend(t, s, c.ID, newInteraction(minuteAt(i), "x"))
	}
	_, htok, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: c.ID, PageSize: 1})
	if err != nil || htok == "" {
		t.Fatalf("history page: token %q, %v", htok, err)
	}
	_, _, err = s.ListAudit(ctx, herken.AuditQuery{CustomerID: c.ID, PageSize: 1, PageToken: htok})
	wantErr(t, err, herken.ErrPageToken)
}

// testAuditDuplicatesSkipped: a retried batch, or a record twice in one
// batch, is stored once.
func testAuditDuplicatesSkipped(t *testing.T, s herken.Store) {
	a := herken.NewID()
	r1, r2 := newAudit(a, minuteAt(1), "/one"), newAudit(a, minuteAt(2), "/two")
	mustAppendAudit(t, s, r1, r2, r1)
	before := digestOf(t, s)
	mustAppendAudit(t, s, r1, r2)
	if digestOf(t, s) != before {
		t.Fatal("a retried batch wrote something")
	}
	r3 := newAudit(a, minuteAt(3), "/three")
	mustAppendAudit(t, s, r2, r3)
	wantTrail(t, s, a, []herken.AuditRecord{r3, r2, r1})
	if err := s.AppendAudit(ctx, nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
}

// testAuditLargeBatch: a batch far beyond the recorder's thousand is
// stored whole (a store splits what one transaction cannot hold).
func testAuditLargeBatch(t *testing.T, s herken.Store) {
	a, b := herken.NewID(), herken.NewID()
	var recs []herken.AuditRecord
	for i := range 2500 {
		cid := a
		if i%5 == 0 {
			cid = b
		}
		r := newAudit(cid, epoch.Add(time.Duration(i)*time.Second), "/herken.v1.RecognitionService/Lookup")
		r.RequestID = strings.Repeat("r", 64)
		recs = append(recs, r)
	}
	mustAppendAudit(t, s, recs...)
	got := trailOf(t, s, a, herken.MaxPageSize)
	if len(got) != 2000 || !got[0].Time.Equal(recs[2499].Time) {
		t.Fatalf("trail of %d records, newest %v", len(got), got[0].Time)
	}
	if n := len(trailOf(t, s, b, herken.MaxPageSize)); n != 500 {
		t.Fatalf("other trail: %d records, want 500", n)
	}
}

// testAuditRefusedWritesNothing: a record whose ids could not be ids fails
// the whole batch before anything is written.
func testAuditRefusedWritesNothing(t *testing.T, s herken.Store) {
	a := herken.NewID()
	before := digestOf(t, s)
	bad := newAudit("not/an-id", minuteAt(2), "/bad")
	if err := s.AppendAudit(ctx, []herken.AuditRecord{newAudit(a, minuteAt(1), "/ok"), bad}); err == nil {
		t.Fatal("a record with a malformed customer id was accepted")
	}
	if digestOf(t, s) != before || len(trailOf(t, s, a, 10)) != 0 {
		t.Fatal("a refused batch wrote something")
	}
}

// testAuditPurgeOldestFirst: PurgeAudit deletes records older than the
// cutoff across customers, oldest first, at most limit, and says whether
// more are waiting.
func testAuditPurgeOldestFirst(t *testing.T, s herken.Store) {
	a, b := herken.NewID(), herken.NewID()
	r := []herken.AuditRecord{
		newAudit(a, dayAt(1), "/1"), newAudit(b, dayAt(2), "/2"), newAudit(a, dayAt(3), "/3"),
		newAudit(b, dayAt(4), "/4"), newAudit(a, dayAt(5), "/5"),
	}
	mustAppendAudit(t, s, r[3], r[0], r[4], r[2], r[1])
	if n, more, err := s.PurgeAudit(ctx, dayAt(1), 10); n != 0 || more || err != nil {
		t.Fatalf("nothing before the oldest: %d, %v, %v", n, more, err)
	}
	n, more, err := s.PurgeAudit(ctx, dayAt(4), 2)
	if n != 2 || !more || err != nil {
		t.Fatalf("PurgeAudit(limit 2) = %d, %v, %v; want 2, true", n, more, err)
	}
	wantTrail(t, s, a, []herken.AuditRecord{r[4], r[2]})
	wantTrail(t, s, b, []herken.AuditRecord{r[3]})
	n, more, err = s.PurgeAudit(ctx, dayAt(4), 10)
	if n != 1 || more || err != nil {
		t.Fatalf("PurgeAudit(rest) = %d, %v, %v; want 1, false", n, more, err)
	}
	wantTrail(t, s, a, []herken.AuditRecord{r[4]})
	wantTrail(t, s, b, []herken.AuditRecord{r[3]}) // at the cutoff: kept
	if n, more, err = s.PurgeAudit(ctx, dayAt(10), 1); n != 1 || !more || err != nil {
		t.Fatalf("PurgeAudit(limit 1) = %d, %v, %v; want 1, true", n, more, err)
	}
	if n, more, err = s.PurgeAudit(ctx, dayAt(10), 1); n != 1 || more || err != nil {
		t.Fatalf("PurgeAudit(last) = %d, %v, %v; want 1, false", n, more, err)
	}
	wantTrail(t, s, a, nil)
	wantTrail(t, s, b, nil)
}

// testAuditEraseKeepsTrail: erasure keeps every erased id's trail (the
// customer's and that of a name merged into it) and takes new records.
func testAuditEraseKeepsTrail(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Els", Phone("+31612345678")))
	m := mustCreate(t, s, NewCustomer("Els V", Phone("+31687654321")))
	rc, rm := newAudit(c.ID, minuteAt(1), "/c"), newAudit(m.ID, minuteAt(2), "/m")
	mustAppendAudit(t, s, rc, rm)
	mustMerge(t, s, c.ID, m.ID, minuteAt(3))
	mustErase(t, s, c.ID, minuteAt(4))
	erased := newAudit(c.ID, minuteAt(4), "/herken.v1.CustomerService/EraseCustomer")
	erased.Action = herken.AuditErase
	mustAppendAudit(t, s, erased)
	wantTrail(t, s, c.ID, []herken.AuditRecord{erased, rc})
	wantTrail(t, s, m.ID, []herken.AuditRecord{rm})
}

// testAuditMergedKeepsOwnTrail: a merge moves no audit record: each name
// keeps its own trail.
func testAuditMergedKeepsOwnTrail(t *testing.T, s herken.Store) {
	a := mustCreate(t, s, NewCustomer("A", Phone("+31611111111")))
	b := mustCreate(t, s, NewCustomer("B", Phone("+31622222222")))
	ra, rb := newAudit(a.ID, minuteAt(1), "/a"), newAudit(b.ID, minuteAt(2), "/b")
	mustAppendAudit(t, s, ra, rb)
	mustMerge(t, s, a.ID, b.ID, minuteAt(3))
	wantTrail(t, s, a.ID, []herken.AuditRecord{ra})
	wantTrail(t, s, b.ID, []herken.AuditRecord{rb})
}

// testAuditUnknownID: an id nobody recorded, or one that could not be an
// id, has an empty trail, not an error.
func testAuditUnknownID(t *testing.T, s herken.Store) {
	mustAppendAudit(t, s, newAudit(herken.NewID(), minuteAt(1), "/x"))
	for _, id := range []string{herken.NewID(), "", "../l/x"} {
		page, tok, err := s.ListAudit(ctx, herken.AuditQuery{CustomerID: id, PageSize: 10})
		if len(page) != 0 || tok != "" || err != nil {
			t.Fatalf("ListAudit(%q) = %v, %q, %v", id, page, tok, err)
		}
	}
}
