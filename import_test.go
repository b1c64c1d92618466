package herken_test

import (
	"strings"
	"testing"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

var allImport = herken.ImportOptions{Fields: herken.AllCustomerFields, Identifiers: true}

func phoneIn(v, field string) herken.ImportIdentifier {
	return herken.ImportIdentifier{Input: identity.Input{Kind: identity.KindPhone, Value: v}, Field: field}
}

func emailIn(v, field string) herken.ImportIdentifier {
	return herken.ImportIdentifier{Input: identity.Input{Kind: identity.KindEmail, Value: v}, Field: field}
}

func (e *env) importOne(rec herken.ImportRecord, o herken.ImportOptions) herken.ImportResult {
	e.t.Helper()
	res, err := e.svc.ImportCustomers(bg, []herken.ImportRecord{rec}, o, herken.Write{Actor: "test"}, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	return res[0]
}

func TestImportCreatesThenRerunChangesNothing(t *testing.T) {
	e := newEnv(t)
	rec := herken.ImportRecord{
		ExternalID: "K-1", DisplayName: "Jan de Vries", Tags: []string{"VIP"},
		Identifiers: []herken.ImportIdentifier{phoneIn("06-12345678", "identifiers[0]"), emailIn("Jan@Example.nl", "identifiers[1]")},
	}
	rec.Identifiers[0].Label = "mobiel"
	res := e.importOne(rec, allImport)
	if res.Outcome != herken.ImportCreated || len(res.Problems) != 0 {
		t.Fatalf("first import: %+v", res)
	}
	c, err := e.svc.GetCustomer(bg, res.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if c.DisplayName != "Jan de Vries" || len(c.Identifiers) != 3 || c.Identifiers[0].Kind != identity.KindExternalID ||
		c.Identifiers[1].Label != "mobiel" || c.Identifiers[1].Source != "crm" || c.Tags[0] != "vip" {
		t.Fatalf("created customer: %+v", c)
	}
	e.advance(1)
	again := e.importOne(rec, allImport)
	if again.Outcome != herken.ImportUnchanged || again.CustomerID != res.CustomerID {
		t.Fatalf("re-run: %+v", again)
	}
	c2, _ := e.svc.GetCustomer(bg, res.CustomerID)
	if c2.Revision != c.Revision || !c2.UpdateTime.Equal(c.UpdateTime) {
		t.Fatalf("a re-run changed the customer: revision %d -> %d", c.Revision, c2.Revision)
	}
}

func TestImportUpdatesFieldsAndIdentifiersFromItsSourceOnly(t *testing.T) {
	e := newEnv(t)
	rec := herken.ImportRecord{ExternalID: "K-2", DisplayName: "Piet", HandoverNote: "belt vaak",
		Identifiers: []herken.ImportIdentifier{phoneIn("0612345678", "identifiers[0]")}}
	id := e.importOne(rec, allImport).CustomerID
	// An agent links a number of its own.
	if _, err := e.svc.AddIdentifier(bg, id, herken.IdentifierLink{Identifier: e.phone("0201234567"), Source: "phone"}, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	// The CRM changes the name and the mobile number, and has no notes column.
	rec2 := herken.ImportRecord{ExternalID: "K-2", DisplayName: "Piet Jansen",
		Identifiers: []herken.ImportIdentifier{phoneIn("0687654321", "identifiers[0]")}}
	o := allImport
	o.Fields = herken.FieldDisplayName | herken.FieldTags
	res := e.importOne(rec2, o)
	if res.Outcome != herken.ImportUpdated || res.CustomerID != id {
		t.Fatalf("update: %+v", res)
	}
	c, _ := e.svc.GetCustomer(bg, id)
	var vals []string
	for _, li := range c.Identifiers {
		vals = append(vals, li.Value)
	}
	if c.DisplayName != "Piet Jansen" || c.HandoverNote != "belt vaak" ||
		strings.Join(vals, ",") != "K-2,+31201234567,+31687654321" {
		t.Fatalf("after update: name %q note %q identifiers %v", c.DisplayName, c.HandoverNote, vals)
	}
	if got := e.svc.Lookup; got == nil {
		t.Fatal()
	}
}

func TestImportDropsBadIdentifiersAndKeepsTheRecord(t *testing.T) {
	e := newEnv(t)
	// Someone else holds the handle: exclusive.
	other := e.importOne(herken.ImportRecord{ExternalID: "K-9", DisplayName: "Ander",
		Identifiers: []herken.ImportIdentifier{{Input: identity.Input{Kind: identity.KindSocial, Value: "x:@jan"}, Field: "identifiers[0]"}}}, allImport)
	if other.Outcome != herken.ImportCreated {
		t.Fatalf("%+v", other)
	}
	rec := herken.ImportRecord{ExternalID: "K-3", DisplayName: "Jan",
		Identifiers: []herken.ImportIdentifier{
			phoneIn("12", "identifiers[0]"),            // invalid
			emailIn("test@test.com", "identifiers[1]"), // blocked placeholder
			{Input: identity.Input{Kind: identity.KindSocial, Value: "x:@jan"}, Field: "identifiers[2]"}, // held by K-9
			phoneIn("0612345678", "identifiers[3]"),
			{Missing: true, Field: "identifiers[4]"},
			phoneIn("anonymous", "identifiers[5]"), // withheld
		}}
	res := e.importOne(rec, allImport)
	if res.Outcome != herken.ImportCreated || res.Dropped != 5 {
		t.Fatalf("result: %+v", res)
	}
	reasons := map[string]string{}
	for _, p := range res.Problems {
		f, _, _ := strings.Cut(p.Field, ".") // "identifiers[0].phone_number"
		reasons[f] = p.Reason
		if strings.Contains(p.Description, "test@test.com") || strings.Contains(p.Description, "jan") {
			t.Fatalf("problem shows the value: %+v", p)
		}
	}
	want := map[string]string{
		"identifiers[0]": herken.ReasonPhoneInvalid, "identifiers[1]": herken.ReasonIdentifierBlocked,
		"identifiers[2]": herken.ReasonIdentifierLinked, "identifiers[4]": herken.ReasonIdentifierMissing,
		"identifiers[5]": herken.ReasonIdentifierWithheld,
	}
	for f, r := range want {
		if reasons[f] != r {
			t.Errorf("%s: reason %q, want %q (all: %v)", f, reasons[f], r, reasons)
		}
	}
	c, _ := e.svc.GetCustomer(bg, res.CustomerID)
	if len(c.Identifiers) != 2 {
		t.Fatalf("identifiers: %+v", c.Identifiers)
	}
	// With skip_record_on_bad_identifier the record fails and nothing is written.
	o := allImport
	o.SkipRecordOnBadIdentifier = true
	rec.ExternalID = "K-4"
	if res := e.importOne(rec, o); res.Outcome != herken.ImportFailed || res.CustomerID != "" {
		t.Fatalf("skip record: %+v", res)
	}
	if hits, _ := e.svc.Lookup(bg, e.normalize(identity.Input{Kind: identity.KindExternalID, Value: "K-4"}), 0); hits.Outcome != herken.MatchNotFound {
		t.Fatalf("a failed record was written: %+v", hits)
	}
}

func TestImportRecordProblemsFailOnlyThatRecord(t *testing.T) {
	e := newEnv(t)
	recs := []herken.ImportRecord{
		{ExternalID: "", DisplayName: "Zonder sleutel"},
		{ExternalID: "K-5", DisplayName: strings.Repeat("x", herken.MaxDisplayNameRunes+1)},
		{ExternalID: "K-6", DisplayName: "Goed"},
		{ExternalID: "K-6", DisplayName: "Dubbel"},
		{ExternalID: "K-7", PreferredLanguage: "klingon!!"},
	}
	res, err := e.svc.ImportCustomers(bg, recs, allImport, herken.Write{}, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		out    herken.ImportOutcome
		reason string
	}{
		{herken.ImportFailed, herken.ReasonFieldRequired},
		{herken.ImportFailed, herken.ReasonFieldTooLong},
		{herken.ImportCreated, ""},
		{herken.ImportFailed, herken.ReasonExternalIDDuplicate},
		{herken.ImportFailed, ""},
	}
	for i, w := range want {
		if res[i].Outcome != w.out || w.reason != "" && (len(res[i].Problems) == 0 || res[i].Problems[0].Reason != w.reason) {
			t.Errorf("record %d: %+v, want %v %s", i, res[i], w.out, w.reason)
		}
	}
	c, _ := e.svc.GetCustomer(bg, res[2].CustomerID)
	if c.DisplayName != "Goed" {
		t.Fatalf("the duplicate was applied: %q", c.DisplayName)
	}
}

func TestImportValidateOnlyWritesNothing(t *testing.T) {
	e := newEnv(t)
	o := allImport
	o.ValidateOnly = true
	res := e.importOne(herken.ImportRecord{ExternalID: "K-8", DisplayName: "Nieuw"}, o)
	if res.Outcome != herken.ImportCreated || res.CustomerID != "" {
		t.Fatalf("%+v", res)
	}
	if hits, _ := e.svc.Lookup(bg, e.normalize(identity.Input{Kind: identity.KindExternalID, Value: "K-8"}), 0); hits.Outcome != herken.MatchNotFound {
		t.Fatal("validate_only wrote")
	}
	id := e.importOne(herken.ImportRecord{ExternalID: "K-8", DisplayName: "Nieuw"}, allImport).CustomerID
	res = e.importOne(herken.ImportRecord{ExternalID: "K-8", DisplayName: "Anders"}, o)
	if res.Outcome != herken.ImportUpdated || res.CustomerID != id {
		t.Fatalf("%+v", res)
	}
	if c, _ := e.svc.GetCustomer(bg, id); c.DisplayName != "Nieuw" {
		t.Fatal("validate_only updated")
	}
}

func TestImportShareLimitDropsTheIdentifier(t *testing.T) {
	e := newEnv(t)
	var recs []herken.ImportRecord
	for i := range herken.MaxHoldersPerIdentity + 1 {
		recs = append(recs, herken.ImportRecord{ExternalID: "H-" + string(rune('a'+i)), DisplayName: "Huis",
			Identifiers: []herken.ImportIdentifier{phoneIn("0201234567", "identifiers[0]")}})
	}
	res, err := e.svc.ImportCustomers(bg, recs, allImport, herken.Write{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	last := res[len(res)-1]
	if last.Outcome != herken.ImportCreated || last.Dropped != 1 || last.Problems[0].Reason != herken.ReasonIdentifierShareLimit {
		t.Fatalf("21st holder: %+v", last)
	}
}

func TestImportOptionsSource(t *testing.T) {
	if _, err := herken.CheckImportOptions(herken.ImportOptions{Source: "Bad Source!"}); err == nil {
		t.Fatal("bad source accepted")
	}
	o, err := herken.CheckImportOptions(herken.ImportOptions{})
	if err != nil || o.Source != herken.DefaultImportSource {
		t.Fatalf("%+v %v", o, err)
	}
}

// A re-sync after herken merged two CRM records does not undo the merge:
// the merged record's identifiers stay with the survivor, and the record
// whose key a merge brought is not applied to the survivor (it fails with
// CUSTOMER_MERGED) — whatever order the records run in.
func TestImportKeepsMerges(t *testing.T) {
	e := newEnv(t)
	recs := []herken.ImportRecord{
		{ExternalID: "K-1", DisplayName: "Jan de Vries", Identifiers: []herken.ImportIdentifier{phoneIn("0612345678", "identifiers[0]")}},
		{ExternalID: "K-2", DisplayName: "J. de Vries", Identifiers: []herken.ImportIdentifier{emailIn("j@example.nl", "identifiers[0]")}},
	}
	res, err := e.svc.ImportCustomers(bg, recs, allImport, herken.Write{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	jan, dup := res[0].CustomerID, res[1].CustomerID
	if _, err := e.svc.MergeCustomers(bg, jan, dup, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	before, _ := e.svc.GetCustomer(bg, jan)
	for _, order := range [][]herken.ImportRecord{recs, {recs[1], recs[0]}} {
		res, err := e.svc.ImportCustomers(bg, order, allImport, herken.Write{}, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			switch {
			case r.Outcome == herken.ImportUnchanged && r.CustomerID == jan:
			case r.Outcome == herken.ImportFailed && len(r.Problems) == 1 && r.Problems[0].Reason == herken.ReasonCustomerMerged:
			default:
				t.Fatalf("re-sync after a merge: %+v", res)
			}
		}
	}
	after, _ := e.svc.GetCustomer(bg, jan)
	if len(after.Identifiers) != len(before.Identifiers) || after.DisplayName != before.DisplayName || after.Revision != before.Revision {
		t.Fatalf("the re-sync changed the survivor:\n%+v\n%+v", before, after)
	}
}

// Many refused identifiers in one record are all dropped, however many.
func TestImportManyRefusedIdentifiers(t *testing.T) {
	e := newEnv(t)
	var mine []herken.ImportIdentifier
	for i := range 9 {
		ext := "X-" + string(rune('a'+i))
		e.importOne(herken.ImportRecord{ExternalID: ext, DisplayName: "Ander"}, allImport)
		mine = append(mine, herken.ImportIdentifier{Input: identity.Input{Kind: identity.KindExternalID, Value: ext}, Field: "identifiers[" + string(rune('0'+i)) + "]"})
	}
	res := e.importOne(herken.ImportRecord{ExternalID: "K-1", DisplayName: "Jan", Identifiers: mine}, allImport)
	if res.Outcome != herken.ImportCreated || res.Dropped != 9 {
		t.Fatalf("9 taken external ids: %+v", res)
	}
	for _, p := range res.Problems {
		if p.Reason != herken.ReasonIdentifierLinked {
			t.Fatalf("problem %+v", p)
		}
	}
}

// An extra external id that is another record's key is left out of the
// record that lists it; both customers are created.
func TestImportExtraKeyOfAnotherRecord(t *testing.T) {
	e := newEnv(t)
	recs := []herken.ImportRecord{
		{ExternalID: "K-1", DisplayName: "Jan", Identifiers: []herken.ImportIdentifier{{Input: identity.Input{Kind: identity.KindExternalID, Value: "K-2"}, Field: "identifiers[0]"}}},
		{ExternalID: "K-2", DisplayName: "Piet"},
	}
	res, err := e.svc.ImportCustomers(bg, recs, allImport, herken.Write{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != herken.ImportCreated || res[0].Dropped != 1 || res[0].Problems[0].Reason != herken.ReasonExternalIDDuplicate ||
		res[1].Outcome != herken.ImportCreated || res[0].CustomerID == res[1].CustomerID {
		t.Fatalf("results: %+v", res)
	}
}
