package herken_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/memstore"
)

func TestFoldName(t *testing.T) {
	for in, want := range map[string]string{
		"Yılmaz":           "yilmaz",
		"  De   Vries ":    "de vries",
		"Élodie Müller":    "elodie muller",
		"Søren Ærø":        "soren aero",
		"IJsbrand Strauß":  "ijsbrand strauss",
		"Zoë 't Hooft":     "zoe 't hooft",
		"":                 "",
		"Çelik\tŞahin":     "celik sahin",
		"Nguyễn Văn Anh":   "nguyen van anh",
		"ĳssel":            "ijssel",
		"Łukasz Wałęsa":    "lukasz walesa",
		"O\u0308zil (NFD)": "ozil (nfd)",
	} {
		if got := herken.FoldName(in); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNamePrefixes(t *testing.T) {
	got := herken.NamePrefixes("Yılmaz")
	want := []string{"y", "yi", "yil", "yilm", "yilma", "yilmaz"}
	if !slices.Equal(got, want) {
		t.Fatalf("NamePrefixes = %q, want %q", got, want)
	}
	got = herken.NamePrefixes("Mehmet  Yılmaz")
	want = []string{"m", "me", "meh", "mehm", "mehme", "mehmet", "y", "yi", "yil", "yilm", "yilma", "yilmaz"}
	if !slices.Equal(got, want) {
		t.Fatalf("NamePrefixes(Mehmet Yılmaz) = %q: want the prefixes of each word, within the word", got)
	}
	// Words that repeat a prefix index it once.
	if got := herken.NamePrefixes("Van den Vandenberg"); len(got) != 3+3+10-3 {
		t.Fatalf("NamePrefixes(Van den Vandenberg) = %q", got)
	}
	// A query of several words is looked up by its longest.
	for q, want := range map[string]string{"jan de vr": "jan", "de vries": "vries", "van den h": "van", "": ""} {
		if got := herken.IndexedPrefix(q); got != want {
			t.Errorf("IndexedPrefix(%q) = %q, want %q", q, got, want)
		}
	}
	if !herken.NameHasPrefix("jan de vries", "de vr") || !herken.NameHasPrefix("jan de vries", "jan") || herken.NameHasPrefix("jan de vries", "an de") {
		t.Fatal("NameHasPrefix: a word's start, not any position")
	}
	long := herken.NamePrefixes(strings.Repeat("ä", 40))
	if len(long) != herken.MaxIndexedPrefixRunes || long[len(long)-1] != strings.Repeat("a", 32) {
		t.Fatalf("40-rune name: %d prefixes, last %q", len(long), long[len(long)-1])
	}
	if got := herken.IndexedPrefix(strings.Repeat("é", 40)); got != strings.Repeat("é", 32) {
		t.Fatalf("IndexedPrefix cut at %d bytes", len(got))
	}
	if herken.NamePrefixes("   ") != nil {
		t.Fatal("a blank name has no prefixes")
	}
}

func TestPlanMerge(t *testing.T) {
	e := newEnv(t)
	s := herken.Customer{ID: "s", DisplayName: "Jan de Vries", Tags: []string{"vip"}, Revision: 3,
		Identifiers: []herken.LinkedIdentifier{{Identifier: e.phone("06-12345678").Identifier, Source: "crm"}}}
	m := herken.Customer{ID: "m", DisplayName: "J. de Vries", PreferredLanguage: "nl", HandoverNote: "belt namens moeder", Tags: []string{"klacht-open", "vip"},
		LastContactTime: t0, LastContactChannel: herken.ChannelChat,
		Identifiers: []herken.LinkedIdentifier{
			{Identifier: e.phone("06-12345678").Identifier, Source: "phone"},
			{Identifier: e.email("jan@example.nl").Identifier, Source: "chat", Verified: true, Label: "privé"},
		}}
	got, event, err := herken.PlanMerge(s, m, 0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "Jan de Vries" || got.PreferredLanguage != "nl" || got.HandoverNote != "belt namens moeder" {
		t.Errorf("fields: survivor's where both have one, merged's where only it has one: got %+v", got)
	}
	if !slices.Equal(got.Tags, []string{"vip", "klacht-open"}) {
		t.Errorf("tags %q, want joined, survivor's first", got.Tags)
	}
	if len(got.Identifiers) != 2 || got.Identifiers[0].MergedFrom != "" || got.Identifiers[0].Source != "crm" ||
		got.Identifiers[1].MergedFrom != "m" || !got.Identifiers[1].Verified || got.Identifiers[1].Label != "privé" {
		t.Errorf("identifiers %+v: want the survivor's own, then the merged one's marked MergedFrom with provenance", got.Identifiers)
	}
	if got.Revision != 4 || !got.UpdateTime.Equal(t0.Add(time.Hour)) || !got.LastContactTime.Equal(t0) || got.LastContactChannel != herken.ChannelChat {
		t.Errorf("revision %d, update %v, last contact %v %v", got.Revision, got.UpdateTime, got.LastContactTime, got.LastContactChannel)
	}
	if event.Channel != herken.ChannelSystem || event.ID == "" || event.CustomerID != "s" || !strings.Contains(event.Summary, "m") {
		t.Errorf("event %+v", event)
	}
	got, _, _ = herken.PlanMerge(s, m, herken.FieldDisplayName|herken.FieldTags, t0)
	if got.DisplayName != "J. de Vries" || !slices.Equal(got.Tags, m.Tags) {
		t.Errorf("take display_name and tags: got %q %q", got.DisplayName, got.Tags)
	}
	s.HandoverNote = "eigen notitie"
	empty := m
	empty.HandoverNote = ""
	if got, _, _ = herken.PlanMerge(s, empty, herken.FieldHandoverNote, t0); got.HandoverNote != "eigen notitie" {
		t.Errorf("taking an empty note blanked the survivor's: %q", got.HandoverNote)
	}
	s.HandoverNote = ""
	for i := 0; len(m.Identifiers) <= herken.MaxIdentifiers; i++ {
		m.Identifiers = append(m.Identifiers, herken.LinkedIdentifier{Identifier: identity.Identifier{Kind: identity.KindExternalID, Value: "K-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)}})
	}
	if _, _, err := herken.PlanMerge(s, m, 0, t0); !errors.Is(err, herken.ErrIdentifierLimit) {
		t.Errorf("33 identifiers together: %v, want ErrIdentifierLimit", err)
	}
}

func TestPlanUnmerge(t *testing.T) {
	e := newEnv(t)
	phone, mail := e.phone("06-12345678").Identifier, e.email("jan@example.nl").Identifier
	before := herken.Customer{ID: "s", DisplayName: "Jan", Revision: 3, Identifiers: []herken.LinkedIdentifier{{Identifier: phone}}}
	merged := herken.Customer{ID: "m", DisplayName: "J.", HandoverNote: "note", Revision: 7,
		Identifiers: []herken.LinkedIdentifier{{Identifier: phone, Source: "old"}, {Identifier: mail, Source: "chat"}}}
	after, _, err := herken.PlanMerge(before, merged, herken.FieldDisplayName, t0)
	if err != nil {
		t.Fatal(err)
	}
	rec := herken.MergeRecord{Merged: merged, SurvivorID: "s", SurvivorBefore: before, SurvivorRevision: after.Revision}
	// Untouched since the merge: both come back exactly.
	s, m, err := herken.PlanUnmerge(rec, after, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if s.DisplayName != "Jan" || s.HandoverNote != "" || len(s.Identifiers) != 1 || s.Revision != after.Revision+1 {
		t.Errorf("survivor %+v: want its fields from before the merge and a new revision", s)
	}
	if m.DisplayName != "J." || m.Revision != 7 || len(m.Identifiers) != 2 || m.Identifiers[0].Source != "old" || m.Identifiers[1].MergedFrom != "" {
		t.Errorf("merged %+v: want it as it was", m)
	}
	// Changed after the merge: the survivor keeps its fields; a label set
	// on the merged identifier goes back with it; a removed one stays removed.
	changed := after
	changed.Revision++
	changed.HandoverNote = "nieuw"
	changed.Identifiers = slices.Clone(after.Identifiers)
	changed.Identifiers[1].Label = "werk"
	s, m, _ = herken.PlanUnmerge(rec, changed, t0)
	if s.HandoverNote != "nieuw" || s.DisplayName != "Jan" {
		t.Errorf("survivor after unmerge: %+v; want the note edited after the merge kept and the name the merge took put back", s)
	}
	if !m.UpdateTime.Equal(t0) {
		t.Errorf("merged customer's update time %v, want the unmerge's (a sync by update time must see it return)", m.UpdateTime)
	}
	if len(m.Identifiers) != 2 || m.Identifiers[1].Label != "werk" {
		t.Errorf("merged identifiers %+v", m.Identifiers)
	}
	changed.Identifiers = changed.Identifiers[:1]
	if _, m, _ = herken.PlanUnmerge(rec, changed, t0); len(m.Identifiers) != 1 || m.Identifiers[0].Identifier != phone {
		t.Errorf("identifier removed after the merge came back: %+v", m.Identifiers)
	}
	// An exclusive identifier removed and linked anew to the survivor is the
	// survivor's: it is not given back (it would be held twice).
	ext := e.external("K-100234").Identifier
	rec.Merged.Identifiers = append(rec.Merged.Identifiers, herken.LinkedIdentifier{Identifier: ext})
	relinked := after
	relinked.Identifiers = append(slices.Clone(after.Identifiers), herken.LinkedIdentifier{Identifier: ext})
	s, m, _ = herken.PlanUnmerge(rec, relinked, t0)
	if m.HasIdentifier(ext) || !s.HasIdentifier(ext) {
		t.Errorf("relinked exclusive identifier: survivor has it %v, merged has it %v", s.HasIdentifier(ext), m.HasIdentifier(ext))
	}
}

func TestUpdateCustomer(t *testing.T) {
	e := newEnv(t)
	c := e.customer("Jan de Vries", e.phone("06-12345678"))
	e.advance(time.Minute)
	got, err := e.svc.UpdateCustomer(bg, herken.CustomerUpdate{ID: c.ID, Fields: herken.FieldTags | herken.FieldPreferredLanguage,
		DisplayName: "ignored", Tags: []string{"VIP", "vip"}, PreferredLanguage: "NL_be", Etag: c.Etag()}, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "Jan de Vries" || !slices.Equal(got.Tags, []string{"vip"}) || got.PreferredLanguage != "nl-BE" ||
		got.Revision != c.Revision+1 || !got.UpdateTime.Equal(e.now) {
		t.Fatalf("updated %+v", got)
	}
	// The old etag is stale now.
	_, err = e.svc.UpdateCustomer(bg, herken.CustomerUpdate{ID: c.ID, Fields: herken.FieldHandoverNote, HandoverNote: "x", Etag: c.Etag()}, herken.Write{})
	wantError(t, err, herken.ReasonEtagMismatch, "customer.etag")
	// Nothing changes: the revision (and etag) stay.
	same, err := e.svc.UpdateCustomer(bg, herken.CustomerUpdate{ID: c.ID, Fields: herken.FieldTags, Tags: []string{"vip"}, Etag: got.Etag()}, herken.Write{})
	if err != nil || same.Revision != got.Revision {
		t.Fatalf("no-op update: %v, revision %d -> %d", err, got.Revision, same.Revision)
	}
	// Bad values of the named fields are all reported; others are not read.
	_, err = e.svc.UpdateCustomer(bg, herken.CustomerUpdate{ID: c.ID, Fields: herken.FieldDisplayName | herken.FieldPreferredLanguage,
		DisplayName: strings.Repeat("x", 201), PreferredLanguage: "not a language", HandoverNote: "\x00"}, herken.Write{})
	if err == nil || !strings.Contains(err.Error(), "customer.display_name") || !strings.Contains(err.Error(), "customer.preferred_language") {
		t.Fatalf("err = %v, want both fields", err)
	}
	// A customer without identifiers keeps a name.
	bare := e.customer("Alleen Naam")
	_, err = e.svc.UpdateCustomer(bg, herken.CustomerUpdate{ID: bare.ID, Fields: herken.FieldDisplayName}, herken.Write{})
	wantError(t, err, herken.ReasonFieldRequired, "customer.display_name")
	_, err = e.svc.UpdateCustomer(bg, herken.CustomerUpdate{ID: herken.NewID(), Fields: herken.FieldTags}, herken.Write{})
	wantError(t, err, herken.ReasonCustomerNotFound, "")
}

func TestAddRemoveIdentifier(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan", e.phone("06-12345678"))
	e.advance(time.Minute)
	got, err := e.svc.AddIdentifier(bg, jan.ID, herken.IdentifierLink{Identifier: e.phone("06-87654321"), Source: "CRM", Verified: true, Label: "werk"}, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	l := got.Identifiers[1]
	if l.Source != "crm" || !l.Verified || l.Label != "werk" || !l.LinkTime.Equal(e.now) || got.Revision != jan.Revision+1 {
		t.Fatalf("linked %+v (revision %d)", l, got.Revision)
	}
	res, err := e.svc.Lookup(bg, e.phone("06-87654321"), 0)
	if err != nil || res.Outcome != herken.MatchFound || res.Customer.Customer.ID != jan.ID {
		t.Fatalf("Lookup by the new number: %v %+v", err, res)
	}
	// Again: provenance changes, link time stays.
	e.advance(time.Minute)
	got, err = e.svc.AddIdentifier(bg, jan.ID, herken.IdentifierLink{Identifier: e.phone("06-87654321"), Source: "phone", Label: "mobiel"}, herken.Write{})
	if err != nil || len(got.Identifiers) != 2 || got.Identifiers[1].Label != "mobiel" || got.Identifiers[1].Verified || !got.Identifiers[1].LinkTime.Equal(l.LinkTime) {
		t.Fatalf("re-add: %v %+v", err, got.Identifiers)
	}
	// Exclusive identifiers stay with their holder.
	piet := e.customer("Piet", e.external("K-1"))
	_, err = e.svc.AddIdentifier(bg, jan.ID, herken.IdentifierLink{Identifier: e.external("K-1")}, herken.Write{})
	de := wantError(t, err, herken.ReasonIdentifierLinked, "identifier")
	var ie *herken.IdentifierError
	if !errors.As(de, &ie) || ie.Holder != piet.ID {
		t.Fatalf("holder not named: %v", err)
	}
	_, err = e.svc.AddIdentifier(bg, jan.ID, herken.IdentifierLink{Identifier: e.email("noreply@bol.com")}, herken.Write{})
	wantError(t, err, herken.ReasonIdentifierBlocked, "identifier")
	_, err = e.svc.AddIdentifier(bg, jan.ID, herken.IdentifierLink{Identifier: e.email("jan@example.nl"), Source: "Web Form"}, herken.Write{})
	wantError(t, err, herken.ReasonFieldInvalid, "source")
	_, err = e.svc.AddIdentifier(bg, jan.ID, herken.IdentifierLink{Identifier: e.email("jan@example.nl"), Label: strings.Repeat("l", 33)}, herken.Write{})
	wantError(t, err, herken.ReasonFieldTooLong, "label")
	// The cap.
	for i := len(got.Identifiers); i < herken.MaxIdentifiers; i++ {
		if _, err := e.svc.AddIdentifier(bg, jan.ID, herken.IdentifierLink{Identifier: e.external("J-" + strings.Repeat("9", i))}, herken.Write{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.svc.AddIdentifier(bg, jan.ID, herken.IdentifierLink{Identifier: e.external("one-too-many")}, herken.Write{})
	if de := wantError(t, err, herken.ReasonIdentifierLimit, ""); de.Code != herken.CodeFailedPrecondition {
		t.Fatalf("code %v", de.Code)
	}
	// Remove.
	got, err = e.svc.RemoveIdentifier(bg, jan.ID, e.phone("06-12345678"), herken.Write{})
	if err != nil || got.HasIdentifier(e.phone("06-12345678").Identifier) {
		t.Fatalf("remove: %v", err)
	}
	if res, _ := e.svc.Lookup(bg, e.phone("06-12345678"), 0); res.Outcome != herken.MatchNotFound {
		t.Fatalf("removed number still found: %v", res.Outcome)
	}
	_, err = e.svc.RemoveIdentifier(bg, jan.ID, e.phone("06-12345678"), herken.Write{})
	wantError(t, err, herken.ReasonIdentifierNotLinked, "identifier")
}

func TestBlockedIdentifiers(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.CreateCustomer(bg, herken.NewCustomer{DisplayName: "X", Identifiers: []identity.Normalized{e.phone("06-12345678"), e.email("test@test.com")}}, herken.Write{})
	wantError(t, err, herken.ReasonIdentifierBlocked, "identifiers[1]")
	_, err = e.svc.RecordInteraction(bg, herken.InteractionTarget{Identifier: ptr(e.external("unknown"))}, herken.Interaction{
		Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved}, herken.Write{})
	wantError(t, err, herken.ReasonIdentifierBlocked, "identifier")
	_, err = e.svc.CreatePromise(bg, herken.InteractionTarget{Identifier: ptr(e.external("unknown"))}, herken.NewPromise{Kind: herken.PromiseCallback}, herken.Write{})
	wantError(t, err, herken.ReasonIdentifierBlocked, "identifier")

	// A placeholder linked before the blocklist knew it never matches.
	lax := herken.NewService(e.store, e.norm, herken.ServiceConfig{Now: func() time.Time { return e.now }, Blocklist: &identity.Blocklist{}})
	if _, err := lax.CreateCustomer(bg, herken.NewCustomer{DisplayName: "Oud", Identifiers: []identity.Normalized{e.email("geen@email.nl")}}, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	if res, _ := lax.Lookup(bg, e.email("geen@email.nl"), 0); res.Outcome != herken.MatchFound {
		t.Fatal("without a blocklist the link matches")
	}
	if res, err := e.svc.Lookup(bg, e.email("geen@email.nl"), 0); err != nil || res.Outcome != herken.MatchNotFound {
		t.Fatalf("blocked identifier matched: %v %v", err, res.Outcome)
	}
	r, err := e.svc.Resolve(bg, []identity.Normalized{e.email("geen@email.nl")}, 0)
	if err != nil || r.Outcome != herken.ResolveNotFound {
		t.Fatalf("Resolve matched a blocked identifier: %v %v", err, r.Outcome)
	}
}

func ptr[T any](v T) *T { return &v }

func TestMergeFollowAndExport(t *testing.T) {
	e := newEnv(t)
	a := e.customer("Anna Bakker", e.email("anna@example.nl"))
	b := e.customer("A. Bakker", e.phone("06-12345678"))
	e.contact(b.ID, time.Hour, herken.ChannelPhone, herken.OutcomeFollowUp, "vraag over factuur")
	p := e.promise(b.ID, herken.PromiseCallback, e.now.Add(time.Hour), "agent-042")
	_, err := e.svc.MergeCustomers(bg, a.ID, a.ID, 0, herken.Write{})
	wantError(t, err, herken.ReasonMergeIntoSelf, "")
	before, err := e.svc.ExportCustomer(bg, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	s, err := e.svc.MergeCustomers(bg, a.ID, b.ID, 0, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	if s.DisplayName != "Anna Bakker" || len(s.Identifiers) != 2 || s.Identifiers[1].MergedFrom != b.ID {
		t.Fatalf("survivor %+v", s)
	}
	// The merged name keeps working for reads and writes.
	got, err := e.svc.GetCustomer(bg, b.ID)
	if err != nil || got.ID != a.ID {
		t.Fatalf("GetCustomer(merged) = %v, %v", got.ID, err)
	}
	in := e.contact(b.ID, 0, herken.ChannelChat, herken.OutcomeResolved, "na de samenvoeging")
	if in.CustomerID != a.ID {
		t.Fatalf("write to the merged name landed on %q", in.CustomerID)
	}
	if _, err := e.svc.KeepPromise(bg, b.ID, p.ID, "agent-042", "gebeld", herken.Write{}); err != nil {
		t.Fatalf("promise under the merged name: %v", err)
	}
	ex, err := e.svc.ExportCustomer(bg, b.ID)
	if err != nil || ex.Customer.ID != a.ID || len(ex.Merges) != 1 || ex.Merges[0].Merged.ID != b.ID || len(ex.Promises) != 1 {
		t.Fatalf("export of the survivor: %v %+v", err, ex.Merges)
	}
	if n := len(ex.Interactions); n != 3 { // the contact, the merge event, the contact after
		t.Fatalf("survivor history has %d interactions: %s", n, summaries(ex.Interactions))
	}
	// Unmerge: b is back as it was, except its promise, kept while merged.
	e.advance(time.Minute)
	_, m, err := e.svc.UnmergeCustomer(bg, b.ID, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	after, err := e.svc.ExportCustomer(bg, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Customer.Revision != before.Customer.Revision || len(after.Customer.Identifiers) != 1 || len(after.Interactions) != len(before.Interactions) ||
		len(after.Promises) != 1 || after.Promises[0].State != herken.PromiseKept {
		t.Fatalf("after unmerge: %+v", after)
	}
	_, _, err = e.svc.UnmergeCustomer(bg, b.ID, herken.Write{})
	wantError(t, err, herken.ReasonCustomerNotMerged, "")

	// Erase through the merged name erases the survivor and the merged one.
	if _, err := e.svc.MergeCustomers(bg, a.ID, b.ID, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	er, err := e.svc.EraseCustomer(bg, b.ID, herken.Write{})
	if err != nil || len(er.IDs) != 2 || er.IDs[0] != a.ID || er.IDs[1] != b.ID || !er.Time.Equal(e.now) {
		t.Fatalf("erase: %v %+v", err, er)
	}
	for _, id := range []string{a.ID, b.ID} {
		_, err := e.svc.GetCustomer(bg, id)
		wantError(t, err, herken.ReasonCustomerErased, "")
	}
	if res, _ := e.svc.Lookup(bg, e.phone("06-12345678"), 0); res.Outcome != herken.MatchNotFound {
		t.Fatal("erased customer still found")
	}
}

// staleResolve answers the first Resolve of one id with the id itself, as if
// a merge landed right after it: the Service must notice and follow.
type staleResolve struct {
	*memstore.Store
	id    string
	stale bool
}

func (s *staleResolve) Resolve(ctx context.Context, id string) (string, error) {
	if id == s.id && !s.stale {
		s.stale = true
		return id, nil
	}
	return s.Store.Resolve(ctx, id)
}

func TestFollowMergeLandingBetweenResolveAndWrite(t *testing.T) {
	e := newEnv(t)
	a := e.customer("Anna", e.email("anna@example.nl"))
	b := e.customer("Bakker", e.phone("06-12345678"))
	if _, err := e.svc.MergeCustomers(bg, a.ID, b.ID, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	st := &staleResolve{Store: e.store.Store, id: b.ID}
	svc := herken.NewService(st, e.norm, herken.ServiceConfig{Now: func() time.Time { return e.now }})
	in, err := svc.RecordInteraction(bg, herken.InteractionTarget{CustomerID: b.ID}, herken.Interaction{
		Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved}, herken.Write{})
	if err != nil || in.CustomerID != a.ID || !st.stale {
		t.Fatalf("write after a stale resolve: %v, landed on %q", err, in.CustomerID)
	}
}

func TestListCustomersRequest(t *testing.T) {
	e := newEnv(t)
	y := e.customer("Ayşe Yılmaz")
	e.customer("Jan de Vries")
	got, _, err := e.svc.ListCustomers(bg, herken.ListCustomersRequest{NamePrefix: "  AYSE  yil"})
	if err != nil || len(got) != 1 || got[0].ID != y.ID {
		t.Fatalf("prefix search: %v %v", err, customerIDs(got))
	}
	_, _, err = e.svc.ListCustomers(bg, herken.ListCustomersRequest{PageSize: -1, Tag: "not a tag", NamePrefix: strings.Repeat("x", 201)})
	for _, f := range []string{"page_size", "tag", "display_name_prefix"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("err = %v, want %s reported", err, f)
		}
	}
}

// TestFoldNameConcurrent: FoldName is called from every request goroutine.
func TestFoldNameConcurrent(t *testing.T) {
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for range 2000 {
				ok = ok && herken.FoldName("Ayşe  Yılmaz-Çelik") == "ayse yilmaz-celik"
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("FoldName gave a wrong answer under concurrency")
		}
	}
}

func TestRemoveLastIdentifierOfNamelessCustomer(t *testing.T) {
	e := newEnv(t)
	c, err := e.svc.CreateCustomer(bg, herken.NewCustomer{Identifiers: []identity.Normalized{e.phone("06-12345678")}}, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.RemoveIdentifier(bg, c.ID, e.phone("06-12345678"), herken.Write{})
	wantError(t, err, herken.ReasonFieldRequired, "identifier")
	if res, _ := e.svc.Lookup(bg, e.phone("06-12345678"), 0); res.Outcome != herken.MatchFound {
		t.Fatal("the refused remove unlinked the number")
	}
}

func TestListCustomersPrefixWithoutLetters(t *testing.T) {
	e := newEnv(t)
	e.customer("Jan")
	_, _, err := e.svc.ListCustomers(bg, herken.ListCustomersRequest{NamePrefix: "\u0301 "})
	wantError(t, err, herken.ReasonFieldInvalid, "display_name_prefix")
}

// TestExportMergeChain: the export of a survivor holds the records of
// every customer merged into it, also through a customer merged in later.
func TestExportMergeChain(t *testing.T) {
	e := newEnv(t)
	a := e.customer("A", e.external("K-1"))
	b := e.customer("B", e.external("K-2"))
	c := e.customer("C", e.external("K-3"))
	if _, err := e.svc.MergeCustomers(bg, b.ID, c.ID, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	if _, err := e.svc.MergeCustomers(bg, a.ID, b.ID, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	ex, err := e.svc.ExportCustomer(bg, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var merged []string
	for _, r := range ex.Merges {
		merged = append(merged, r.Merged.DisplayName)
	}
	if !slices.Equal(merged, []string{"C", "B"}) {
		t.Fatalf("export merges %q, want C (into B) then B (into A)", merged)
	}
}

// FuzzFoldName: the ASCII fast path folds as the full path does.
func FuzzFoldName(f *testing.F) {
	for _, s := range []string{"Jan de Vries", "  De  Vries\t", "Yılmaz", "O\u0308zil", "a\x00b", "ĳssel", "Mc\x7fDonald", "\u00a0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := herken.FoldName(s), herken.FoldNameSlow(s); got != want {
			t.Fatalf("FoldName(%q) = %q, the full path says %q", s, got, want)
		}
	})
}
