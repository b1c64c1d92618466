package badgerstore

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/recordpb"
	"github.com/herken/herken/store/storetest"
)

// testdata/format2.tar.gz is a format-2 store written by the code of
// commit 2195d35 (testdata/mkformat2): three customers (a landline and a
// postal address shared by Anna and Pieter; Jan's external id and X handle
// exclusive), twelve interactions of Jan (two at the same time; one with
// unanswered feedback, one answered), promises in every state (one made in
// Jan's call, one in an interaction of Anna's that retention then purged,
// one broken by the sweeper with its system event), and idempotency
// records for a customer, an interaction, a promise and the purged
// interaction. The ids and orders below are what that code returned.
const (
	v2Jan, v2Anna, v2Pieter = "sf5wq7fgbsr4b11v", "ewbvera6q3jaqhwp", "mm7wmq2r8xcgsws4"

	v2JanCall     = "671bd964b636efff339731ad" // feedback unanswered; req-call
	v2JanAnswered = "671bd2d854c5afff7cc4d694" // feedback answered
	v2Ancient     = "6a18bc2588b4bfff3c8a39b6" // Anna's, 2020, purged by retention; req-ancient
	v2AnnaChat    = "671bd61e857e4fff9863a1bb"

	v2Owned     = "18e43d869ed570001f91a10f" // OPEN, team-techniek, made in v2JanCall; req-promise
	v2Unowned   = "18e440cccf8e1000d008a100" // OPEN
	v2Kept      = "18e42d27ab3a50003abaf324" // KEPT
	v2AnnaOpen  = "18e436fa3d6430003b719c88" // OPEN, team-techniek, made in v2Ancient
	v2Cancelled = "18e433b40cab9000f37246bf" // CANCELLED
	v2Broken    = "18e4269b49c910002d26f877" // BROKEN by BreakOverdue
)

var (
	v2Base = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	// Jan's history as the old code listed it, newest first, ties by id.
	v2JanHistory = []string{"671bd2d854c5afff7cc4d694", "671bd61e857e4fff7e7c9285", "671bd964b636efff339731ad",
		"671bd964b636efffd2c54e77", "671bdcaae6ef8fff2ae910e1", "671bdff117a82fffff484f8e", "671be3374860cfffe0f5caeb",
		"671be67d79196fff8f1984f5", "671be9c3a9d20fffb8e4b44f", "671bed09da8aafffff5ab98b", "671bf0500b434fff263651c6",
		"671bf3963bfbefff9492c541"}
	v2PieterHistory = []string{"671bd47b6d21ffffa11e1f6f", "671bdcaae6ef8fff3bc887b9"} // the broken promise's event, a call
	v2JanPromises   = []string{v2Kept, v2Owned, v2Unowned}                             // by due time
	v2OpenPromises  = []string{v2AnnaOpen, v2Owned, v2Unowned}                         // all customers, by due time
	v2JanPhone      = storetest.Phone("+31612345678")
	v2Landline      = storetest.Phone("+31201234567")
)

// v2Idem is the idempotency the generator used for key.
func v2Idem(key string) herken.WriteOptions {
	return herken.WriteOptions{Idempotency: herken.Idempotency{Key: key, Fingerprint: []byte("fp-" + key), TTL: time.Hour}}
}

// unpackFormat2 unpacks testdata/format2.tar.gz into a fresh directory.
func unpackFormat2(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "format2.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(h.Name)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func openLogged(t *testing.T, dir string) (*Store, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	s, err := Open(Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func storedFormat(t *testing.T, s *Store) string {
	t.Helper()
	var v []byte
	err := s.testView(func(txn *tx) error {
		item, err := txn.Get([]byte(keyFormat))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func interactionIDs(ins []herken.Interaction) []string {
	return ids(ins, func(in herken.Interaction) string { return in.ID })
}

func promiseIDs(ps []herken.Promise) []string {
	return ids(ps, func(p herken.Promise) string { return p.ID })
}

// checkFormat2Reads asserts that a migrated format-2 store is of the
// current format (through 3 and 4 to 5: sealed, index keys hashed), checks
// clean and answers every read as the old code did, by the old ids.
func checkFormat2Reads(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	if got := storedFormat(t, s); got != currentFormat {
		t.Fatalf("format %q, want %q", got, currentFormat)
	}
	rep := mustCheck(t, s)
	if !rep.OK() {
		t.Fatalf("check after migration:\n%s", reportText(t, rep))
	}
	assertSealed(t, s)
	if n := len(keyRefs(t, s)); n != 3 || s.keys.Live() != 3 {
		t.Fatalf("%d x/ entries and %d live keys, want one for each of the three customers", n, s.keys.Live())
	}
	c := rep.Counts
	if c.Customers != 3 || c.Interactions != 15 || c.InteractionLocators != 15 || c.Promises != 6 || c.PromiseLocators != 6 ||
		c.OpenPromises != 3 || c.Requests != 4 {
		t.Fatalf("counts after migration: %+v", c)
	}

	promises := []struct {
		cid, id     string
		state       herken.PromiseState
		interaction string
	}{
		{v2Jan, v2Owned, herken.PromiseOpen, v2JanCall},
		{v2Jan, v2Unowned, herken.PromiseOpen, ""},
		{v2Jan, v2Kept, herken.PromiseKept, ""},
		{v2Anna, v2AnnaOpen, herken.PromiseOpen, v2Ancient},
		{v2Pieter, v2Cancelled, herken.PromiseCancelled, ""},
		{v2Pieter, v2Broken, herken.PromiseBroken, ""},
	}
	for _, w := range promises {
		p, err := s.GetPromise(ctx, w.cid, w.id)
		if err != nil || p.ID != w.id || p.CustomerID != w.cid || p.State != w.state || p.InteractionID != w.interaction {
			t.Fatalf("GetPromise %s: %+v %v", w.id, p, err)
		}
	}

	history := func(cid string) []string {
		t.Helper()
		ins, next, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: cid, PageSize: 100})
		if err != nil || next != "" {
			t.Fatalf("ListInteractions: %v %q", err, next)
		}
		return interactionIDs(ins)
	}
	if got := history(v2Jan); !slices.Equal(got, v2JanHistory) {
		t.Fatalf("Jan's history\n got %v\nwant %v", got, v2JanHistory)
	}
	if got := history(v2Pieter); !slices.Equal(got, v2PieterHistory) {
		t.Fatalf("Pieter's history %v, want %v", got, v2PieterHistory)
	}
	// Paged, the same order.
	var paged []string
	for token := ""; ; {
		ins, next, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: v2Jan, PageSize: 5, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, interactionIDs(ins)...)
		if token = next; token == "" {
			break
		}
	}
	if !slices.Equal(paged, v2JanHistory) {
		t.Fatalf("Jan's history in pages %v", paged)
	}

	listPromises := func(q herken.PromiseQuery) []string {
		t.Helper()
		q.PageSize = 100
		ps, _, err := s.ListPromises(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return promiseIDs(ps)
	}
	if got := listPromises(herken.PromiseQuery{CustomerID: v2Jan}); !slices.Equal(got, v2JanPromises) {
		t.Fatalf("Jan's promises %v, want %v", got, v2JanPromises)
	}
	if got := listPromises(herken.PromiseQuery{}); !slices.Equal(got, v2OpenPromises) {
		t.Fatalf("open promises %v, want %v", got, v2OpenPromises)
	}
	if got, want := listPromises(herken.PromiseQuery{Owner: "team-techniek"}), []string{v2AnnaOpen, v2Owned}; !slices.Equal(got, want) {
		t.Fatalf("team-techniek's promises %v, want %v", got, want)
	}
	if got, want := listPromises(herken.PromiseQuery{OverdueAt: v2Base.Add(3 * time.Hour)}), []string{v2AnnaOpen}; !slices.Equal(got, want) {
		t.Fatalf("overdue promises %v, want %v", got, want)
	}

	// Lookup: from the customer record's copies (10) and from h/ (12).
	for _, limit := range []int{10, 12} {
		snap, err := s.Match(ctx, []identity.Identifier{v2JanPhone},
			herken.MatchOptions{HistoryLimit: limit, OpenPromiseLimit: 10, CountSince: v2Base.Add(-24 * time.Hour), CountMax: 100},
			func(h [][]string) string { return h[0][0] })
		if err != nil || snap.Focus != v2Jan {
			t.Fatalf("Match: %+v %v", snap, err)
		}
		if got := interactionIDs(snap.History); !slices.Equal(got, v2JanHistory[:limit]) {
			t.Fatalf("Match history (limit %d) %v", limit, got)
		}
		if got, want := promiseIDs(snap.Promises), []string{v2Owned, v2Unowned}; !slices.Equal(got, want) {
			t.Fatalf("Match promises %v, want %v", got, want)
		}
		if snap.Counted != 12 {
			t.Fatalf("Match counted %d contacts, want 12", snap.Counted)
		}
	}
	snap, err := s.Match(ctx, []identity.Identifier{v2Landline}, herken.MatchOptions{}, nil)
	if err != nil || !slices.Equal(snap.Holders[0], []string{v2Anna, v2Pieter}) {
		t.Fatalf("Match of the shared landline: %v %v", snap.Holders, err)
	}

	unanswered, _, err := s.ListInteractions(ctx, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 10})
	if err != nil || !slices.Equal(interactionIDs(unanswered), []string{v2JanCall}) {
		t.Fatalf("unanswered feedback: %v %v", interactionIDs(unanswered), err)
	}

	// The idempotent requests replay what the old code recorded.
	cu, err := s.CreateCustomer(ctx, storetest.NewCustomer("Jan"), v2Idem("req-jan"))
	if err != nil || cu.ID != v2Jan {
		t.Fatalf("replayed CreateCustomer: %s %v", cu.ID, err)
	}
	newCall := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound,
		Outcome: herken.OutcomeResolved, OccurTime: v2Base}
	in, err := s.AppendInteraction(ctx, herken.Target{Identifier: v2JanPhone}, newCall, v2Idem("req-call"))
	if err != nil || in.ID != v2JanCall || in.Summary != "call" {
		t.Fatalf("replayed AppendInteraction: %+v %v", in, err)
	}
	p, err := s.CreatePromise(ctx, herken.Target{CustomerID: v2Jan}, storetest.NewPromise(herken.PromiseCallback, v2Base, ""), v2Idem("req-promise"))
	if err != nil || p.ID != v2Owned {
		t.Fatalf("replayed CreatePromise: %+v %v", p, err)
	}
	_, err = s.AppendInteraction(ctx, herken.Target{CustomerID: v2Anna}, newCall, v2Idem("req-ancient"))
	if e, ok := herken.AsError(err); !ok || e.Reason != herken.ReasonInteractionNotFound {
		t.Fatalf("replay of a purged interaction: %v", err)
	}
}

// TestOpenFormat2Store opens a store format 2 wrote: Open migrates it
// through formats 3 and 4 to 5 (sealed, index keys hashed), every old id
// keeps working for reads and writes, and a second open does not migrate
// again.
func TestOpenFormat2Store(t *testing.T) {
	ctx := context.Background()
	dir := unpackFormat2(t)
	s, logs := openLogged(t, dir)
	for _, step := range []string{"migrating store format 2 to 3", "migrating store format 3 to 4", "migrating store format 4 to 5"} {
		if !strings.Contains(logs.String(), step) {
			t.Fatalf("Open did not run %q:\n%s", step, logs)
		}
	}
	checkFormat2Reads(t, s)

	// Writes through the old ids.
	if _, err := s.UpdateInteraction(ctx, v2Jan, v2JanCall, func(in *herken.Interaction) error {
		in.Feedback.Answer, in.Feedback.AnsweredBy, in.Feedback.AnswerTime = "excuses", "lead-1", v2Base
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if unanswered, _, err := s.ListInteractions(ctx, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 10}); err != nil || len(unanswered) != 0 {
		t.Fatalf("unanswered feedback after the answer: %v %v", interactionIDs(unanswered), err)
	}
	if _, err := s.UpdatePromise(ctx, v2Jan, v2Owned, func(p *herken.Promise) error {
		p.State, p.StateTime, p.StateActor = herken.PromiseKept, v2Base, "agent-042"
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// A new interaction between two old ones, and a promise made in an old one.
	between := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelChat, Direction: herken.DirectionInbound,
		Outcome: herken.OutcomeResolved, OccurTime: v2Base.Add(-150 * time.Minute), Summary: "nieuw"}
	if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: v2Jan}, between, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	np := storetest.NewPromise(herken.PromiseCallback, v2Base.Add(time.Hour), "")
	np.InteractionID = v2JanAnswered
	if _, err := s.CreatePromise(ctx, herken.Target{CustomerID: v2Jan}, np, herken.WriteOptions{}); err != nil {
		t.Fatalf("CreatePromise in an old interaction: %v", err)
	}
	ins, _, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: v2Jan, PageSize: 100})
	want := slices.Insert(slices.Clone(v2JanHistory), 2, between.ID)
	if err != nil || !slices.Equal(interactionIDs(ins), want) {
		t.Fatalf("history with a new interaction\n got %v\nwant %v (%v)", interactionIDs(ins), want, err)
	}
	ps, _, err := s.ListPromises(ctx, herken.PromiseQuery{PageSize: 100})
	if want := []string{np.ID, v2AnnaOpen, v2Unowned}; err != nil || !slices.Equal(promiseIDs(ps), want) {
		t.Fatalf("open promises %v, want %v (%v)", promiseIDs(ps), want, err)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after writes:\n%s", reportText(t, rep))
	}
	before, err := s.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, logs = openLogged(t, dir)
	defer s.Close()
	if strings.Contains(logs.String(), "migrat") {
		t.Fatalf("the second open migrated again:\n%s", logs)
	}
	after, err := s.Digest()
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("the second open changed the store (%v)", err)
	}
	if got := storedFormat(t, s); got != currentFormat {
		t.Fatalf("format %q after reopening", got)
	}
}

// TestFormat2MigrationResumes: a migration interrupted after some of its
// batches (old- and new-shaped keys side by side, the format still "2")
// completes on the next open.
func TestFormat2MigrationResumes(t *testing.T) {
	ctx := context.Background()
	dir := unpackFormat2(t)
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{db: db, log: slog.New(slog.DiscardHandler)}
	for i, f := range v2Families {
		if n, _, err := s.migrateV2Batch(ctx, f, nil, 3-i); err != nil || n != 3-i {
			t.Fatalf("batch of %s: %d %v", f.prefix, n, err)
		}
	}
	// Both shapes are there now, and the store still says format 2.
	var oldShaped, newShaped int
	if err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := string(it.Item().Key())
			if p := prefixOf(it.Item().Key()); p != prefixHistory && p != prefixPromise && p != prefixOpen {
				continue
			}
			if strings.Count(k, "/") == 2 {
				oldShaped++
			} else {
				newShaped++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if oldShaped == 0 || newShaped != 6 || storedFormat(t, s) != "2" {
		t.Fatalf("not half-way: %d old-shaped, %d new-shaped keys, format %q", oldShaped, newShaped, storedFormat(t, s))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, logs := openLogged(t, dir)
	defer s.Close()
	if !strings.Contains(logs.String(), "store migration finished") {
		t.Fatalf("Open did not finish the migration:\n%s", logs)
	}
	checkFormat2Reads(t, s)
}

// TestFormat2MigrationLargeRecords: interactions with long texts do not fit
// 500 to a transaction; the migration moves them in smaller batches instead
// of failing on every start.
func TestFormat2MigrationLargeRecords(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, plain: true}) // records as a format-2 store wrote them
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.NewCustomer("Jan")
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	const n = 600
	long := strings.Repeat("ë", 4000) // 8 KB of summary, and as much again in feedback
	var want []string
	err = s.testUpdate(func(txn *tx) error {
		if err := txn.Set([]byte(keyFormat), []byte("2")); err != nil {
			return err
		}
		if err := putCustomer(txn, customerRec{Customer: c}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		err := s.testUpdate(func(txn *tx) error {
			occur := at.Add(-time.Duration(i) * time.Minute)
			id := newestHex(occur) + "0000abcd" // a format-2 id: {newest} and 8 random hex digits
			key := []byte(prefixHistory + c.ID + "/" + id)
			b, err := encodeInteraction(txn, c.ID, key, herken.Interaction{ID: id, CustomerID: c.ID, Channel: herken.ChannelPhone,
				Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved, OccurTime: occur, Summary: long,
				Feedback: &herken.Feedback{Score: 1, Comment: long, SubmitTime: occur}})
			if err != nil {
				return err
			}
			want = append(want, id)
			return txn.Set(key, b)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, logs := openLogged(t, dir)
	defer s.Close()
	if f := storedFormat(t, s); f != currentFormat || !strings.Contains(logs.String(), "store migration finished") {
		t.Fatalf("format %q after open; log:\n%s", f, logs)
	}
	var got []string
	q := herken.InteractionQuery{CustomerID: c.ID, PageSize: herken.MaxPageSize}
	for {
		page, next, err := s.ListInteractions(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page {
			got = append(got, in.ID)
		}
		if next == "" {
			break
		}
		q.PageToken = next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("history after migration: %d interactions, want %d newest first", len(got), len(want))
	}
	if _, err := s.UpdateInteraction(context.Background(), c.ID, want[n-1], func(*herken.Interaction) error { return nil }, herken.WriteOptions{}); err != nil {
		t.Fatalf("oldest interaction by its format-2 id: %v", err)
	}
}

// TestFormat2PageTokenRefused: a page token issued by format 2 holds a key
// of the old layout, which sorts after the records of its time now; it is
// refused (PAGE_TOKEN_INVALID) instead of opening a page that skips one.
func TestFormat2PageTokenRefused(t *testing.T) {
	s, _ := openLogged(t, unpackFormat2(t))
	defer s.Close()
	ctx := context.Background()
	q := herken.InteractionQuery{CustomerID: v2Jan, PageSize: 5}
	// The format-2 hash of this query, and the key its page 2 started at.
	h := sha256.New()
	for _, p := range []any{"interactions", q.CustomerID, []int{}, q.Start.UTC().Format(time.RFC3339Nano), q.End.UTC().Format(time.RFC3339Nano), false} {
		fmt.Fprintf(h, "%v\x00", p)
	}
	// Sealed as format 2 sealed it: the record carried the query hash and
	// the HMAC covered the record alone.
	body, err := marshalOpts.Marshal(&recordpb.PageTokenRecord{QueryHash: h.Sum(nil), NextKey: []byte(prefixHistory + v2Jan + "/" + v2JanHistory[5])})
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(body)
	q.PageToken = base64.RawURLEncoding.EncodeToString(append(mac.Sum(nil), body...))
	if _, _, err := s.ListInteractions(ctx, q); !errors.Is(err, herken.ErrPageToken) {
		t.Fatalf("format-2 token: %v, want PAGE_TOKEN_INVALID", err)
	}
	// A token of this format, same query, opens.
	_, next, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: v2Jan, PageSize: 5})
	if err != nil || next == "" {
		t.Fatalf("first page: %q, %v", next, err)
	}
	if _, _, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: v2Jan, PageSize: 5, PageToken: next}); err != nil {
		t.Fatalf("second page: %v", err)
	}
}
