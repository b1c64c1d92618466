package server_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

func TestCreateCustomer(t *testing.T) {
	s := newTestServer(t)
	resp, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{
			Name:              "customers/ignored0000000000", // output only
			DisplayName:       "  Jan de Vries ",
			PreferredLanguage: "NL",
			Tags:              []string{"VIP", "klacht-open", "vip", " Klacht-Open "},
			HandoverNote:      "Spreekt liever Engels.\nBelt vaak namens zijn moeder.",
			Etag:              "42", // output only
			LastContactTime:   stamp(fixedNow),
		},
		Identifiers: []*herkenv1.Identifier{
			phone("06-12345678"),
			email("Jan@Example.NL"),
			social(platformX, "@JanDeVries"),
			extID(" K-100001 "),
			postal("1234 ab", 10, "-a"),
			phone("+31 6 1234 5678"),          // duplicate after normalisation
			query("https://x.com/jandevries"), // duplicate
		},
	})
	if err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	c := resp.GetCustomer()
	if !customerNameRE.MatchString(c.GetName()) {
		t.Errorf("name = %q, want customers/{id}", c.GetName())
	}
	want := &herkenv1.Customer{
		Name:              c.GetName(),
		DisplayName:       "Jan de Vries",
		PreferredLanguage: "nl",
		Tags:              []string{"vip", "klacht-open"},
		HandoverNote:      "Spreekt liever Engels.\nBelt vaak namens zijn moeder.",
		CreateTime:        stamp(fixedNow),
		UpdateTime:        stamp(fixedNow),
		Etag:              c.GetEtag(),
		Identifiers: []*herkenv1.LinkedIdentifier{
			{Identifier: canon(kindPhone, "+31612345678"), LinkTime: stamp(fixedNow)},
			{Identifier: canon(kindEmail, "jan@example.nl"), LinkTime: stamp(fixedNow)},
			{Identifier: canonSocial(platformX, "x:jandevries"), LinkTime: stamp(fixedNow)},
			{Identifier: canon(kindExtID, "K-100001"), LinkTime: stamp(fixedNow)},
			{Identifier: canon(kindPostal, "1234AB 10 A"), LinkTime: stamp(fixedNow)},
		},
	}
	checkProto(t, "created customer", want, c)
	if c.GetEtag() == "" {
		t.Errorf("etag is empty")
	}

	got, err := s.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: c.GetName()})
	if err != nil {
		t.Fatalf("GetCustomer: %v", err)
	}
	checkProto(t, "GetCustomer", c, got.GetCustomer())

	// Every identifier finds the customer.
	for _, l := range c.GetIdentifiers() {
		resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: query(queryFor(l.GetIdentifier()))})
		if err != nil {
			t.Fatalf("Lookup %v: %v", l.GetIdentifier(), err)
		}
		if resp.GetOutcome() != found || resp.GetCustomer().GetCustomer().GetName() != c.GetName() {
			t.Errorf("Lookup %v: %s %s", l.GetIdentifier(), resp.GetOutcome(), resp.GetCustomer().GetCustomer().GetName())
		}
	}
}

// queryFor writes a canonical identifier as a free-form query.
func queryFor(c *herkenv1.CanonicalIdentifier) string {
	if c.GetKind() == kindExtID {
		return "crm:" + c.GetValue()
	}
	return c.GetValue()
}

// TestCreateCustomerMinimal: a display name alone, or one identifier
// alone, is enough; a customer with neither (nobody could ever find it) is
// refused, in every spelling of "nothing".
func TestCreateCustomerMinimal(t *testing.T) {
	s := newTestServer(t)
	for _, req := range []*herkenv1.CreateCustomerRequest{
		{Customer: &herkenv1.Customer{DisplayName: "Jan"}},
		{Identifiers: []*herkenv1.Identifier{phone("06-12345678")}},
	} {
		resp, err := s.Customers.CreateCustomer(ctxT(t), req)
		if err != nil {
			t.Fatalf("CreateCustomer(%v): %v", req, err)
		}
		if !customerNameRE.MatchString(resp.GetCustomer().GetName()) {
			t.Errorf("name = %q", resp.GetCustomer().GetName())
		}
	}
	for _, req := range []*herkenv1.CreateCustomerRequest{
		{},
		{Customer: &herkenv1.Customer{}},
		{Customer: &herkenv1.Customer{DisplayName: " \t "}},
		{Customer: &herkenv1.Customer{PreferredLanguage: "nl", Tags: []string{"vip"}, HandoverNote: "let op"}},
		{RequestId: "nothing-1"},
	} {
		s.unchanged(t, func() {
			_, err := s.Customers.CreateCustomer(ctxT(t), req)
			checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "customer.display_name"})
		})
	}
}

func TestCreateCustomerLanguage(t *testing.T) {
	s := newTestServer(t)
	for in, want := range map[string]string{"NL": "nl", "nl_be": "nl-BE", "EN-gb": "en-GB", " tr ": "tr", "": ""} {
		c := createCustomer(t, s, &herkenv1.Customer{DisplayName: "Jan", PreferredLanguage: in})
		if got := c.GetPreferredLanguage(); got != want {
			t.Errorf("preferred_language %q = %q, want %q", in, got, want)
		}
	}
}

func TestGetCustomerErrors(t *testing.T) {
	s := newTestServer(t)
	seed(t, s)
	tests := []struct {
		name string
		want wantErr
	}{
		{"customers/0000000000000000", wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"customers/zzzzzzzzzzzzzzzz", wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"", wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "name"}},
		{"customer/x", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/../../x", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		// Ids are opaque: any id of the valid form (1 to 64 lowercase
		// letters and digits) that names no customer is NOT_FOUND.
		{"customers/unknownid0000000", wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"customers/000000000000000", wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"customers/00000000000000000", wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"customers/a", wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"customers/" + strings.Repeat("z", 64), wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"customers/" + strings.Repeat("0", 24), wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		// Anything else is not a customer name.
		{"customers/" + strings.Repeat("z", 65), wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/0000000000000000/interactions/x", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/abc/def", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/0000000000000000/", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/0000000000000000 ", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/ABCDEFGHJKMNPQRS", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/abcdefgHjkmnpqrs", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/jan-de-vries", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/jan.de.vries", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/ĳsselmeer", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"Customers/0000000000000000", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"//herken/customers/0000000000000000", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		// Control characters are no id characters (a decoder that skips
		// them must not be what checks an id).
		{"customers/0000000000000\n\n\n", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"customers/00000000\r\n\r\n\r\n\r\n", wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.name), func(t *testing.T) {
			_, err := s.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: tc.name})
			checkErr(t, err, tc.want)
		})
	}
}

func TestCreateCustomerInvalid(t *testing.T) {
	s := newTestServer(t)
	seed(t, s)
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	manyIDs := make([]*herkenv1.Identifier, 33)
	for i := range manyIDs {
		manyIDs[i] = extID(fmt.Sprintf("K-2%05d", i))
	}
	named := &herkenv1.Customer{DisplayName: "Nieuwe Klant"}
	cust := func(c *herkenv1.Customer) *herkenv1.CreateCustomerRequest {
		return &herkenv1.CreateCustomerRequest{Customer: c, Identifiers: []*herkenv1.Identifier{phone("06-22223333")}}
	}
	tests := []struct {
		name  string
		req   *herkenv1.CreateCustomerRequest
		want  wantErr
		limit string // ErrorInfo metadata "limit", if any
	}{
		{"display_name 201 characters", cust(&herkenv1.Customer{DisplayName: strings.Repeat("é", 201)}),
			wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "customer.display_name"}, "200"},
		{"display_name control character", cust(&herkenv1.Customer{DisplayName: "Jan\x07"}),
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "customer.display_name"}, ""},
		{"display_name newline", cust(&herkenv1.Customer{DisplayName: "Jan\nde Vries"}),
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "customer.display_name"}, ""},
		{"33 tags", cust(&herkenv1.Customer{Tags: many(33, func(i int) string { return fmt.Sprintf("t%d", i) })}),
			wantErr{codes.InvalidArgument, "TOO_MANY_VALUES", "customer.tags"}, "32"},
		{"empty tag", cust(&herkenv1.Customer{Tags: []string{"vip", " "}}),
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "customer.tags[1]"}, ""},
		{"tag with space", cust(&herkenv1.Customer{Tags: []string{"klacht open"}}),
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "customer.tags[0]"}, ""},
		{"tag 65 characters", cust(&herkenv1.Customer{Tags: []string{strings.Repeat("a", 65)}}),
			wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "customer.tags[0]"}, "64"},
		{"bad language", cust(&herkenv1.Customer{PreferredLanguage: "not a language"}),
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "customer.preferred_language"}, ""},
		{"language too long", cust(&herkenv1.Customer{PreferredLanguage: "nl-" + strings.Repeat("x", 40)}),
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "customer.preferred_language"}, ""},
		{"handover_note 4001 characters", cust(&herkenv1.Customer{HandoverNote: strings.Repeat("n", 4001)}),
			wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "customer.handover_note"}, "4000"},
		{"handover_note control character", cust(&herkenv1.Customer{HandoverNote: "let op\x00"}),
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "customer.handover_note"}, ""},
		{"33 identifiers", &herkenv1.CreateCustomerRequest{Identifiers: manyIDs},
			wantErr{codes.InvalidArgument, "TOO_MANY_VALUES", "identifiers"}, ""},
		{"invalid phone", &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{email("nieuw@example.nl"), phone("12")}},
			wantErr{codes.InvalidArgument, "PHONE_NUMBER_INVALID", "identifiers[1].phone_number"}, ""},
		{"invalid email", &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{email("jan@")}},
			wantErr{codes.InvalidArgument, "EMAIL_INVALID", "identifiers[0].email"}, ""},
		{"missing identifier", &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{{}}},
			wantErr{codes.InvalidArgument, "IDENTIFIER_MISSING", "identifiers[0]"}, ""},
		{"unrecognised query", &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{query("hello world")}},
			wantErr{codes.InvalidArgument, "QUERY_UNRECOGNIZED", "identifiers[0].query"}, ""},
		{"withheld phone", &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{email("nieuw@example.nl"), phone("anonymous")}},
			wantErr{codes.InvalidArgument, "IDENTIFIER_WITHHELD", "identifiers[1]"}, ""},
		{"withheld empty phone", &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{phone("")}},
			wantErr{codes.InvalidArgument, "IDENTIFIER_WITHHELD", "identifiers[0]"}, ""},
		{"withheld query", &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{query("private")}},
			wantErr{codes.InvalidArgument, "IDENTIFIER_WITHHELD", "identifiers[0]"}, ""},
		{"request_id with bad characters", &herkenv1.CreateCustomerRequest{Customer: named, RequestId: "bad id!"},
			wantErr{codes.InvalidArgument, "REQUEST_ID_INVALID", "request_id"}, ""},
		{"request_id with slash", &herkenv1.CreateCustomerRequest{Customer: named, RequestId: "../x"},
			wantErr{codes.InvalidArgument, "REQUEST_ID_INVALID", "request_id"}, ""},
		{"request_id 65 characters", &herkenv1.CreateCustomerRequest{Customer: named, RequestId: strings.Repeat("a", 65)},
			wantErr{codes.InvalidArgument, "REQUEST_ID_INVALID", "request_id"}, ""},
		{"no display name and no identifier", &herkenv1.CreateCustomerRequest{},
			wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "customer.display_name"}, ""},
		{"blank display name and no identifier", &herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "  "}},
			wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "customer.display_name"}, ""},
		// Failing writes.
		{"external id linked to another customer", &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{phone("06-22223333"), extID("K-100001")}},
			wantErr{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifiers[1]"}, ""},
		{"social handle linked to another customer", &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{query("https://twitter.com/JANDEVRIES")}},
			wantErr{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifiers[0]"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.unchanged(t, func() {
				_, err := s.Customers.CreateCustomer(ctxT(t), proto.Clone(tc.req).(*herkenv1.CreateCustomerRequest))
				info := checkErr(t, err, tc.want)
				if tc.limit != "" && info.GetMetadata()["limit"] != tc.limit {
					t.Errorf("metadata[limit] = %q, want %q", info.GetMetadata()["limit"], tc.limit)
				}
			})
		})
	}
}

func TestCreateCustomerAlreadyLinked(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	s.unchanged(t, func() {
		_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
			Customer:    &herkenv1.Customer{DisplayName: "Dubbel"},
			Identifiers: []*herkenv1.Identifier{email("dubbel@example.nl"), extID("K-100002")},
		})
		info := checkErr(t, err, wantErr{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifiers[1]"})
		if got := info.GetMetadata()["customer"]; got != f.anna.GetName() {
			t.Errorf("metadata[customer] = %q, want %q", got, f.anna.GetName())
		}
	})
	// With a duplicate before it (the same email in another spelling), the
	// field still names the identifier's position in the request.
	s.unchanged(t, func() {
		_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
			Customer:    &herkenv1.Customer{DisplayName: "Dubbel"},
			Identifiers: []*herkenv1.Identifier{email("dubbel@example.nl"), email("Dubbel@Example.NL"), extID("K-100002")},
		})
		checkErr(t, err, wantErr{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifiers[2]"})
	})
	// The email of the failed request was not linked either.
	resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: email("dubbel@example.nl")})
	if err != nil || resp.GetOutcome() != notFound {
		t.Errorf("Lookup after failed create: %v %v, want NOT_FOUND", resp.GetOutcome(), err)
	}
}

// TestCreateCustomerShareable: phone, email, postal address and WhatsApp
// may be shared, by at most 20 customers.
func TestCreateCustomerShareable(t *testing.T) {
	s := newTestServer(t)
	shared := []*herkenv1.Identifier{
		phone("020-7654321"), email("gezin@example.nl"), postal("1234AB", 12, ""),
		social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_WHATSAPP, "+31 6 55554444"),
	}
	for i := 0; i < 20; i++ {
		createCustomer(t, s, &herkenv1.Customer{DisplayName: fmt.Sprintf("Gezinslid %d", i)}, shared...)
	}
	for i, id := range shared {
		s.unchanged(t, func() {
			_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{email("eigen@example.nl"), id}})
			info := checkErr(t, err, wantErr{codes.FailedPrecondition, "IDENTIFIER_SHARE_LIMIT", "identifiers[1]"})
			if info.GetMetadata()["limit"] != "20" {
				t.Errorf("shared[%d]: metadata[limit] = %q, want 20", i, info.GetMetadata()["limit"])
			}
			// Twenty customers hold it: no one of them is "the" holder.
			if h, ok := info.GetMetadata()["customer"]; ok {
				t.Errorf("shared[%d]: metadata[customer] = %q on a share limit", i, h)
			}
		})
		resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: id})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetOutcome() != ambiguous || len(resp.GetCandidates()) != 20 {
			t.Errorf("shared[%d]: %s with %d candidates, want AMBIGUOUS with 20", i, resp.GetOutcome(), len(resp.GetCandidates()))
		}
	}
}

func TestCreateCustomerIdempotent(t *testing.T) {
	s := newTestServer(t)
	req := &herkenv1.CreateCustomerRequest{
		Customer:    &herkenv1.Customer{DisplayName: "Jan de Vries", Tags: []string{"vip"}},
		Identifiers: []*herkenv1.Identifier{phone("06-12345678"), extID("K-100001")},
		RequestId:   "3f1c9a4e-8b7d-4c2a-9e51-0d6b2f7a8c31",
	}
	first, err := s.Customers.CreateCustomer(ctxT(t), req)
	if err != nil {
		t.Fatalf("first call: %v", err)
	}

	t.Run("same request returns the same customer", func(t *testing.T) {
		s.unchanged(t, func() {
			again, err := s.Customers.CreateCustomer(ctxT(t), proto.Clone(req).(*herkenv1.CreateCustomerRequest))
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			checkProto(t, "retried customer", first.GetCustomer(), again.GetCustomer())
		})
	})

	t.Run("same request in another spelling is a retry", func(t *testing.T) {
		// The fingerprint is taken after normalisation.
		r := &herkenv1.CreateCustomerRequest{
			Customer:    &herkenv1.Customer{DisplayName: " Jan de Vries", Tags: []string{"VIP"}},
			Identifiers: []*herkenv1.Identifier{phone("+31 6 1234 5678"), query("crm:K-100001")},
			RequestId:   req.GetRequestId(),
		}
		s.unchanged(t, func() {
			again, err := s.Customers.CreateCustomer(ctxT(t), r)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if again.GetCustomer().GetName() != first.GetCustomer().GetName() {
				t.Errorf("retry created %s, want %s", again.GetCustomer().GetName(), first.GetCustomer().GetName())
			}
		})
	})

	for name, mut := range map[string]func(r *herkenv1.CreateCustomerRequest){
		"different display name": func(r *herkenv1.CreateCustomerRequest) { r.Customer.DisplayName = "Anna de Vries" },
		"different identifiers":  func(r *herkenv1.CreateCustomerRequest) { r.Identifiers = r.Identifiers[:1] },
		"different tags":         func(r *herkenv1.CreateCustomerRequest) { r.Customer.Tags = nil },
	} {
		t.Run(name+" is REQUEST_ID_REUSED", func(t *testing.T) {
			r := proto.Clone(req).(*herkenv1.CreateCustomerRequest)
			mut(r)
			s.unchanged(t, func() {
				_, err := s.Customers.CreateCustomer(ctxT(t), r)
				checkErr(t, err, wantErr{codes.FailedPrecondition, "REQUEST_ID_REUSED", ""})
			})
		})
	}

	t.Run("another request_id creates another customer", func(t *testing.T) {
		r := &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678")}, RequestId: "other_request-1"}
		c, err := s.Customers.CreateCustomer(ctxT(t), r)
		if err != nil {
			t.Fatal(err)
		}
		if c.GetCustomer().GetName() == first.GetCustomer().GetName() {
			t.Errorf("a new request_id returned the first customer")
		}
	})
}

// TestCreateCustomerConcurrentExclusive: of many concurrent creates with the
// same external id exactly one wins; the others are ALREADY_EXISTS.
func TestCreateCustomerConcurrentExclusive(t *testing.T) {
	s := newTestServer(t)
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	names := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
				Identifiers: []*herkenv1.Identifier{phone("020-1234567"), extID("K-777")},
			})
			errs[i], names[i] = err, resp.GetCustomer().GetName()
		}()
	}
	wg.Wait()
	var winners []string
	var holders []string
	for i, err := range errs {
		if err == nil {
			winners = append(winners, names[i])
			continue
		}
		info := checkErr(t, err, wantErr{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifiers[1]"})
		holders = append(holders, info.GetMetadata()["customer"])
	}
	if len(winners) != 1 {
		t.Fatalf("%d creates succeeded, want 1", len(winners))
	}
	for _, h := range holders {
		if h != winners[0] {
			t.Errorf("a loser was told %q holds the external id, want the winner %s", h, winners[0])
		}
	}
	resp, err := s.Recognition.Resolve(ctxT(t), &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("020-1234567"), extID("K-777")}})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range resp.GetMatches() {
		if !slices.Equal(m.GetCustomers(), winners) {
			t.Errorf("matches[%d].customers = %v, want only the winner %v (no half-written losers)", i, m.GetCustomers(), winners)
		}
	}
}

// TestLimitsInclusive: every documented limit is itself allowed.
func TestLimitsInclusive(t *testing.T) {
	s := newTestServer(t)
	ids := make([]*herkenv1.Identifier, 32)
	for i := range ids {
		ids[i] = extID(fmt.Sprintf("X-%d", i))
	}
	tags := make([]string, 32)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%02d-%s", i, strings.Repeat("x", 60)) // 64 characters
	}
	c := createCustomer(t, s, &herkenv1.Customer{
		DisplayName:  strings.Repeat("é", 200),
		Tags:         tags,
		HandoverNote: strings.Repeat("ü", 4000),
	}, ids...)
	if len(c.GetIdentifiers()) != 32 || len(c.GetTags()) != 32 {
		t.Errorf("created with %d identifiers and %d tags, want 32 and 32", len(c.GetIdentifiers()), len(c.GetTags()))
	}
	resp, err := s.Recognition.Resolve(ctxT(t), &herkenv1.ResolveRequest{Identifiers: ids[:10]})
	if err != nil {
		t.Fatalf("Resolve with 10 identifiers: %v", err)
	}
	if resp.GetOutcome() != herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED || resp.GetCustomer().GetCustomer().GetName() != c.GetName() {
		t.Errorf("Resolve: %s %s", resp.GetOutcome(), resp.GetCustomer().GetCustomer().GetName())
	}
}

// TestCreateCustomerReportsEveryInvalidField: a client learns about all its
// mistakes in one round trip, not one per retry.
func TestCreateCustomerReportsEveryInvalidField(t *testing.T) {
	s := newTestServer(t)
	req := &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{
			DisplayName:       strings.Repeat("x", 201),
			PreferredLanguage: "not a language",
			HandoverNote:      strings.Repeat("y", 4001),
			Tags:              []string{"ok", "bad tag!"},
		},
		Identifiers: []*herkenv1.Identifier{phone("06-22223333")},
	}
	s.unchanged(t, func() {
		_, err := s.Customers.CreateCustomer(ctxT(t), req)
		checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "customer.display_name"})
		_, _, br := statusDetails(err)
		var fields []string
		for _, v := range br.GetFieldViolations() {
			fields = append(fields, v.GetField())
		}
		want := []string{"customer.display_name", "customer.preferred_language", "customer.handover_note", "customer.tags[1]"}
		if fmt.Sprint(fields) != fmt.Sprint(want) {
			t.Fatalf("field violations %v, want %v", fields, want)
		}
	})
}
