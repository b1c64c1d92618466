package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const (
	kindPhone  = herkenv1.IdentifierKind_IDENTIFIER_KIND_PHONE_NUMBER
	kindEmail  = herkenv1.IdentifierKind_IDENTIFIER_KIND_EMAIL
	kindExtID  = herkenv1.IdentifierKind_IDENTIFIER_KIND_EXTERNAL_ID
	kindPostal = herkenv1.IdentifierKind_IDENTIFIER_KIND_POSTAL_ADDRESS
	platformX  = herkenv1.SocialPlatform_SOCIAL_PLATFORM_X

	found     = herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND
	ambiguous = herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS
	notFound  = herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND
)

func TestLookupFound(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)

	janMobile := canon(kindPhone, "+31612345678")
	janEmail := canon(kindEmail, "jan@example.nl")
	janX := canonSocial(platformX, "x:jandevries")
	janExt := canon(kindExtID, "K-100001")
	janPostal := canon(kindPostal, "1234AB 10")

	tests := []struct {
		name    string
		id      *herkenv1.Identifier
		want    *herkenv1.CanonicalIdentifier
		wantExt string
	}{
		{"phone national dashed", phone("06-12345678"), janMobile, ""},
		{"phone international spaced", phone("+31 6 12345678"), janMobile, ""},
		{"phone 00 prefix", phone("0031612345678"), janMobile, ""},
		{"phone national prefix in brackets", phone("+31 (0)6 1234 5678"), janMobile, ""},
		{"phone tel URI", phone("tel:+31-6-1234-5678"), janMobile, ""},
		{"phone with extension", phone("06-12345678 ext. 12"), janMobile, "12"},
		{"phone full-width digits", phone("０６１２３４５６７８"), janMobile, ""},
		{"query phone", query("06 12345678"), janMobile, ""},
		{"email", email("jan@example.nl"), janEmail, ""},
		{"email mailto and case", email("mailto:JAN@EXAMPLE.NL"), janEmail, ""},
		{"query email", query("JAN@example.nl"), janEmail, ""},
		{"social handle", social(platformX, "jandevries"), janX, ""},
		{"social handle with @ and case", social(platformX, "@JANDEVRIES"), janX, ""},
		{"social profile URL without platform", social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_UNSPECIFIED, "https://x.com/jandevries"), janX, ""},
		{"query platform:handle", query("x:@jandevries"), janX, ""},
		{"query twitter URL", query("https://twitter.com/JanDeVries"), janX, ""},
		{"external id", extID("K-100001"), janExt, ""},
		{"query crm:", query("crm:K-100001"), janExt, ""},
		{"postal address", postal("1234 AB", 10, ""), janPostal, ""},
		{"postal address lower case", postal("1234ab", 10, ""), janPostal, ""},
		{"query postal address", query("1234ab 10"), janPostal, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var resp *herkenv1.LookupResponse
			s.unchanged(t, func() { // Lookup only reads
				var err error
				resp, err = s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: tc.id})
				if err != nil {
					t.Fatalf("Lookup: %v", err)
				}
			})
			if resp.GetOutcome() != found {
				t.Fatalf("outcome = %s, want FOUND", resp.GetOutcome())
			}
			checkProto(t, "canonical_identifier", tc.want, resp.GetCanonicalIdentifier())
			if resp.GetWithheld() {
				t.Errorf("withheld = true")
			}
			if resp.GetPhoneExtension() != tc.wantExt {
				t.Errorf("phone_extension = %q, want %q", resp.GetPhoneExtension(), tc.wantExt)
			}
			if len(resp.GetCandidates()) != 0 {
				t.Errorf("candidates set on FOUND: %v", resp.GetCandidates())
			}
			c := resp.GetCustomer().GetCustomer()
			if c.GetName() != f.jan.GetName() || c.GetDisplayName() != "Jan de Vries" {
				t.Errorf("customer = %s %q, want %s Jan de Vries", c.GetName(), c.GetDisplayName(), f.jan.GetName())
			}
			if len(c.GetIdentifiers()) != 6 {
				t.Errorf("customer has %d identifiers, want 6", len(c.GetIdentifiers()))
			}
			// Default history: the 10 newest, newest first.
			checkRecent(t, resp.GetCustomer().GetRecentInteractions(), f.janHistory, 10)
		})
	}
}

// checkRecent asserts got is the newest n of history (oldest first), newest
// first, field for field.
func checkRecent(t *testing.T, got, history []*herkenv1.Interaction, n int) {
	t.Helper()
	want := slices.Clone(history)
	slices.Reverse(want)
	want = want[:min(n, len(want))]
	if len(got) != len(want) {
		t.Fatalf("got %d recent interactions, want %d", len(got), len(want))
	}
	for i := range got {
		checkProto(t, fmt.Sprintf("recent_interactions[%d]", i), want[i], got[i])
		if i > 0 && !got[i].GetOccurTime().AsTime().Before(got[i-1].GetOccurTime().AsTime()) {
			t.Errorf("recent_interactions not newest first at %d", i)
		}
	}
}

func TestLookupInteractionLimit(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	tests := []struct {
		limit int32
		want  int
	}{
		{0, 10},
		{1, 1},
		{3, 3},
		{12, 12},
		{13, 12},
		{100, 12},
		{1000, 12},
	}
	for _, tc := range tests {
		resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678"), InteractionLimit: tc.limit})
		if err != nil {
			t.Fatalf("limit %d: %v", tc.limit, err)
		}
		checkRecent(t, resp.GetCustomer().GetRecentInteractions(), f.janHistory, tc.want)
	}

	for _, limit := range []int32{-1, -1000} {
		s.unchanged(t, func() {
			_, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678"), InteractionLimit: limit})
			checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_INVALID", "interaction_limit"})
		})
	}
}

// TestLookupInteractionLimitCap records more than 100 interactions: a limit
// above 100 is coerced to 100.
func TestLookupInteractionLimitCap(t *testing.T) {
	s := newTestServer(t)
	c := createCustomer(t, s, &herkenv1.Customer{DisplayName: "Veelbeller"}, phone("06-11112222"))
	for i := 0; i < 105; i++ {
		record(t, s, byParent(c.GetName(), call(fixedNow.Add(-time.Duration(i)*time.Minute), herkenv1.Channel_CHANNEL_PHONE, "")))
	}
	for _, tc := range []struct {
		limit int32
		want  int
	}{{0, 10}, {100, 100}, {101, 100}, {1000, 100}, {1 << 30, 100}} {
		resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("0611112222"), InteractionLimit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(resp.GetCustomer().GetRecentInteractions()); got != tc.want {
			t.Errorf("limit %d: %d interactions, want %d", tc.limit, got, tc.want)
		}
	}
}

func TestLookupAmbiguous(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)

	lookup := func(t *testing.T) *herkenv1.LookupResponse {
		t.Helper()
		resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone(landline)})
		if err != nil {
			t.Fatalf("Lookup: %v", err)
		}
		if resp.GetOutcome() != ambiguous {
			t.Fatalf("outcome = %s, want AMBIGUOUS", resp.GetOutcome())
		}
		if resp.Customer != nil {
			t.Errorf("customer set on AMBIGUOUS: %v", resp.GetCustomer())
		}
		checkProto(t, "canonical_identifier", canon(kindPhone, "+31201234567"), resp.GetCanonicalIdentifier())
		return resp
	}

	t.Run("most recent contact first", func(t *testing.T) {
		resp := lookup(t)
		want := []*herkenv1.CustomerSummary{
			{Name: f.anna.GetName(), DisplayName: "Anna de Vries", LastContactTime: stamp(fixedNow.Add(-time.Hour)), LastContactChannel: herkenv1.Channel_CHANNEL_EMAIL},
			{Name: f.jan.GetName(), DisplayName: "Jan de Vries", LastContactTime: stamp(janLast()), LastContactChannel: herkenv1.Channel_CHANNEL_SMS, Tags: []string{"vip"}},
		}
		checkProtos(t, "candidates", want, resp.GetCandidates())
	})

	t.Run("order follows the newest contact", func(t *testing.T) {
		record(t, s, byParent(f.jan.GetName(), call(fixedNow.Add(-10*time.Minute), herkenv1.Channel_CHANNEL_PHONE, "terugbelverzoek")))
		resp := lookup(t)
		var names []string
		for _, c := range resp.GetCandidates() {
			names = append(names, c.GetName())
		}
		if want := []string{f.jan.GetName(), f.anna.GetName()}; !slices.Equal(names, want) {
			t.Errorf("candidates = %v, want %v", names, want)
		}
	})

	t.Run("back-filled history does not reorder", func(t *testing.T) {
		record(t, s, byParent(f.anna.GetName(), call(fixedNow.Add(-72*time.Hour), herkenv1.Channel_CHANNEL_LETTER, "oude brief")))
		resp := lookup(t)
		if got := resp.GetCandidates()[0].GetName(); got != f.jan.GetName() {
			t.Errorf("candidates[0] = %s, want Jan %s", got, f.jan.GetName())
		}
		if got := resp.GetCandidates()[1].GetLastContactChannel(); got != herkenv1.Channel_CHANNEL_EMAIL {
			t.Errorf("Anna's last contact channel = %s, want EMAIL (older letter must not move it)", got)
		}
	})
}

func TestLookupNotFound(t *testing.T) {
	s := newTestServer(t)
	seed(t, s)
	tests := []struct {
		name string
		id   *herkenv1.Identifier
		want *herkenv1.CanonicalIdentifier
	}{
		{"unknown mobile", phone("06-87654321"), canon(kindPhone, "+31687654321")},
		{"unknown foreign number", phone("+32 470 12 34 56"), canon(kindPhone, "+32470123456")},
		{"unknown email", email("piet@example.nl"), canon(kindEmail, "piet@example.nl")},
		{"unknown handle", social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_INSTAGRAM, "jandevries"), canonSocial(herkenv1.SocialPlatform_SOCIAL_PLATFORM_INSTAGRAM, "instagram:jandevries")},
		{"unknown external id", extID("K-999999"), canon(kindExtID, "K-999999")},
		{"case-sensitive external id", extID("k-100001"), canon(kindExtID, "k-100001")},
		{"unknown postal address", postal("1234AB", 10, "A"), canon(kindPostal, "1234AB 10 A")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: tc.id})
			if err != nil {
				t.Fatalf("Lookup: %v (an unknown identifier is OK / NOT_FOUND, not an error)", err)
			}
			if resp.GetOutcome() != notFound || resp.GetWithheld() || resp.Customer != nil || len(resp.GetCandidates()) != 0 {
				t.Errorf("got %v, want outcome NOT_FOUND only", resp)
			}
			checkProto(t, "canonical_identifier", tc.want, resp.GetCanonicalIdentifier())
		})
	}
}

func TestLookupWithheld(t *testing.T) {
	s := newTestServer(t)
	seed(t, s)
	for _, id := range []*herkenv1.Identifier{
		phone("anonymous"), phone(""), phone("0000000000"), phone("private"), phone("Anonymous"),
		phone("+"), phone("-1"), phone("<unknown>"), phone("sip:anonymous@anonymous.invalid"), phone("Nummer onderdrukt"),
		query("anonymous"), query("privé"), query("0000"),
	} {
		t.Run(id.String(), func(t *testing.T) {
			resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: id})
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			want := &herkenv1.LookupResponse{Outcome: notFound, Withheld: true}
			checkProto(t, "response", want, resp)
		})
	}
}

// invalidIdentifiers are malformed identifiers with the reason and field
// (relative to the Identifier) each must produce.
var invalidIdentifiers = []struct {
	name   string
	id     *herkenv1.Identifier
	reason string
	field  string // relative; "" is the Identifier itself
	raw    string // personal input that must not be echoed; "" to skip
}{
	{"phone too short", phone("12"), "PHONE_NUMBER_INVALID", "phone_number", ""},
	{"phone unknown country", phone("+999 123"), "PHONE_NUMBER_INVALID", "phone_number", "+999 123"},
	{"phone letters", phone("abc"), "PHONE_NUMBER_INVALID", "phone_number", ""},
	{"phone vanity", phone("0800-FLOWERS"), "PHONE_NUMBER_INVALID", "phone_number", "0800-FLOWERS"},
	{"phone 65 bytes", phone(strings.Repeat("6", 65)), "PHONE_NUMBER_INVALID", "phone_number", strings.Repeat("6", 65)},
	{"phone too short mobile", phone("06-1234567"), "PHONE_NUMBER_INVALID", "phone_number", "06-1234567"},
	{"phone too long mobile", phone("06-123456789"), "PHONE_NUMBER_INVALID", "phone_number", "06-123456789"},
	{"phone plus inside", phone("06+12345678"), "PHONE_NUMBER_INVALID", "phone_number", "06+12345678"},
	{"phone bad extension", phone("06-12345678 x"), "PHONE_NUMBER_INVALID", "phone_number", "06-12345678"},
	{"email no domain", email("jan@"), "EMAIL_INVALID", "email", "jan@"},
	{"email single label", email("a@b"), "EMAIL_INVALID", "email", ""},
	{"email no at", email("jan.example.nl"), "EMAIL_INVALID", "email", "jan.example.nl"},
	{"email two ats", email("jan@@example.nl"), "EMAIL_INVALID", "email", "jan@@example.nl"},
	{"email no local part", email("@example.nl"), "EMAIL_INVALID", "email", "@example.nl"},
	{"email double dot", email("jan..devries@example.nl"), "EMAIL_INVALID", "email", "jan..devries"},
	{"email IP literal", email("jan@[10.0.0.1]"), "EMAIL_INVALID", "email", "10.0.0.1"},
	{"email empty", email(""), "IDENTIFIER_MISSING", "email", ""},
	{"social platform unspecified", social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_UNSPECIFIED, "jandevries"), "SOCIAL_PLATFORM_INVALID", "social_handle.platform", "jandevries"},
	{"social platform unknown", social(herkenv1.SocialPlatform(99), "jandevries"), "SOCIAL_PLATFORM_INVALID", "social_handle.platform", "jandevries"},
	{"social platform huge", social(herkenv1.SocialPlatform(1<<20), "jandevries"), "SOCIAL_PLATFORM_INVALID", "social_handle.platform", "jandevries"},
	{"social platform negative", social(herkenv1.SocialPlatform(-1), "jandevries"), "SOCIAL_PLATFORM_INVALID", "social_handle.platform", "jandevries"},
	{"social URL of unknown host", social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_UNSPECIFIED, "https://example.com/jandevries"), "SOCIAL_PLATFORM_INVALID", "social_handle.platform", "jandevries"},
	{"social handle too long", social(platformX, "jan_de_vries_amsterdam"), "SOCIAL_HANDLE_INVALID", "social_handle.handle", "jan_de_vries_amsterdam"},
	{"social URL of other platform", social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_INSTAGRAM, "https://x.com/jandevries"), "SOCIAL_HANDLE_INVALID", "social_handle.handle", "jandevries"},
	{"social whatsapp not a number", social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_WHATSAPP, "jandevries"), "SOCIAL_HANDLE_INVALID", "social_handle.handle", "jandevries"},
	{"social handle empty", social(platformX, ""), "IDENTIFIER_MISSING", "social_handle.handle", ""},
	{"social handle message unset", &herkenv1.Identifier{Value: &herkenv1.Identifier_SocialHandle{}}, "IDENTIFIER_MISSING", "social_handle.handle", ""},
	{"external id with space", extID("K 100001"), "EXTERNAL_ID_INVALID", "external_id", "K 100001"},
	{"external id too long", extID(strings.Repeat("K", 129)), "EXTERNAL_ID_INVALID", "external_id", strings.Repeat("K", 129)},
	{"external id empty", extID("  "), "IDENTIFIER_MISSING", "external_id", ""},
	{"postcode leading zero", postal("0123 AB", 10, ""), "POSTAL_ADDRESS_INVALID", "postal_address.postcode", "0123"},
	{"postcode SS", postal("1234 SS", 10, ""), "POSTAL_ADDRESS_INVALID", "postal_address.postcode", "1234 SS"},
	{"house number zero", postal("1234 AB", 0, ""), "POSTAL_ADDRESS_INVALID", "postal_address.house_number", "1234 AB"},
	{"house number too big", postal("1234 AB", 100000, ""), "POSTAL_ADDRESS_INVALID", "postal_address.house_number", "100000"},
	{"addition too long", postal("1234 AB", 10, "toolong"), "POSTAL_ADDRESS_INVALID", "postal_address.house_number_addition", "toolong"},
	{"postcode empty", postal("", 10, ""), "IDENTIFIER_MISSING", "postal_address.postcode", ""},
	{"postal message unset", &herkenv1.Identifier{Value: &herkenv1.Identifier_PostalAddress{}}, "IDENTIFIER_MISSING", "postal_address.postcode", ""},
	{"identifier unset", nil, "IDENTIFIER_MISSING", "", ""},
	{"identifier without value", &herkenv1.Identifier{}, "IDENTIFIER_MISSING", "", ""},
	{"query unrecognised", query("hello world"), "QUERY_UNRECOGNIZED", "query", "hello world"},
	{"query bare handle", query("@jandevries"), "QUERY_UNRECOGNIZED", "query", "jandevries"},
	{"query unknown URL host", query("https://example.com/jan"), "QUERY_UNRECOGNIZED", "query", "example.com"},
	{"query invalid phone", query("06-123"), "PHONE_NUMBER_INVALID", "query", "06-123"},
	{"query invalid email", query("jan@example"), "QUERY_UNRECOGNIZED", "query", "jan@example"},
	{"query invalid handle", query("x:jan_de_vries_amsterdam"), "SOCIAL_HANDLE_INVALID", "query", "jan_de_vries_amsterdam"},
	{"query invalid postcode", query("1234 SS 10"), "POSTAL_ADDRESS_INVALID", "query", "1234 SS"},
	{"query invalid crm id", query("crm:K 1"), "EXTERNAL_ID_INVALID", "query", "K 1"},
	{"query empty", query(""), "IDENTIFIER_MISSING", "query", ""},
	{"query blank", query("   "), "IDENTIFIER_MISSING", "query", ""},
	{"query too long", query(strings.Repeat("a", 1025)), "FIELD_TOO_LONG", "query", strings.Repeat("a", 1025)},
}

func joinField(prefix, rel string) string {
	if rel == "" {
		return prefix
	}
	return prefix + "." + rel
}

func TestLookupInvalid(t *testing.T) {
	s := newTestServer(t)
	seed(t, s)
	for _, tc := range invalidIdentifiers {
		t.Run(tc.name, func(t *testing.T) {
			s.unchanged(t, func() {
				_, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: tc.id})
				checkErr(t, err, wantErr{codes.InvalidArgument, tc.reason, joinField("identifier", tc.field)})
				if tc.raw != "" && strings.Contains(allErrorText(err), tc.raw) {
					t.Errorf("error echoes the input %q:\n%s", tc.raw, allErrorText(err))
				}
			})
		})
	}
}

// TestLookupInvalidSeveral: every violation is reported; the first decides
// the ErrorInfo reason.
func TestLookupInvalidSeveral(t *testing.T) {
	s := newTestServer(t)
	_, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("12"), InteractionLimit: -1})
	info := checkErr(t, err, wantErr{codes.InvalidArgument, "PHONE_NUMBER_INVALID", "identifier.phone_number"})
	if got := info.GetMetadata()["violations"]; got != "2" {
		t.Errorf("metadata[violations] = %q, want 2", got)
	}
	_, _, br := statusDetails(err)
	var fields []string
	for _, fv := range br.GetFieldViolations() {
		fields = append(fields, fv.GetField()+"/"+fv.GetReason())
	}
	if want := []string{"identifier.phone_number/PHONE_NUMBER_INVALID", "interaction_limit/FIELD_INVALID"}; !slices.Equal(fields, want) {
		t.Errorf("field violations = %v, want %v", fields, want)
	}
}

// TestNoPersonalDataInErrors: status messages and details name the field
// and the rule, never the value the client sent.
func TestNoPersonalDataInErrors(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	inputs := []string{
		"06-1234567", "+31 6 1234567", "0612345678901", "+999 612345678", "06-12345678 toestel abc", "0800-BELJAN",
		"jan.de.vries@", "jan.de.vries@example", "jan..de.vries@example.nl", "jan de vries@example.nl", "\"jan\"@example.nl",
		"jan.de.vries@[192.168.1.1]", "jan.de.vries@-example.nl",
	}
	for _, raw := range inputs {
		for _, id := range []*herkenv1.Identifier{phone(raw), email(raw), query(raw)} {
			calls := map[string]error{}
			_, calls["Lookup"] = s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: id})
			_, calls["Resolve"] = s.Recognition.Resolve(ctxT(t), &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678"), id}})
			_, calls["CreateCustomer"] = s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{id}})
			_, calls["RecordInteraction"] = s.Interactions.RecordInteraction(ctxT(t), byIdentifier(id, call(fixedNow, herkenv1.Channel_CHANNEL_PHONE, "")))
			for rpc, err := range calls {
				if err == nil {
					continue // some inputs are valid for one kind ("06-1234567" as a query is still a phone)
				}
				text := allErrorText(err)
				for _, part := range []string{raw, strings.TrimSpace(strings.Split(raw, "@")[0])} {
					if len(part) >= 4 && strings.Contains(text, part) {
						t.Errorf("%s %v: error contains personal input %q:\n%s", rpc, id, part, text)
					}
				}
			}
		}
	}
	// A conflict names the holder by resource name, never by identifier value.
	_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{social(platformX, "@JanDeVries")}})
	checkErr(t, err, wantErr{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifiers[0]"})
	if text := allErrorText(err); strings.Contains(strings.ToLower(text), "jandevries") || strings.Contains(text, f.jan.GetDisplayName()) {
		t.Errorf("ALREADY_EXISTS carries personal data:\n%s", text)
	}
}

func TestResolve(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	jan, anna := f.jan.GetName(), f.anna.GetName()
	annaSummary := &herkenv1.CustomerSummary{Name: anna, DisplayName: "Anna de Vries", LastContactTime: stamp(fixedNow.Add(-time.Hour)), LastContactChannel: herkenv1.Channel_CHANNEL_EMAIL}
	janSummary := &herkenv1.CustomerSummary{Name: jan, DisplayName: "Jan de Vries", LastContactTime: stamp(janLast()), LastContactChannel: herkenv1.Channel_CHANNEL_SMS, Tags: []string{"vip"}}
	m := func(outcome herkenv1.MatchOutcome, c *herkenv1.CanonicalIdentifier, customers ...string) *herkenv1.IdentifierMatch {
		return &herkenv1.IdentifierMatch{CanonicalIdentifier: c, Outcome: outcome, Customers: customers}
	}
	mobile := canon(kindPhone, "+31612345678")
	land := canon(kindPhone, "+31201234567")

	tests := []struct {
		name       string
		ids        []*herkenv1.Identifier
		limit      int32
		outcome    herkenv1.ResolveOutcome
		customer   string // "" for none
		wantRecent int
		matches    []*herkenv1.IdentifierMatch
		candidates []*herkenv1.CustomerSummary
	}{
		{
			name: "email and phone of one customer", ids: []*herkenv1.Identifier{email("Jan@Example.NL"), phone("06-12345678")},
			outcome: herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED, customer: jan, wantRecent: 10,
			matches: []*herkenv1.IdentifierMatch{m(found, canon(kindEmail, "jan@example.nl"), jan), m(found, mobile, jan)},
		},
		{
			name: "interaction limit applies", ids: []*herkenv1.Identifier{extID("K-100001")}, limit: 2,
			outcome: herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED, customer: jan, wantRecent: 2,
			matches: []*herkenv1.IdentifierMatch{m(found, canon(kindExtID, "K-100001"), jan)},
		},
		{
			name: "household landline and Anna's email", ids: []*herkenv1.Identifier{phone(landline), email("anna@example.nl")},
			outcome: herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED, customer: anna, wantRecent: 1,
			matches: []*herkenv1.IdentifierMatch{m(ambiguous, land, jan, anna), m(found, canon(kindEmail, "anna@example.nl"), anna)},
		},
		{
			name: "same phone twice in two spellings", ids: []*herkenv1.Identifier{phone("06-12345678"), query("+31612345678")},
			outcome: herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED, customer: jan, wantRecent: 10,
			matches: []*herkenv1.IdentifierMatch{m(found, mobile, jan), m(found, mobile, jan)},
		},
		{
			name: "unknown email and known phone", ids: []*herkenv1.Identifier{email("jan.nieuw@example.nl"), phone("06-12345678")},
			outcome: herkenv1.ResolveOutcome_RESOLVE_OUTCOME_PARTIAL, customer: jan, wantRecent: 10,
			matches: []*herkenv1.IdentifierMatch{m(notFound, canon(kindEmail, "jan.nieuw@example.nl")), m(found, mobile, jan)},
		},
		{
			name: "withheld caller and known email", ids: []*herkenv1.Identifier{phone("anonymous"), email("anna@example.nl")},
			outcome: herkenv1.ResolveOutcome_RESOLVE_OUTCOME_PARTIAL, customer: anna, wantRecent: 1,
			matches: []*herkenv1.IdentifierMatch{{Withheld: true, Outcome: notFound}, m(found, canon(kindEmail, "anna@example.nl"), anna)},
		},
		{
			name: "identifiers of different customers", ids: []*herkenv1.Identifier{email("jan@example.nl"), extID("K-100002")},
			outcome:    herkenv1.ResolveOutcome_RESOLVE_OUTCOME_CONFLICT,
			matches:    []*herkenv1.IdentifierMatch{m(found, canon(kindEmail, "jan@example.nl"), jan), m(found, canon(kindExtID, "K-100002"), anna)},
			candidates: []*herkenv1.CustomerSummary{annaSummary, janSummary},
		},
		{
			name: "only the shared landline", ids: []*herkenv1.Identifier{phone(landline)},
			outcome:    herkenv1.ResolveOutcome_RESOLVE_OUTCOME_AMBIGUOUS,
			matches:    []*herkenv1.IdentifierMatch{m(ambiguous, land, jan, anna)},
			candidates: []*herkenv1.CustomerSummary{annaSummary, janSummary},
		},
		{
			name: "shared landline and unknown email", ids: []*herkenv1.Identifier{phone(landline), email("gezin@example.nl")},
			outcome:    herkenv1.ResolveOutcome_RESOLVE_OUTCOME_AMBIGUOUS,
			matches:    []*herkenv1.IdentifierMatch{m(ambiguous, land, jan, anna), m(notFound, canon(kindEmail, "gezin@example.nl"))},
			candidates: []*herkenv1.CustomerSummary{annaSummary, janSummary},
		},
		{
			name: "all unknown", ids: []*herkenv1.Identifier{email("piet@example.nl"), phone("06-87654321")},
			outcome: herkenv1.ResolveOutcome_RESOLVE_OUTCOME_NOT_FOUND,
			matches: []*herkenv1.IdentifierMatch{m(notFound, canon(kindEmail, "piet@example.nl")), m(notFound, canon(kindPhone, "+31687654321"))},
		},
		{
			name: "only withheld", ids: []*herkenv1.Identifier{phone("private")},
			outcome: herkenv1.ResolveOutcome_RESOLVE_OUTCOME_NOT_FOUND,
			matches: []*herkenv1.IdentifierMatch{{Withheld: true, Outcome: notFound}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var resp *herkenv1.ResolveResponse
			s.unchanged(t, func() {
				var err error
				resp, err = s.Recognition.Resolve(ctxT(t), &herkenv1.ResolveRequest{Identifiers: tc.ids, InteractionLimit: tc.limit})
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
			})
			if resp.GetOutcome() != tc.outcome {
				t.Errorf("outcome = %s, want %s", resp.GetOutcome(), tc.outcome)
			}
			checkProtos(t, "matches", tc.matches, resp.GetMatches())
			checkProtos(t, "candidates", tc.candidates, resp.GetCandidates())
			if got := resp.GetCustomer().GetCustomer().GetName(); got != tc.customer {
				t.Errorf("customer = %q, want %q", got, tc.customer)
			}
			if got := len(resp.GetCustomer().GetRecentInteractions()); got != tc.wantRecent {
				t.Errorf("%d recent interactions, want %d", got, tc.wantRecent)
			}
		})
	}
}

func TestResolveInvalid(t *testing.T) {
	s := newTestServer(t)
	seed(t, s)
	eleven := make([]*herkenv1.Identifier, 11)
	for i := range eleven {
		eleven[i] = phone("06-12345678")
	}
	tests := []struct {
		name string
		req  *herkenv1.ResolveRequest
		want wantErr
	}{
		{"no identifiers", &herkenv1.ResolveRequest{}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "identifiers"}},
		{"eleven identifiers", &herkenv1.ResolveRequest{Identifiers: eleven}, wantErr{codes.InvalidArgument, "TOO_MANY_VALUES", "identifiers"}},
		{"negative limit", &herkenv1.ResolveRequest{Identifiers: eleven[:1], InteractionLimit: -1}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "interaction_limit"}},
		{"invalid phone among valid", &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{email("jan@example.nl"), phone("12"), extID("K-100001")}},
			wantErr{codes.InvalidArgument, "PHONE_NUMBER_INVALID", "identifiers[1].phone_number"}},
		{"invalid email last", &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678"), phone(landline), email("jan@")}},
			wantErr{codes.InvalidArgument, "EMAIL_INVALID", "identifiers[2].email"}},
		{"missing identifier", &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678"), {}}},
			wantErr{codes.InvalidArgument, "IDENTIFIER_MISSING", "identifiers[1]"}},
		{"nil identifier", &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{nil}},
			wantErr{codes.InvalidArgument, "IDENTIFIER_MISSING", "identifiers[0]"}},
		{"unrecognised query", &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678"), query("hello world")}},
			wantErr{codes.InvalidArgument, "QUERY_UNRECOGNIZED", "identifiers[1].query"}},
		{"social platform", &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{social(herkenv1.SocialPlatform(99), "jan")}},
			wantErr{codes.InvalidArgument, "SOCIAL_PLATFORM_INVALID", "identifiers[0].social_handle.platform"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.unchanged(t, func() {
				_, err := s.Recognition.Resolve(ctxT(t), proto.Clone(tc.req).(*herkenv1.ResolveRequest))
				checkErr(t, err, tc.want)
			})
		})
	}

	t.Run("every invalid identifier is listed", func(t *testing.T) {
		_, err := s.Recognition.Resolve(ctxT(t), &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("12"), email("ok@example.nl"), email("a@b")}})
		checkErr(t, err, wantErr{codes.InvalidArgument, "PHONE_NUMBER_INVALID", "identifiers[0].phone_number"})
		_, _, br := statusDetails(err)
		var fields []string
		for _, fv := range br.GetFieldViolations() {
			fields = append(fields, fv.GetField())
		}
		if want := []string{"identifiers[0].phone_number", "identifiers[2].email"}; !slices.Equal(fields, want) {
			t.Errorf("field violations = %v, want %v", fields, want)
		}
	})
}
