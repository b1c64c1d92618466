package herken_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// TestCreateCustomer: input is cleaned, identifiers are linked once each,
// and the customer can be found by every one of them.
func TestCreateCustomer(t *testing.T) {
	e := newEnv(t)
	a, b := e.phone("06-12345678"), e.email("jan@example.nl")
	c, err := e.svc.CreateCustomer(bg, herken.NewCustomer{
		DisplayName: "  Jan de Vries ", PreferredLanguage: "nl_be", Tags: []string{"VIP", "vip", "zakelijk"},
		Identifiers: []identity.Normalized{a, a, b, e.phone("+31 6 12345678")},
	}, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	var linked []identity.Identifier
	for _, l := range c.Identifiers {
		linked = append(linked, l.Identifier)
		if !l.LinkTime.Equal(t0) {
			t.Errorf("link time %v", l.LinkTime)
		}
	}
	if !slices.Equal(linked, []identity.Identifier{a.Identifier, b.Identifier}) {
		t.Fatalf("identifiers %v, want each once in request order", linked)
	}
	if c.DisplayName != "Jan de Vries" || c.PreferredLanguage != "nl-BE" || fmt.Sprint(c.Tags) != "[vip zakelijk]" ||
		!herken.ValidID(c.ID) || c.Revision != 1 || !c.CreateTime.Equal(t0) || !c.UpdateTime.Equal(t0) {
		t.Fatalf("created %+v", c)
	}
	if got, err := e.svc.GetCustomer(bg, c.ID); err != nil || fmt.Sprint(got) != fmt.Sprint(c) {
		t.Fatalf("stored %+v %v", got, err)
	}
	for _, n := range []identity.Normalized{a, b} {
		if res, err := e.svc.Lookup(bg, n, 0); err != nil || res.Outcome != herken.MatchFound || res.Customer.Customer.ID != c.ID {
			t.Fatalf("lookup %v: %+v %v", n.Identifier, res.Outcome, err)
		}
	}
}

// TestCreateCustomerRefused: what cannot be created, and which field of the
// request is to blame. An identifier conflict names the identifier's
// position in the request (duplicates dropped before the store saw them)
// and keeps the store's IdentifierError reachable.
func TestCreateCustomerRefused(t *testing.T) {
	e := newEnv(t)
	kees := e.customer("Kees", e.external("K-100"))
	shared := e.email("info@example.nl")
	for i := range herken.MaxHoldersPerIdentity {
		e.customer(fmt.Sprint("holder ", i), shared)
	}
	a, b := e.phone("06-12345678"), e.phone("06-87654321")
	tests := []struct {
		name   string
		nc     herken.NewCustomer
		reason string
		field  string
		index  int    // IdentifierError.Index: position in the stored list
		holder string // IdentifierError.Holder
	}{
		{"exclusive identifier held", herken.NewCustomer{DisplayName: "Jan", Identifiers: []identity.Normalized{a, a, e.external("K-100")}},
			herken.ReasonIdentifierLinked, "identifiers[2]", 1, kees.ID},
		{"after several duplicates", herken.NewCustomer{Identifiers: []identity.Normalized{a, b, a, b, a, e.external("K-100"), b}},
			herken.ReasonIdentifierLinked, "identifiers[5]", 2, kees.ID},
		{"share limit", herken.NewCustomer{DisplayName: "Jan", Identifiers: []identity.Normalized{a, a, shared}},
			herken.ReasonIdentifierShareLimit, "identifiers[2]", 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.store.Digest()
			_, err := e.svc.CreateCustomer(bg, tc.nc, herken.Write{})
			wantError(t, err, tc.reason, tc.field)
			var ie *herken.IdentifierError
			if !errors.As(err, &ie) || ie.Index != tc.index || ie.Holder != tc.holder {
				t.Fatalf("IdentifierError %+v, want index %d holder %q", ie, tc.index, tc.holder)
			}
			if after, _ := e.store.Digest(); string(after) != string(before) {
				t.Fatal("a refused create wrote something")
			}
		})
	}
	invalid := []struct {
		name   string
		nc     herken.NewCustomer
		reason string
		field  string
	}{
		{"nothing to find it by", herken.NewCustomer{}, herken.ReasonFieldRequired, "display_name"},
		{"blank name", herken.NewCustomer{DisplayName: "   ", Tags: []string{"x"}}, herken.ReasonFieldRequired, "display_name"},
		{"withheld identifier", herken.NewCustomer{DisplayName: "Jan", Identifiers: []identity.Normalized{a, {Withheld: true}}}, herken.ReasonIdentifierWithheld, "identifiers[1]"},
		{"too many identifiers", herken.NewCustomer{DisplayName: "Jan", Identifiers: slices.Repeat([]identity.Normalized{a}, herken.MaxIdentifiers+1)}, herken.ReasonTooManyValues, "identifiers"},
		{"bad language", herken.NewCustomer{DisplayName: "Jan", PreferredLanguage: "not a language"}, herken.ReasonFieldInvalid, "preferred_language"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.store.Digest()
			_, err := e.svc.CreateCustomer(bg, tc.nc, herken.Write{})
			wantError(t, err, tc.reason, tc.field)
			if after, _ := e.store.Digest(); string(after) != string(before) {
				t.Fatal("a refused create wrote something")
			}
		})
	}
	// A name alone, or an identifier alone, is enough.
	if _, err := e.svc.CreateCustomer(bg, herken.NewCustomer{DisplayName: "Walk-in"}, herken.Write{}); err != nil {
		t.Fatalf("name only: %v", err)
	}
	if c, err := e.svc.CreateCustomer(bg, herken.NewCustomer{Identifiers: []identity.Normalized{b}}, herken.Write{}); err != nil || c.DisplayName != "" {
		t.Fatalf("identifier only: %+v %v", c, err)
	}
}

// TestCreateCustomerRequestID: a retry with the same request_id and request
// returns the first customer; another request under it is refused; after
// the idempotency window the id is free again.
func TestCreateCustomerRequestID(t *testing.T) {
	e := newEnv(t)
	nc := herken.NewCustomer{DisplayName: "Jan", Identifiers: []identity.Normalized{e.phone("06-12345678")}}
	w := herken.Write{RequestID: "crm-sync-42"}
	first, err := e.svc.CreateCustomer(bg, nc, w)
	if err != nil {
		t.Fatal(err)
	}
	e.advance(time.Hour)
	// The retry writes the same number in another way: same request.
	retry := nc
	retry.Identifiers = []identity.Normalized{e.phone("+31 6 1234 5678")}
	again, err := e.svc.CreateCustomer(bg, retry, w)
	if err != nil || again.ID != first.ID || !again.CreateTime.Equal(first.CreateTime) {
		t.Fatalf("retry: %+v %v, want %s", again, err, first.ID)
	}
	other := nc
	other.DisplayName = "Piet"
	_, err = e.svc.CreateCustomer(bg, other, w)
	wantError(t, err, herken.ReasonRequestIDReused, "")
	for _, bad := range []string{"has space", "ü", string(make([]byte, 65))} {
		_, err = e.svc.CreateCustomer(bg, other, herken.Write{RequestID: bad})
		wantError(t, err, herken.ReasonRequestIDInvalid, "request_id")
	}
	// After 24 hours the id is forgotten: the same request is new again
	// (and, the number being linked, shares it).
	e.advance(23 * time.Hour)
	fresh, err := e.svc.CreateCustomer(bg, nc, w)
	if err != nil || fresh.ID == first.ID {
		t.Fatalf("after the window: %+v %v, want a new customer", fresh, err)
	}
}

// TestCreateCustomerShared: a shareable identifier is linked to several
// customers, in link order; an exclusive one to one.
func TestCreateCustomerShared(t *testing.T) {
	e := newEnv(t)
	line := e.phone("020-1234567")
	var want []string
	for i := range 3 {
		want = append(want, e.customer("Bakker "+strconv.Itoa(i), line).ID)
	}
	res, err := e.svc.Resolve(bg, []identity.Normalized{line}, 0)
	if err != nil || !slices.Equal(res.Matches[0].Customers, want) {
		t.Fatalf("holders %v %v, want %v in link order", res.Matches[0].Customers, err, want)
	}
}
