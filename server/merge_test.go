package server_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// Tests of MergeCustomers, UnmergeCustomers, EraseCustomer and
// ExportCustomer over a real server, on every store.

// family is two customers about to be merged: Kees (merged) into Karin
// (survivor). They share the family email; each has a history, a promise,
// and Kees feedback on a call.
type family struct {
	kees, karin           *herkenv1.Customer
	keesCalls, karinCalls []*herkenv1.Interaction
}

var (
	keesIDs  = []*herkenv1.Identifier{phone("06-11112222"), email("kees@example.nl"), extID("K-200001"), email("familie@bakker.nl")}
	karinIDs = []*herkenv1.Identifier{phone("06-33335555"), email("familie@bakker.nl"), extID("K-200002")}
)

func seedFamily(t *testing.T, s *testServer) family {
	t.Helper()
	var f family
	f.kees = createCustomer(t, s, &herkenv1.Customer{DisplayName: "Kees Bakker", PreferredLanguage: "nl", Tags: []string{"klacht-open"}, HandoverNote: "belt namens zijn moeder"}, keesIDs...)
	f.karin = createCustomer(t, s, &herkenv1.Customer{DisplayName: "Karin Bakker", Tags: []string{"vip"}}, karinIDs...)
	for i, summary := range []string{"storing gemeld", "storing opgelost"} {
		f.keesCalls = append(f.keesCalls, record(t, s, byParent(f.kees.GetName(), call(fixedNow.Add(time.Duration(i-10)*time.Hour), herkenv1.Channel_CHANNEL_PHONE, summary))))
	}
	f.karinCalls = append(f.karinCalls, record(t, s, byParent(f.karin.GetName(), call(fixedNow.Add(-5*time.Hour), herkenv1.Channel_CHANNEL_EMAIL, "factuurvraag"))))
	if _, err := s.Interactions.SubmitFeedback(ctxT(t), &herkenv1.SubmitFeedbackRequest{Name: f.keesCalls[1].GetName(), Score: 2, Comment: "duurde lang"}); err != nil {
		t.Fatalf("SubmitFeedback: %v", err)
	}
	createPromise(t, s, f.kees.GetName(), callback(fixedNow.Add(2*time.Hour), "team-techniek", "monteur inplannen"))
	createPromise(t, s, f.karin.GetName(), &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_REFUND, DueTime: stamp(fixedNow.Add(48 * time.Hour))})
	return f
}

func export(t *testing.T, s *testServer, name string) *herkenv1.ExportCustomerResponse {
	t.Helper()
	resp, err := s.Customers.ExportCustomer(ctxT(t), &herkenv1.ExportCustomerRequest{Name: name})
	if err != nil {
		t.Fatalf("ExportCustomer %s: %v", name, err)
	}
	return resp
}

// comparable is ex without what an unmerge may rightly change: the export's
// own time and, for a survivor, its etag and update time.
func comparable(ex *herkenv1.ExportCustomerResponse, survivor bool) *herkenv1.ExportCustomerResponse {
	ex = proto.Clone(ex).(*herkenv1.ExportCustomerResponse)
	ex.ExportTime = nil
	// An unmerge is a change to both: update_time moves (a CRM sync by
	// update time sees the merged customer return); the survivor's etag too.
	ex.Customer.UpdateTime = nil
	if survivor {
		ex.Customer.Etag = ""
	}
	return ex
}

func merge(t *testing.T, s *testServer, survivor, merged string, take ...string) *herkenv1.Customer {
	t.Helper()
	req := &herkenv1.MergeCustomersRequest{Survivor: survivor, Merged: merged}
	if take != nil {
		req.TakeFromMerged = mask(take...)
	}
	resp, err := s.Customers.MergeCustomers(ctxT(t), req)
	if err != nil {
		t.Fatalf("MergeCustomers: %v", err)
	}
	return resp.GetSurvivor()
}

func unmerge(t *testing.T, s *testServer, merged string) *herkenv1.UnmergeCustomersResponse {
	t.Helper()
	resp, err := s.Customers.UnmergeCustomers(ctxT(t), &herkenv1.UnmergeCustomersRequest{Merged: merged})
	if err != nil {
		t.Fatalf("UnmergeCustomers: %v", err)
	}
	return resp
}

// TestMergeAndUnmerge is the scenario: merge two customers, still
// find both old names and every identifier, then unmerge and get both back
// exactly as before (the exports compare equal).
func TestMergeAndUnmerge(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		f := seedFamily(t, s)
		kees, karin := f.kees.GetName(), f.karin.GetName()
		keesBefore, karinBefore := export(t, s, kees), export(t, s, karin)

		survivor := merge(t, s, karin, kees, "display_name")
		if survivor.GetName() != karin || survivor.GetDisplayName() != "Kees Bakker" || survivor.GetPreferredLanguage() != "nl" ||
			survivor.GetHandoverNote() != "belt namens zijn moeder" || !slices.Equal(survivor.GetTags(), []string{"vip", "klacht-open"}) {
			t.Errorf("survivor's fields: %v", survivor)
		}
		// Karin's identifiers, then those Kees brought (marked); the shared
		// email once, as Karin's.
		var ids, from []string
		for _, l := range survivor.GetIdentifiers() {
			ids = append(ids, l.GetIdentifier().GetValue())
			from = append(from, l.GetMergedFrom())
		}
		wantIDs := []string{"+31633335555", "familie@bakker.nl", "K-200002", "+31611112222", "kees@example.nl", "K-200001"}
		if !slices.Equal(ids, wantIDs) || !slices.Equal(from, []string{"", "", "", kees, kees, kees}) {
			t.Errorf("survivor's identifiers %q merged_from %q, want %q from Kees for the last three", ids, from, wantIDs)
		}

		// The merged name keeps working: GetCustomer answers with the
		// survivor and says so; every identifier finds the survivor.
		got := getCustomer(t, s, kees)
		checkProto(t, "GetCustomer of the merged name", survivor, got.GetCustomer())
		if got.GetMergedName() != kees {
			t.Errorf("merged_name = %q, want %q", got.GetMergedName(), kees)
		}
		if own := getCustomer(t, s, karin); own.GetMergedName() != "" {
			t.Errorf("GetCustomer of the survivor has merged_name %q", own.GetMergedName())
		}
		for _, id := range append(slices.Clone(keesIDs), karinIDs...) {
			lookupFinds(t, s, id, karin)
		}
		// Kees's history and promise are Karin's now, with the merge event.
		ex := export(t, s, kees)
		if ex.GetCustomer().GetName() != karin || len(ex.GetInteractions()) != 4 || len(ex.GetPromises()) != 2 {
			t.Errorf("export after the merge: %s, %d interactions, %d promises", ex.GetCustomer().GetName(), len(ex.GetInteractions()), len(ex.GetPromises()))
		}
		for _, in := range ex.GetInteractions() {
			if !strings.HasPrefix(in.GetName(), karin+"/") {
				t.Errorf("interaction %s is not the survivor's", in.GetName())
			}
		}
		if len(ex.GetMerges()) != 1 {
			t.Fatalf("export's merges: %v", ex.GetMerges())
		}
		m := ex.GetMerges()[0]
		checkProto(t, "the merge", &herkenv1.Merge{Merged: kees, MergeTime: stamp(fixedNow), MergedCustomer: keesBefore.GetCustomer(), SurvivorBefore: karinBefore.GetCustomer()}, m)

		// Merging it again, or into it, is refused naming the survivor;
		// into itself too. Nothing is written.
		s.unchanged(t, func() {
			for _, req := range []*herkenv1.MergeCustomersRequest{{Survivor: karin, Merged: kees}, {Survivor: kees, Merged: karin}} {
				_, err := s.Customers.MergeCustomers(ctxT(t), req)
				info := checkErr(t, err, wantErr{codes.FailedPrecondition, "CUSTOMER_MERGED", ""})
				if info.GetMetadata()["survivor"] != karin {
					t.Errorf("%v: metadata survivor = %q, want %q", req, info.GetMetadata()["survivor"], karin)
				}
			}
			_, err := s.Customers.MergeCustomers(ctxT(t), &herkenv1.MergeCustomersRequest{Survivor: karin, Merged: karin})
			checkErr(t, err, wantErr{codes.InvalidArgument, "MERGE_INTO_SELF", "merged"})
		})

		// Unmerge: both come back exactly as they were.
		back := unmerge(t, s, kees)
		checkProto(t, "unmerged customer", comparable(keesBefore, false).GetCustomer(), comparable(&herkenv1.ExportCustomerResponse{Customer: back.GetMerged()}, false).GetCustomer())
		if back.GetSurvivor().GetName() != karin {
			t.Errorf("unmerge survivor %q", back.GetSurvivor().GetName())
		}
		checkProto(t, "Kees's export after the unmerge", comparable(keesBefore, false), comparable(export(t, s, kees), false))
		checkProto(t, "Karin's export after the unmerge", comparable(karinBefore, true), comparable(export(t, s, karin), true))
		if got := getCustomer(t, s, kees); got.GetMergedName() != "" {
			t.Errorf("merged_name after the unmerge: %q", got.GetMergedName())
		}
		for _, id := range keesIDs[:3] {
			lookupFinds(t, s, id, kees)
		}
		if got := lookup(t, s, email("familie@bakker.nl")); got.GetOutcome() != ambiguous {
			t.Errorf("the family email after the unmerge: %s, want AMBIGUOUS", got.GetOutcome())
		}

		s.unchanged(t, func() {
			_, err := s.Customers.UnmergeCustomers(ctxT(t), &herkenv1.UnmergeCustomersRequest{Merged: kees})
			checkErr(t, err, wantErr{codes.FailedPrecondition, "CUSTOMER_NOT_MERGED", ""})
			_, err = s.Customers.UnmergeCustomers(ctxT(t), &herkenv1.UnmergeCustomersRequest{Merged: "customers/Kees"})
			checkErr(t, err, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "merged"})
		})
	})
}

// TestMergedNameWrites: writes addressed to a merged name reach the
// survivor, and stay with it on unmerge (they were the survivor's then).
func TestMergedNameWrites(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		f := seedFamily(t, s)
		kees, karin := f.kees.GetName(), f.karin.GetName()
		merge(t, s, karin, kees)

		in := record(t, s, byParent(kees, call(fixedNow.Add(-time.Minute), herkenv1.Channel_CHANNEL_CHAT, "vraag na samenvoegen")))
		if !strings.HasPrefix(in.GetName(), karin+"/interactions/") {
			t.Errorf("interaction recorded through the merged name: %s, want under %s", in.GetName(), karin)
		}
		p := createPromise(t, s, kees, callback(fixedNow.Add(time.Hour), "", "terugbellen"))
		if !strings.HasPrefix(p.GetName(), karin+"/promises/") {
			t.Errorf("promise created through the merged name: %s", p.GetName())
		}
		updated := updateCustomer(t, s, &herkenv1.Customer{Name: kees, HandoverNote: "na de samenvoeging"}, "handover_note")
		if updated.GetName() != karin {
			t.Errorf("UpdateCustomer through the merged name updated %s", updated.GetName())
		}
		added, err := s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{Customer: kees, Identifier: phone("06-44445555")})
		if err != nil || added.GetCustomer().GetName() != karin {
			t.Fatalf("AddIdentifier through the merged name: %v %v", added, err)
		}

		back := unmerge(t, s, kees)
		if back.GetSurvivor().GetHandoverNote() != "na de samenvoeging" {
			t.Errorf("the survivor changed after the merge lost the change: %v", back.GetSurvivor())
		}
		karinHistory := export(t, s, karin).GetInteractions()
		if !slices.ContainsFunc(karinHistory, func(x *herkenv1.Interaction) bool { return x.GetName() == in.GetName() }) {
			t.Errorf("the interaction recorded through the merged name left the survivor")
		}
		keesEx := export(t, s, kees)
		if len(keesEx.GetInteractions()) != len(f.keesCalls) || len(keesEx.GetPromises()) != 1 {
			t.Errorf("Kees after the unmerge: %d interactions, %d promises", len(keesEx.GetInteractions()), len(keesEx.GetPromises()))
		}
		lookupFinds(t, s, phone("06-44445555"), karin)
	})
}

func TestEraseCustomer(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		base := seed(t, s)
		jan, anna := base.jan.GetName(), base.anna.GetName()
		createPromise(t, s, jan, callback(fixedNow.Add(-2*time.Hour), "team-techniek", "terugbellen"))
		submitFeedback(t, s, base.janHistory[3].GetName(), 1, "slecht")

		resp, err := s.Customers.EraseCustomer(ctxT(t), &herkenv1.EraseCustomerRequest{Name: jan})
		if err != nil {
			t.Fatalf("EraseCustomer: %v", err)
		}
		checkProto(t, "EraseCustomer", &herkenv1.EraseCustomerResponse{EraseTime: stamp(fixedNow)}, resp)

		// Every read answers as if Jan never existed.
		_, err = s.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: jan})
		checkErr(t, err, wantErr{codes.NotFound, "CUSTOMER_ERASED", ""})
		for _, id := range []*herkenv1.Identifier{phone("06-12345678"), email("jan@example.nl"), extID("K-100001"), query("x:@jandevries")} {
			if got := lookup(t, s, id); got.GetOutcome() != notFound {
				t.Errorf("Lookup %v after the erasure: %s", id, got.GetOutcome())
			}
		}
		lookupFinds(t, s, phone(landline), anna) // the shared line stays Anna's
		all, _ := listAll(t, s, &herkenv1.ListCustomersRequest{})
		if got := namesOf(all); !slices.Equal(got, []string{anna}) {
			t.Errorf("ListCustomers after the erasure: %q", got)
		}
		open, err := promiseClient(s).ListPromises(ctxT(t), &herkenv1.ListPromisesRequest{Parent: "customers/-", OverdueOnly: true})
		if err != nil || len(open.GetPromises()) != 0 {
			t.Errorf("overdue promises after the erasure: %v %v", open, err)
		}
		unanswered, err := s.Interactions.ListInteractions(ctxT(t), &herkenv1.ListInteractionsRequest{Parent: "customers/-", UnansweredFeedbackOnly: true})
		if err != nil || len(unanswered.GetInteractions()) != 0 {
			t.Errorf("unanswered feedback after the erasure: %v %v", unanswered, err)
		}
		for name, fn := range map[string]func() error{
			"EraseCustomer again": func() error {
				_, err := s.Customers.EraseCustomer(ctxT(t), &herkenv1.EraseCustomerRequest{Name: jan})
				return err
			},
			"ExportCustomer": func() error {
				_, err := s.Customers.ExportCustomer(ctxT(t), &herkenv1.ExportCustomerRequest{Name: jan})
				return err
			},
			"ListInteractions": func() error {
				_, err := s.Interactions.ListInteractions(ctxT(t), &herkenv1.ListInteractionsRequest{Parent: jan})
				return err
			},
			"RecordInteraction": func() error {
				_, err := s.Interactions.RecordInteraction(ctxT(t), byParent(jan, call(fixedNow, herkenv1.Channel_CHANNEL_PHONE, "")))
				return err
			},
			"UnmergeCustomers": func() error {
				_, err := s.Customers.UnmergeCustomers(ctxT(t), &herkenv1.UnmergeCustomersRequest{Merged: jan})
				return err
			},
		} {
			t.Run(name, func(t *testing.T) {
				s.unchanged(t, func() { checkErr(t, fn(), wantErr{codes.NotFound, "CUSTOMER_ERASED", ""}) })
			})
		}
		// Jan's exclusive identifiers are free again.
		createCustomer(t, s, &herkenv1.Customer{DisplayName: "Nieuwe klant"}, extID("K-100001"))

		// Erasing a survivor erases the customers merged into it; a merged
		// name erases its survivor.
		f := seedFamily(t, s)
		merge(t, s, f.karin.GetName(), f.kees.GetName())
		resp, err = s.Customers.EraseCustomer(ctxT(t), &herkenv1.EraseCustomerRequest{Name: f.kees.GetName()})
		if err != nil {
			t.Fatalf("EraseCustomer of a merged name: %v", err)
		}
		if !slices.Equal(resp.GetAlsoErased(), []string{f.kees.GetName()}) {
			t.Errorf("also_erased = %q, want %q", resp.GetAlsoErased(), f.kees.GetName())
		}
		for _, name := range []string{f.kees.GetName(), f.karin.GetName()} {
			_, err := s.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: name})
			checkErr(t, err, wantErr{codes.NotFound, "CUSTOMER_ERASED", ""})
		}
		if got := lookup(t, s, email("familie@bakker.nl")); got.GetOutcome() != notFound {
			t.Errorf("Lookup of the erased family's email: %s", got.GetOutcome())
		}
	})
}

func TestExportCustomer(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		base := seed(t, s)
		jan := base.jan.GetName()
		createPromise(t, s, jan, callback(fixedNow.Add(3*time.Hour), "team-techniek", "terugbellen"))
		createPromise(t, s, jan, &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_DELIVERY, DueTime: stamp(fixedNow.Add(time.Hour))})
		submitFeedback(t, s, base.janHistory[5].GetName(), 4, "vriendelijk")

		ex := export(t, s, jan)
		checkProto(t, "exported customer", getCustomer(t, s, jan).GetCustomer(), ex.GetCustomer())
		history, _ := listEvery(t, s, &herkenv1.ListInteractionsRequest{Parent: jan})
		checkProtos(t, "exported history", history, ex.GetInteractions())
		promises, err := promiseClient(s).ListPromises(ctxT(t), &herkenv1.ListPromisesRequest{Parent: jan, PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		checkProtos(t, "exported promises", promises.GetPromises(), ex.GetPromises())
		if len(ex.GetPromises()) != 2 || len(ex.GetInteractions()) != 12 || len(ex.GetMerges()) != 0 || !ex.GetExportTime().AsTime().Equal(fixedNow) {
			t.Errorf("export: %d promises, %d interactions, %d merges, time %v", len(ex.GetPromises()), len(ex.GetInteractions()), len(ex.GetMerges()), ex.GetExportTime().AsTime())
		}

		// It renders as readable JSON, and reads back as the same export.
		b, err := protojson.MarshalOptions{Multiline: true}.Marshal(ex)
		if err != nil {
			t.Fatalf("protojson: %v", err)
		}
		if !json.Valid(b) {
			t.Fatalf("not JSON:\n%s", b)
		}
		// (protojson spaces its output at random: look for values, not lines.)
		for _, want := range []string{`"displayName"`, `"Jan de Vries"`, `"+31612345678"`, `"vriendelijk"`, `"terugbellen"`, `"exportTime"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("JSON lacks %s:\n%s", want, b)
			}
		}
		var back herkenv1.ExportCustomerResponse
		if err := protojson.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		checkProto(t, "export read back from JSON", ex, &back)

		s.unchanged(t, func() {
			_, err := s.Customers.ExportCustomer(ctxT(t), &herkenv1.ExportCustomerRequest{Name: "customers/0000000000000000"})
			checkErr(t, err, wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""})
			_, err = s.Customers.ExportCustomer(ctxT(t), &herkenv1.ExportCustomerRequest{})
			checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "name"})
		})
	})
}
