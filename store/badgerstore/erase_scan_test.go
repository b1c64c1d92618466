package badgerstore

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/rawscan"
	"github.com/herken/herken/store/badgerstore/internal/shred"
	"github.com/herken/herken/store/storetest"
)

// The proof of "erasure that holds" (issue 10, item 6): after
// EraseCustomer has returned, no file of the data directory holds the
// erased customers' personal data in readable form — not in a table, the
// value log, the write-ahead log, an old version or an index key — read
// the way Badger reads them (rawscan), in every spelling the store could
// hold. And the same scenario on a plain store (sealing and hashed index
// keys switched off) does find them: the scan is not vacuous.

// scanPerson is one customer of the scenario with its personal data.
type scanPerson struct {
	names                      []string // every display name it had
	phone, national            string   // E.164 and the national form
	email, handle, social      string   // social is the stored value ("x:" handle)
	external, postal           string
	notes                      []string // every handover note it had
	summaries                  []string // interaction texts
	comment, answer, promise   string
	ids                        []identity.Identifier
	id                         string
	interactions, promiseCount int
}

func (p *scanPerson) customer() herken.Customer {
	c := storetest.NewCustomer(p.names[0], p.ids...)
	c.HandoverNote = p.notes[0]
	c.Tags = []string{"vip"} // tags are not personal data
	p.id = c.ID
	return c
}

// needles is every spelling of p's data the store could hold: as given,
// folded (herken.FoldName) with every indexed prefix longer than three
// runes, the phone in national form, the handle without its platform.
func (p *scanPerson) needles() []string {
	out := []string{p.phone, p.national, p.email, p.handle, p.social, p.external, p.postal, p.comment, p.answer, p.promise}
	out = append(out, p.notes...)
	out = append(out, p.summaries...)
	for _, n := range p.names {
		out = append(out, n, herken.FoldName(n))
		for _, pre := range herken.NamePrefixes(n) {
			if utf8.RuneCountInString(pre) > 3 {
				out = append(out, pre)
			}
		}
	}
	return out
}

// primary is what a plain store keeps readable for certain: the values as
// given (the folded forms are only ever in index keys, hex or hashed).
func (p *scanPerson) primary() []string {
	out := []string{p.names[0], p.phone, p.email, p.social, p.external, p.postal, p.notes[0], p.summaries[0], p.comment, p.answer, p.promise}
	return out
}

// long makes a summary above the test's value threshold, so it is written
// to the value log.
func long(s string) string {
	return s + " — " + strings.Repeat("Het gesprek duurde lang en alles is genoteerd. ", 8)
}

func scanPeople() (zoe, ulku, wil *scanPerson, survivors []*scanPerson) {
	zoe = &scanPerson{
		names: []string{"Zoë Ağaoğlu", "Zoë Ağaoğlu-Lindqvist"}, phone: "+31687650123", national: "0687650123",
		email: "zoe.agaoglu@voorbeeld.nl", handle: "zoeagaoglu", social: "x:zoeagaoglu", external: "CRM-884211",
		postal: "3512JK 21", notes: []string{"Spreekt Turks, belt liever na vijven", "Nieuwe notitie: hond in de tuin"},
		summaries: []string{long("Zoë meldt dat de cv-ketel in Utrecht lekt"), long("Zoë vraagt naar de vervangende ketel"),
			long("Zoë bevestigt de afspraak voor donderdag")},
		comment: "Monteur kwam drie keer niet opdagen", answer: "Excuses, wij sturen een nieuwe monteur",
		promise: "Terugbellen over de vervangende ketel",
	}
	ulku = &scanPerson{
		names: []string{"Ülkü Wijnaldum"}, phone: "+31698761234", national: "0698761234",
		email: "ulku.wijnaldum@voorbeeld.nl", handle: "ulkuwijnaldum", social: "x:ulkuwijnaldum", external: "CRM-551907",
		postal: "9711LK 4", notes: []string{"Sleutel ligt bij de buren op nummer veertien"},
		summaries: []string{long("Ülkü wil zonnepanelen op het schuurdak")},
		comment:   "Offerte was onduidelijk over de btw", answer: "Wij sturen een herziene offerte",
		promise: "Offerte zonnepanelen nasturen",
	}
	wil = &scanPerson{
		names: []string{"Wilhelmina Kuijpers"}, phone: "+31655443322", national: "0655443322",
		email: "w.kuijpers@voorbeeld.nl", handle: "wilkuijpers", social: "x:wilkuijpers", external: "CRM-310588",
		postal: "6211WK 88", notes: []string{"Rolstoeltoegankelijke afspraak nodig"},
		summaries: []string{long("Wilhelmina klaagt over de drempel bij de ingang"), long("Wilhelmina belt terug over de rolstoelbus")},
		comment:   "Niemand hield rekening met mijn rolstoel", answer: "Wij passen de afspraakplanning aan",
		promise: "Rolstoelbus regelen voor dinsdag",
	}
	for _, p := range []*scanPerson{zoe, ulku, wil} {
		p.ids = []identity.Identifier{storetest.Phone(p.phone), storetest.Email(p.email),
			storetest.Social(identity.PlatformX, p.social), storetest.External(p.external),
			{Kind: identity.KindPostalAddress, Value: p.postal}}
	}
	maarten := &scanPerson{names: []string{"Maarten Jansen"}, phone: "+31611110001", email: "maarten.jansen@bedrijf.nl",
		notes: []string{"Zakelijke klant, factuur per mail"}, summaries: []string{long("Maarten vraagt om een kopie van de factuur")},
		comment: "Snel geholpen", answer: "Dank u wel", promise: "Factuur opnieuw versturen"}
	fenna := &scanPerson{names: []string{"Fenna Visser"}, phone: "+31622220002", email: "fenna@visser.nl",
		notes: []string{"Heeft een slimme meter"}, summaries: []string{long("Fenna vraagt naar het terugleveren")},
		comment: "Prima", answer: "Graag gedaan", promise: "Meterstanden nakijken"}
	for _, p := range []*scanPerson{maarten, fenna} {
		p.ids = []identity.Identifier{storetest.Phone(p.phone), storetest.Email(p.email)}
	}
	return zoe, ulku, wil, []*scanPerson{maarten, fenna}
}

// scanStore is the scenario's store: on disk, values above 256 bytes in
// the value log (whose files are small, so there are several).
func openScanStore(t *testing.T, dir string, plain bool) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, plain: plain, valueThreshold: 256, valueLogFileSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// survivorState is what the survivors read back as: compared before the
// erasure and after reopening.
type survivorState struct {
	customer     herken.Customer
	history      []herken.Interaction
	promises     []herken.Promise
	lookupFocus  string
	lookupRecent int
}

func readSurvivor(t *testing.T, s *Store, p *scanPerson) survivorState {
	t.Helper()
	ctx := context.Background()
	var st survivorState
	var err error
	if st.customer, err = s.GetCustomer(ctx, p.id); err != nil {
		t.Fatalf("GetCustomer %s: %v", p.names[0], err)
	}
	if st.history, _, err = s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: p.id, PageSize: 100}); err != nil {
		t.Fatal(err)
	}
	if st.promises, _, err = s.ListPromises(ctx, herken.PromiseQuery{CustomerID: p.id, PageSize: 100}); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Match(ctx, []identity.Identifier{storetest.Phone(p.phone)}, herken.MatchOptions{HistoryLimit: 10, OpenPromiseLimit: 10},
		func(h [][]string) string { return h[0][0] })
	if err != nil {
		t.Fatalf("Match %s: %v", p.names[0], err)
	}
	st.lookupFocus, st.lookupRecent = snap.Focus, len(snap.History)
	return st
}

// runEraseScenario writes the scenario into dir and erases Wilhelmina and
// Zoë (with Ülkü, merged into her). It returns the erased people,
// the survivors with what they read as before the erasure, and a copy of
// the data directory taken right after the erasures returned, while the
// store was still open (the latest writes only in the write-ahead log, as
// a crash would leave it).
func runEraseScenario(t *testing.T, dir string, plain bool) (erased []*scanPerson, survivors []*scanPerson, before []survivorState, crashCopy string) {
	t.Helper()
	ctx := context.Background()
	zoe, ulku, wil, survivors := scanPeople()
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	tick := func() time.Time { at = at.Add(time.Minute); return at }

	create := func(s *Store, p *scanPerson) {
		t.Helper()
		c := p.customer()
		c.CreateTime, c.UpdateTime = tick(), at
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatalf("CreateCustomer %s: %v", p.names[0], err)
		}
	}
	record := func(s *Store, p *scanPerson, summary string, feedback bool) herken.Interaction {
		t.Helper()
		in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound,
			Outcome: herken.OutcomeResolved, OccurTime: tick(), CreateTime: at, Agent: "agent-042", Summary: summary,
			Identifier: storetest.Phone(p.phone)}
		got, err := s.AppendInteraction(ctx, herken.Target{Identifier: storetest.Phone(p.phone)}, in, herken.WriteOptions{})
		if err != nil {
			t.Fatalf("AppendInteraction %s: %v", p.names[0], err)
		}
		if !feedback {
			return got
		}
		// Submitted, then answered: the unanswered version stays behind.
		for _, answer := range []bool{false, true} {
			got, err = s.UpdateInteraction(ctx, p.id, got.ID, func(in *herken.Interaction) error {
				in.Feedback = &herken.Feedback{Score: 2, Comment: p.comment, SubmitTime: in.OccurTime.Add(time.Minute)}
				if answer {
					in.Feedback.Answer, in.Feedback.AnsweredBy, in.Feedback.AnswerTime = p.answer, "lead-1", tick()
				}
				return nil
			}, herken.WriteOptions{})
			if err != nil {
				t.Fatalf("UpdateInteraction %s: %v", p.names[0], err)
			}
		}
		return got
	}
	promise := func(s *Store, p *scanPerson, made herken.Interaction) {
		t.Helper()
		pr := storetest.NewPromise(herken.PromiseCallback, tick().Add(48*time.Hour), "team-techniek")
		pr.Description, pr.InteractionID = p.promise, made.ID
		pr.StateNote = p.promise + " (notitie)"
		if _, err := s.CreatePromise(ctx, herken.Target{CustomerID: p.id}, pr, herken.WriteOptions{}); err != nil {
			t.Fatalf("CreatePromise %s: %v", p.names[0], err)
		}
	}
	closeStore := func(s *Store) {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// 1. Everyone, with history, feedback and promises; Zoë renamed (her
	// old name and note stay in older versions). Closing flushes it all
	// into tables and the value log.
	s := openScanStore(t, dir, plain)
	for _, p := range append([]*scanPerson{zoe, ulku, wil}, survivors...) {
		create(s, p)
		made := record(s, p, p.summaries[0], true)
		promise(s, p, made)
	}
	if _, err := s.UpdateCustomer(ctx, zoe.id, func(c *herken.Customer) error {
		c.DisplayName, c.UpdateTime, c.Revision = zoe.names[1], tick(), c.Revision+1
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	closeStore(s)

	// 2. Ülkü merged into Zoë (his records move to her, still sealed under
	// his key); Wilhelmina merged into Maarten and split out again (hers
	// move to him and back, under her key throughout).
	s = openScanStore(t, dir, plain)
	maarten := survivors[0]
	if _, err := s.MergeCustomers(ctx, zoe.id, ulku.id, func(sur, mer herken.Customer) (herken.Customer, herken.Interaction, error) {
		return herken.PlanMerge(sur, mer, 0, tick())
	}, herken.WriteOptions{Actor: "lead-1"}); err != nil {
		t.Fatalf("merge: %v", err)
	}
	if _, err := s.MergeCustomers(ctx, maarten.id, wil.id, func(sur, mer herken.Customer) (herken.Customer, herken.Interaction, error) {
		return herken.PlanMerge(sur, mer, herken.FieldHandoverNote, tick())
	}, herken.WriteOptions{Actor: "lead-1"}); err != nil {
		t.Fatalf("merge: %v", err)
	}
	record(s, wil, wil.summaries[1], false) // on her name while merged: reaches Maarten
	if _, _, err := s.UnmergeCustomer(ctx, wil.id, func(rec herken.MergeRecord, sur herken.Customer) (herken.Customer, herken.Customer, error) {
		return herken.PlanUnmerge(rec, sur, tick())
	}, herken.WriteOptions{}); err != nil {
		t.Fatalf("unmerge: %v", err)
	}
	record(s, zoe, zoe.summaries[1], false)
	closeStore(s)

	// 3. The latest writes stay in the memtable and its write-ahead log.
	s = openScanStore(t, dir, plain)
	if _, err := s.UpdateCustomer(ctx, zoe.id, func(c *herken.Customer) error {
		c.HandoverNote, c.UpdateTime, c.Revision = zoe.notes[1], tick(), c.Revision+1
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	record(s, zoe, zoe.summaries[2], false)
	for _, p := range survivors {
		record(s, p, long(p.names[0]+" belt nog eens"), false)
		before = append(before, readSurvivor(t, s, p))
	}
	var refs []shred.Ref
	if !plain {
		for _, p := range []*scanPerson{zoe, ulku, wil} {
			refs = append(refs, refOf(t, s, p.id))
		}
	}
	if ids, err := s.EraseCustomer(ctx, wil.id, tick(), herken.WriteOptions{}); err != nil || len(ids) != 1 {
		t.Fatalf("erase Wilhelmina: %v %v", ids, err)
	}
	if ids, err := s.EraseCustomer(ctx, zoe.id, tick(), herken.WriteOptions{}); err != nil || len(ids) != 2 || ids[1] != ulku.id {
		t.Fatalf("erase Zoë: %v %v, want her and Ülkü", ids, err)
	}
	for _, r := range refs {
		if err := s.keys.Valid(r); !errors.Is(err, shred.ErrDestroyed) {
			t.Fatalf("an erased customer's key after EraseCustomer returned: %v, want destroyed", err)
		}
	}
	crashCopy = copyDir(t, dir)
	closeStore(s)
	return []*scanPerson{zoe, ulku, wil}, survivors, before, crashCopy
}

func refOf(t *testing.T, s *Store, id string) shred.Ref {
	t.Helper()
	var r shred.Ref
	err := s.testView(func(txn *tx) error {
		var err error
		r, err = txn.ref(id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// copyDir copies every file of dir (flat: Badger's directory has no
// subdirectories) into a new directory.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == "LOCK" {
			continue
		}
		src, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// scanFor scans dir for every needle of people.
func scanFor(t *testing.T, dir string, people []*scanPerson) (*rawscan.Report, []string) {
	t.Helper()
	var needles []string
	seen := map[string]bool{}
	for _, p := range people {
		for _, n := range p.needles() {
			if n == "" || seen[n] {
				continue
			}
			if len(n) < rawscan.MinNeedle {
				t.Fatalf("needle %q is shorter than rawscan.MinNeedle", n)
			}
			seen[n] = true
			needles = append(needles, n)
		}
	}
	bs := make([][]byte, len(needles))
	for i, n := range needles {
		bs[i] = []byte(n)
	}
	rep, err := rawscan.Scan(dir, bs)
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	return rep, needles
}

// shortNeedle is the length under which a needle turns up in random bytes
// by chance often enough to matter: measured, a 4-letter needle about once
// in 2,500 scans of this scenario's sealed values (a few hundred KB of
// ciphertext); at 6 bytes it is some 10^4 times rarer.
const shortNeedle = 6

// leaks drops from rep the findings that are chance: a needle shorter
// than shortNeedle in a value (random ciphertext), when no longer needle
// containing it is found. Every short needle is a name prefix, and
// whatever would keep a name readable (a plain record, a readable index
// key) keeps its longer prefixes and the whole name too. Keys hold ids
// (Crockford base32: no i, l, o or u), hex and times, which the people's
// short prefixes cannot match: each has one of those letters, or a space.
func leaks(t *testing.T, rep *rawscan.Report, needles []string) *rawscan.Report {
	t.Helper()
	found := map[string]bool{}
	for _, f := range rep.Findings {
		found[needles[f.Needle]] = true
	}
	out := &rawscan.Report{Files: rep.Files}
	for _, f := range rep.Findings {
		n := needles[f.Needle]
		if len(n) < shortNeedle && !f.InKey && !slices.ContainsFunc(needles, func(m string) bool {
			return len(m) > len(n) && found[m] && strings.Contains(strings.ToLower(m), strings.ToLower(n))
		}) {
			t.Logf("ignored as chance: %s = %q", f, n)
			continue
		}
		out.Findings = append(out.Findings, f)
	}
	return out
}

// describe lists the findings with their needles, for a failure message.
func describe(rep *rawscan.Report, needles []string) string {
	var b strings.Builder
	for i, f := range rep.Findings {
		if i == 40 {
			b.WriteString("\n  ...")
			break
		}
		b.WriteString("\n  " + f.String() + " = " + needles[f.Needle])
	}
	return b.String()
}

// TestErasureLeavesNothingReadable is the proof: after the erasures, no
// file of the data directory — closed, or as a crash right after the
// erasure returned would leave it — holds any spelling of any erased
// customer's data, while the other customers read back as before.
func TestErasureLeavesNothingReadable(t *testing.T) {
	dir := t.TempDir()
	erased, survivors, before, crashCopy := runEraseScenario(t, dir, false)

	for _, d := range []struct{ name, dir string }{{"closed store", dir}, {"crash image", crashCopy}} {
		rep, needles := scanFor(t, d.dir, erased)
		if real := leaks(t, rep, needles); len(real.Findings) > 0 {
			t.Errorf("%s: the erased customers' data is readable:%s", d.name, describe(real, needles))
		}
		kinds := map[string]int{}
		for _, f := range rep.Files {
			kinds[f.Kind]++
		}
		// Not vacuous by construction either: every kind of file was read.
		for _, k := range []string{"table", "value log", "manifest", "other"} {
			if kinds[k] == 0 {
				t.Errorf("%s: no %s file was scanned (%v)", d.name, k, kinds)
			}
		}
		if d.name == "crash image" && kinds["write-ahead log"] == 0 {
			t.Errorf("crash image: no write-ahead log was scanned (%v)", kinds)
		}
	}

	// The survivors are whole, and the erased are erased.
	s := openScanStore(t, dir, false)
	defer s.Close()
	for i, p := range survivors {
		got := readSurvivor(t, s, p)
		want := before[i]
		if showCustomer(got.customer) != showCustomer(want.customer) || len(got.history) != len(want.history) ||
			len(got.promises) != len(want.promises) || got.lookupFocus != p.id || got.lookupRecent != want.lookupRecent {
			t.Fatalf("%s after reopening:\n got %+v\nwant %+v", p.names[0], got, want)
		}
		for j := range got.history {
			if got.history[j].Summary != want.history[j].Summary || got.history[j].ID != want.history[j].ID {
				t.Fatalf("%s's history differs at %d", p.names[0], j)
			}
		}
		for j := range got.promises {
			if got.promises[j].Description != want.promises[j].Description {
				t.Fatalf("%s's promises differ at %d", p.names[0], j)
			}
		}
	}
	for _, p := range erased {
		if _, err := s.GetCustomer(context.Background(), p.id); !errors.Is(err, herken.ErrCustomerErased) {
			t.Fatalf("GetCustomer of an erased customer: %v", err)
		}
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after the erasures:\n%s", reportText(t, rep))
	}
}

// TestErasureScanFindsPlainData is the positive control: the same
// scenario with sealing and hashed index keys switched off leaves the
// erased customers' data readable, in values and in index keys, and the
// scan finds it.
func TestErasureScanFindsPlainData(t *testing.T) {
	dir := t.TempDir()
	erased, _, _, crashCopy := runEraseScenario(t, dir, true)
	for _, d := range []string{dir, crashCopy} {
		rep, needles := scanFor(t, d, erased)
		found := map[string]bool{}
		inKey := map[string]bool{}
		for _, f := range rep.Findings {
			found[needles[f.Needle]] = true
			if f.InKey {
				inKey[needles[f.Needle]] = true
			}
		}
		for _, p := range erased {
			for _, n := range p.primary() {
				if !found[n] {
					t.Errorf("%s: the plain store's %q was not found", d, n)
				}
			}
			if !inKey[p.phone] {
				t.Errorf("%s: the plain store's phone %s was not found in an index key", d, p.phone)
			}
		}
	}
}

// showCustomer prints a customer for comparison.
func showCustomer(c herken.Customer) string {
	var b strings.Builder
	b.WriteString(c.ID + "|" + c.DisplayName + "|" + c.HandoverNote + "|" + strings.Join(c.Tags, ",") + "|" + c.UpdateTime.String())
	for _, l := range c.Identifiers {
		b.WriteString("|" + l.Identifier.Value + "@" + l.LinkTime.String())
	}
	return b.String()
}
