package server_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// Tests of UpdateCustomer, ListCustomers and Add/RemoveIdentifier over a
// real server, on every store.

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

func getCustomer(t *testing.T, s *testServer, name string) *herkenv1.GetCustomerResponse {
	t.Helper()
	resp, err := s.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: name})
	if err != nil {
		t.Fatalf("GetCustomer %s: %v", name, err)
	}
	return resp
}

func updateCustomer(t *testing.T, s *testServer, c *herkenv1.Customer, paths ...string) *herkenv1.Customer {
	t.Helper()
	req := &herkenv1.UpdateCustomerRequest{Customer: c}
	if paths != nil {
		req.UpdateMask = mask(paths...)
	}
	resp, err := s.Customers.UpdateCustomer(ctxT(t), req)
	if err != nil {
		t.Fatalf("UpdateCustomer %v: %v", req, err)
	}
	return resp.GetCustomer()
}

func lookup(t *testing.T, s *testServer, id *herkenv1.Identifier) *herkenv1.LookupResponse {
	t.Helper()
	resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: id})
	if err != nil {
		t.Fatalf("Lookup %v: %v", id, err)
	}
	return resp
}

// lookupFinds fails unless Lookup of id finds exactly the customer name.
func lookupFinds(t *testing.T, s *testServer, id *herkenv1.Identifier, name string) *herkenv1.Customer {
	t.Helper()
	resp := lookup(t, s, id)
	if resp.GetOutcome() != found || resp.GetCustomer().GetCustomer().GetName() != name {
		t.Fatalf("Lookup %v: %s %q, want FOUND %s", id, resp.GetOutcome(), resp.GetCustomer().GetCustomer().GetName(), name)
	}
	return resp.GetCustomer().GetCustomer()
}

func TestUpdateCustomer(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		clock := newHistoryClock(fixedNow)
		s := newTestServer(t, append(opts, withClock(clock.Now))...)
		f := seed(t, s)
		jan := f.jan
		clock.Advance(time.Hour)

		// Only the masked field changes; the etag and update_time move on.
		got := updateCustomer(t, s, &herkenv1.Customer{Name: jan.GetName(), DisplayName: " Jan de Vries-Bakker ", Tags: []string{"ignored"}}, "display_name")
		want := proto.Clone(jan).(*herkenv1.Customer)
		want.DisplayName, want.UpdateTime, want.Etag = "Jan de Vries-Bakker", stamp(clock.Now()), got.GetEtag()
		want.LastContactTime, want.LastContactChannel = got.GetLastContactTime(), got.GetLastContactChannel()
		checkProto(t, "after updating display_name", want, got)
		if got.GetEtag() == jan.GetEtag() {
			t.Errorf("etag unchanged by an update: %q", got.GetEtag())
		}
		checkProto(t, "GetCustomer after the update", got, getCustomer(t, s, jan.GetName()).GetCustomer())

		// The etag read before is stale now: ABORTED, nothing written.
		s.unchanged(t, func() {
			_, err := s.Customers.UpdateCustomer(ctxT(t), &herkenv1.UpdateCustomerRequest{
				Customer: &herkenv1.Customer{Name: jan.GetName(), HandoverNote: "x", Etag: jan.GetEtag()}, UpdateMask: mask("handover_note")})
			checkErr(t, err, wantErr{codes.Aborted, "ETAG_MISMATCH", "customer.etag"})
		})
		// The current etag is accepted; an update that changes nothing keeps it.
		got = updateCustomer(t, s, &herkenv1.Customer{Name: jan.GetName(), Tags: []string{"VIP", "Klacht-Open"}, Etag: got.GetEtag()}, "tags")
		if !slices.Equal(got.GetTags(), []string{"vip", "klacht-open"}) {
			t.Errorf("tags = %q", got.GetTags())
		}
		clock.Advance(time.Minute)
		same := updateCustomer(t, s, &herkenv1.Customer{Name: jan.GetName(), Tags: []string{"vip", "klacht-open"}, Etag: got.GetEtag()}, "tags")
		checkProto(t, "an update that changes nothing", got, same)

		// No mask updates what the request sets (AIP-134); "*" replaces all
		// four editable fields, clearing what the request leaves empty.
		clock.Advance(time.Minute)
		before := getCustomer(t, s, jan.GetName()).GetCustomer()
		set := updateCustomer(t, s, &herkenv1.Customer{Name: jan.GetName(), HandoverNote: "belt 's ochtends"})
		if set.GetHandoverNote() != "belt 's ochtends" || set.GetDisplayName() != before.GetDisplayName() ||
			!slices.Equal(set.GetTags(), before.GetTags()) || set.GetPreferredLanguage() != before.GetPreferredLanguage() {
			t.Errorf("no mask: %v; want only the handover note changed from %v", set, before)
		}
		clock.Advance(time.Minute)
		all := updateCustomer(t, s, &herkenv1.Customer{Name: jan.GetName(), DisplayName: "Jan 1", HandoverNote: "belt 's avonds"}, "*")
		if all.GetDisplayName() != "Jan 1" || all.GetPreferredLanguage() != "" || len(all.GetTags()) != 0 || all.GetHandoverNote() != "belt 's avonds" {
			t.Errorf("mask *: %v", all)
		}
		if len(all.GetIdentifiers()) != len(jan.GetIdentifiers()) {
			t.Errorf("mask *: identifiers changed: %v", all.GetIdentifiers())
		}

		for _, tc := range []struct {
			name string
			req  *herkenv1.UpdateCustomerRequest
			want wantErr
		}{
			{"output-only path", &herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: jan.GetName()}, UpdateMask: mask("tags", "update_time")}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "update_mask.paths[1]"}},
			{"unknown path", &herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: jan.GetName()}, UpdateMask: mask("nickname")}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "update_mask.paths[0]"}},
			{"no name", &herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "Jan"}}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "customer.name"}},
			{"bad name", &herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: "Jan", DisplayName: "Jan"}}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "customer.name"}},
			{"unknown customer", &herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: "customers/0000000000000000", DisplayName: "Jan"}}, wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
			{"bad language", &herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: jan.GetName(), PreferredLanguage: "!!"}, UpdateMask: mask("preferred_language")}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "customer.preferred_language"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s.unchanged(t, func() {
					_, err := s.Customers.UpdateCustomer(ctxT(t), tc.req)
					checkErr(t, err, tc.want)
				})
			})
		}
	})
}

// listAll reads every page of req (page_size as given) and returns the
// customers and how many pages it took.
func listAll(t *testing.T, s *testServer, req *herkenv1.ListCustomersRequest) ([]*herkenv1.Customer, int) {
	t.Helper()
	req = proto.Clone(req).(*herkenv1.ListCustomersRequest)
	var out []*herkenv1.Customer
	for pages := 1; ; pages++ {
		resp, err := s.Customers.ListCustomers(ctxT(t), req)
		if err != nil {
			t.Fatalf("ListCustomers %v: %v", req, err)
		}
		out = append(out, resp.GetCustomers()...)
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			return out, pages
		}
		if pages > 100 {
			t.Fatal("ListCustomers: more than 100 pages")
		}
	}
}

func namesOf(cs []*herkenv1.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.GetName()
	}
	return out
}

func sortedNames(cs ...*herkenv1.Customer) []string {
	out := namesOf(cs)
	slices.Sort(out)
	return out
}

func TestListCustomers(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		clock := newHistoryClock(fixedNow)
		s := newTestServer(t, append(opts, withClock(clock.Now))...)
		f := seed(t, s)
		yilmaz := createCustomer(t, s, &herkenv1.Customer{DisplayName: "Yılmaz Demir", Tags: []string{"vip"}})
		holding := createCustomer(t, s, &herkenv1.Customer{DisplayName: "De  Vries Holding"})
		kees := createCustomer(t, s, &herkenv1.Customer{DisplayName: "de Vriës, Kees"})
		everyone := sortedNames(f.jan, f.anna, yilmaz, holding, kees)

		// No filter: every customer, by name.
		all, _ := listAll(t, s, &herkenv1.ListCustomersRequest{})
		if got := namesOf(all); !slices.Equal(got, everyone) {
			t.Errorf("all customers: %q, want %q", got, everyone)
		}
		checkProto(t, "listed Jan", getCustomer(t, s, f.jan.GetName()).GetCustomer(), all[slices.Index(namesOf(all), f.jan.GetName())])
		// Page by page: the same customers, each once.
		paged, pages := listAll(t, s, &herkenv1.ListCustomersRequest{PageSize: 2})
		if got := namesOf(paged); !slices.Equal(got, everyone) || pages != 3 {
			t.Errorf("pages of 2: %q in %d pages, want %q in 3", got, pages, everyone)
		}
		// Above the maximum: coerced, not refused.
		if _, err := s.Customers.ListCustomers(ctxT(t), &herkenv1.ListCustomersRequest{PageSize: 100000}); err != nil {
			t.Errorf("page_size 100000: %v", err)
		}

		// Display-name prefix: without case, accents or repeated spaces.
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"yilmaz", sortedNames(yilmaz)},
			{"YILMAZ  demir", sortedNames(yilmaz)},
			{"de vries", sortedNames(holding, kees, f.jan, f.anna)}, // a word's start: Jan and Anna de Vries too
			{"De Vries H", sortedNames(holding)},
			{"jan de", sortedNames(f.jan)},
			{"de vries, kees en meer dan tweeëndertig tekens lang", nil},
			{"x", nil},
		} {
			got, _ := listAll(t, s, &herkenv1.ListCustomersRequest{DisplayNamePrefix: tc.prefix, PageSize: 1})
			if !slices.Equal(namesOf(got), tc.want) {
				t.Errorf("prefix %q: %q, want %q", tc.prefix, namesOf(got), tc.want)
			}
		}
		// A prefix longer than the indexed 32 characters is decided on the
		// rest by the records.
		long := createCustomer(t, s, &herkenv1.Customer{DisplayName: "Stichting Vrienden van het Concertgebouw Orkest"})
		for prefix, want := range map[string][]string{
			"stichting vrienden van het concertgebouw": {long.GetName()},
			"stichting vrienden van het concertzaal":   nil,
		} {
			got, _ := listAll(t, s, &herkenv1.ListCustomersRequest{DisplayNamePrefix: prefix})
			if !slices.Equal(namesOf(got), want) {
				t.Errorf("long prefix %q: %q, want %q", prefix, namesOf(got), want)
			}
		}

		// Tag, compared lowercase; filters combine.
		got, _ := listAll(t, s, &herkenv1.ListCustomersRequest{Tag: " VIP "})
		if want := sortedNames(f.jan, yilmaz); !slices.Equal(namesOf(got), want) {
			t.Errorf("tag vip: %q, want %q", namesOf(got), want)
		}
		got, _ = listAll(t, s, &herkenv1.ListCustomersRequest{Tag: "vip", DisplayNamePrefix: "jan"})
		if want := sortedNames(f.jan); !slices.Equal(namesOf(got), want) {
			t.Errorf("tag vip and prefix jan: %q, want %q", namesOf(got), want)
		}

		// updated_since: by update time, oldest first, for a CRM sync.
		clock.Advance(time.Hour)
		since := clock.Now()
		clock.Advance(time.Minute)
		updateCustomer(t, s, &herkenv1.Customer{Name: kees.GetName(), HandoverNote: "eerst"}, "handover_note")
		clock.Advance(time.Minute)
		updateCustomer(t, s, &herkenv1.Customer{Name: f.anna.GetName(), HandoverNote: "daarna"}, "handover_note")
		got, _ = listAll(t, s, &herkenv1.ListCustomersRequest{UpdatedSince: stamp(since), PageSize: 1})
		if want := []string{kees.GetName(), f.anna.GetName()}; !slices.Equal(namesOf(got), want) {
			t.Errorf("updated_since: %q, want %q (by update time)", namesOf(got), want)
		}
		got, _ = listAll(t, s, &herkenv1.ListCustomersRequest{UpdatedSince: stamp(since), DisplayNamePrefix: "de vries"})
		if want := sortedNames(kees, f.anna); !slices.Equal(namesOf(got), want) {
			t.Errorf("updated_since and prefix: %q, want %q", namesOf(got), want)
		}

		// A page token belongs to its filters.
		first, err := s.Customers.ListCustomers(ctxT(t), &herkenv1.ListCustomersRequest{PageSize: 1, Tag: "vip"})
		if err != nil || first.GetNextPageToken() == "" {
			t.Fatalf("first page: %v %v", first, err)
		}
		s.unchanged(t, func() {
			_, err = s.Customers.ListCustomers(ctxT(t), &herkenv1.ListCustomersRequest{PageSize: 1, Tag: "klacht", PageToken: first.GetNextPageToken()})
			checkErr(t, err, wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"})
			_, err = s.Customers.ListCustomers(ctxT(t), &herkenv1.ListCustomersRequest{PageSize: -5})
			checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_INVALID", "page_size"})
		})
	})
}

func TestAddIdentifier(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		clock := newHistoryClock(fixedNow)
		s := newTestServer(t, append(opts, withClock(clock.Now))...)
		f := seed(t, s)
		jan, anna := f.jan.GetName(), f.anna.GetName()
		clock.Advance(time.Hour)

		// A second number, with its provenance; Lookup finds Jan by it and
		// shows the provenance.
		resp, err := s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{
			Customer: jan, Identifier: phone("06-87654321"), Source: "Phone", Verified: true, Label: " werk "})
		if err != nil {
			t.Fatalf("AddIdentifier: %v", err)
		}
		want := &herkenv1.LinkedIdentifier{Identifier: canon(kindPhone, "+31687654321"), LinkTime: stamp(clock.Now()), Source: "phone", Verified: true, Label: "werk"}
		ids := resp.GetCustomer().GetIdentifiers()
		checkProto(t, "the new identifier", want, ids[len(ids)-1])
		if len(ids) != len(f.jan.GetIdentifiers())+1 || resp.GetCustomer().GetEtag() == f.jan.GetEtag() {
			t.Errorf("after AddIdentifier: %d identifiers, etag %q", len(ids), resp.GetCustomer().GetEtag())
		}
		seen := lookupFinds(t, s, query("+31 6 87654321"), jan)
		checkProto(t, "Lookup's customer", resp.GetCustomer(), seen)

		// Adding it again updates the provenance; nothing is linked twice.
		resp, err = s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{Customer: jan, Identifier: query("0687654321"), Label: "mobiel"})
		if err != nil {
			t.Fatalf("AddIdentifier again: %v", err)
		}
		ids = resp.GetCustomer().GetIdentifiers()
		want.Source, want.Verified, want.Label = "", false, "mobiel"
		checkProto(t, "the identifier linked again", want, ids[len(ids)-1])
		if len(ids) != len(f.jan.GetIdentifiers())+1 {
			t.Errorf("linked twice: %d identifiers", len(ids))
		}

		// A shareable identifier of Jan's added to Anna: shared, and Lookup
		// is AMBIGUOUS between them.
		if _, err := s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{Customer: anna, Identifier: phone("06-12345678"), Source: "crm"}); err != nil {
			t.Fatalf("AddIdentifier shared: %v", err)
		}
		amb := lookup(t, s, phone("06-12345678"))
		if amb.GetOutcome() != ambiguous {
			t.Fatalf("Lookup of a shared number: %s", amb.GetOutcome())
		}
		var cands []string
		for _, c := range amb.GetCandidates() {
			cands = append(cands, c.GetName())
		}
		slices.Sort(cands)
		if want := sortedNames(f.jan, f.anna); !slices.Equal(cands, want) {
			t.Errorf("candidates %q, want %q", cands, want)
		}

		// An exclusive identifier another customer holds: ALREADY_EXISTS
		// naming the holder, nothing written.
		s.unchanged(t, func() {
			_, err := s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{Customer: anna, Identifier: extID("K-100001")})
			info := checkErr(t, err, wantErr{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifier"})
			if info.GetMetadata()["customer"] != jan {
				t.Errorf("holder %q, want %q", info.GetMetadata()["customer"], jan)
			}
			_, err = s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{Customer: anna, Identifier: email("noreply@example.nl")})
			checkErr(t, err, wantErr{codes.InvalidArgument, "IDENTIFIER_BLOCKED", "identifier"})
			_, err = s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{Customer: "customers/0000000000000000", Identifier: email("nieuw@example.nl")})
			checkErr(t, err, wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""})
		})
		// A placeholder never matches.
		if got := lookup(t, s, email("noreply@example.nl")); got.GetOutcome() != notFound {
			t.Errorf("Lookup of a placeholder: %s", got.GetOutcome())
		}
	})
}

// TestIdentifierLimit: a customer holds at most 32 identifiers; the 33rd
// is FAILED_PRECONDITION / IDENTIFIER_LIMIT with the limit, and nothing is
// written.
func TestIdentifierLimit(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		c := createCustomer(t, s, &herkenv1.Customer{DisplayName: "Verzamelaar"})
		for i := range 32 {
			if _, err := s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{Customer: c.GetName(), Identifier: extID("V-" + strconv.Itoa(i))}); err != nil {
				t.Fatalf("identifier %d: %v", i+1, err)
			}
		}
		s.unchanged(t, func() {
			_, err := s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{Customer: c.GetName(), Identifier: extID("V-32")})
			info := checkErr(t, err, wantErr{codes.FailedPrecondition, "IDENTIFIER_LIMIT", ""})
			if info.GetMetadata()["limit"] != "32" {
				t.Errorf("metadata limit = %q", info.GetMetadata()["limit"])
			}
		})
		// Re-adding one it holds is no new link: allowed at the cap.
		if _, err := s.Customers.AddIdentifier(ctxT(t), &herkenv1.AddIdentifierRequest{Customer: c.GetName(), Identifier: extID("V-0"), Label: "eerste"}); err != nil {
			t.Errorf("re-adding at the cap: %v", err)
		}
	})
}

// TestCreateCustomerIdentifierSource: identifier_source is every created
// link's provenance.
func TestCreateCustomerIdentifierSource(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		resp, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
			Customer: &herkenv1.Customer{DisplayName: "Jan"}, Identifiers: []*herkenv1.Identifier{phone("06-12345678"), email("jan@example.nl")},
			IdentifierSource: "crm"})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range resp.GetCustomer().GetIdentifiers() {
			if l.GetSource() != "crm" || l.GetVerified() || l.GetLabel() != "" || l.GetMergedFrom() != "" {
				t.Errorf("provenance of %v", l)
			}
		}
		s.unchanged(t, func() {
			_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
				Identifiers: []*herkenv1.Identifier{phone("06-22223333"), email("test@test.com")}})
			checkErr(t, err, wantErr{codes.InvalidArgument, "IDENTIFIER_BLOCKED", "identifiers[1]"})
			_, err = s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
				Identifiers: []*herkenv1.Identifier{phone("06-22223333")}, IdentifierSource: "CRM export"})
			checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_INVALID", "identifier_source"})
		})
	})
}

func TestRemoveIdentifier(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		f := seed(t, s)
		jan, anna := f.jan.GetName(), f.anna.GetName()

		resp, err := s.Customers.RemoveIdentifier(ctxT(t), &herkenv1.RemoveIdentifierRequest{Customer: jan, Identifier: email("JAN@example.nl")})
		if err != nil {
			t.Fatalf("RemoveIdentifier: %v", err)
		}
		for _, l := range resp.GetCustomer().GetIdentifiers() {
			if l.GetIdentifier().GetKind() == kindEmail {
				t.Errorf("email still linked: %v", l)
			}
		}
		if len(resp.GetCustomer().GetIdentifiers()) != len(f.jan.GetIdentifiers())-1 {
			t.Errorf("%d identifiers left", len(resp.GetCustomer().GetIdentifiers()))
		}
		if got := lookup(t, s, email("jan@example.nl")); got.GetOutcome() != notFound {
			t.Errorf("Lookup of the removed email: %s", got.GetOutcome())
		}
		// The other holder of a shared line keeps it: no longer ambiguous.
		if _, err := s.Customers.RemoveIdentifier(ctxT(t), &herkenv1.RemoveIdentifierRequest{Customer: jan, Identifier: phone(landline)}); err != nil {
			t.Fatalf("RemoveIdentifier shared: %v", err)
		}
		lookupFinds(t, s, phone(landline), anna)

		s.unchanged(t, func() {
			_, err := s.Customers.RemoveIdentifier(ctxT(t), &herkenv1.RemoveIdentifierRequest{Customer: jan, Identifier: email("jan@example.nl")})
			checkErr(t, err, wantErr{codes.NotFound, "IDENTIFIER_NOT_LINKED", "identifier"})
			_, err = s.Customers.RemoveIdentifier(ctxT(t), &herkenv1.RemoveIdentifierRequest{Customer: jan})
			checkErr(t, err, wantErr{codes.InvalidArgument, "IDENTIFIER_MISSING", "identifier"})
			_, err = s.Customers.RemoveIdentifier(ctxT(t), &herkenv1.RemoveIdentifierRequest{Customer: "customers/0000000000000000", Identifier: email("jan@example.nl")})
			checkErr(t, err, wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""})
		})
	})
}
