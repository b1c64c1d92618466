package main

import (
	"fmt"
	"strconv"
	"strings"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// idFlags are the typed identifier flags (--phone, --email, --handle,
// --external-id, --postcode with --house-number and --addition), in the
// order given on the command line.
type idFlags struct {
	entries     []idEntry
	houseNumber int
	addition    string
}

type idEntry struct{ kind, value string }

type idValue struct {
	f    *idFlags
	kind string
}

func (v idValue) String() string { return "" }
func (v idValue) Set(s string) error {
	v.f.entries = append(v.f.entries, idEntry{v.kind, s})
	return nil
}

// register adds the flags; what says how they are used ("the identifier
// to look up", "an identifier of the customer").
func (f *idFlags) register(c *cmdline, what string, repeatable bool) {
	rep := ""
	if repeatable {
		rep = "; repeatable"
	}
	c.fs.Var(idValue{f, "phone"}, "phone", "`NUMBER`: a phone number as "+what+", any written form (\"06-12345678\", \"+31 6 12345678\")"+rep)
	c.fs.Var(idValue{f, "email"}, "email", "`ADDRESS`: an email address as "+what+rep)
	c.fs.Var(idValue{f, "handle"}, "handle", "`HANDLE`: a social handle as "+what+": \"platform:handle\" (\"x:@jandevries\") or a profile URL"+rep)
	c.fs.Var(idValue{f, "external-id"}, "external-id", "`ID`: the CRM's customer number as "+what+" (\"K-100001\")"+rep)
	c.fs.Var(idValue{f, "postcode"}, "postcode", "`ADDRESS`: a Dutch address as "+what+": \"1234 AB 10\", or the postcode with --house-number"+rep)
	c.fs.IntVar(&f.houseNumber, "house-number", 0, "house number for --postcode")
	c.fs.StringVar(&f.addition, "addition", "", "house number addition for --postcode (\"A\", \"bis\")")
}

func (f *idFlags) count() int { return len(f.entries) }

// identifiers builds the API identifiers; an error is a usage error.
func (f *idFlags) identifiers() ([]*herkenv1.Identifier, error) {
	postcodes := 0
	for _, e := range f.entries {
		if e.kind == "postcode" {
			postcodes++
		}
	}
	if (f.houseNumber != 0 || f.addition != "") && postcodes != 1 {
		return nil, fmt.Errorf("--house-number and --addition go with exactly one --postcode")
	}
	var out []*herkenv1.Identifier
	for _, e := range f.entries {
		id := &herkenv1.Identifier{}
		switch e.kind {
		case "phone":
			id.Value = &herkenv1.Identifier_PhoneNumber{PhoneNumber: e.value}
		case "email":
			id.Value = &herkenv1.Identifier_Email{Email: e.value}
		case "handle":
			id.Value = &herkenv1.Identifier_SocialHandle{SocialHandle: &herkenv1.SocialHandle{Handle: e.value}}
		case "external-id":
			id.Value = &herkenv1.Identifier_ExternalId{ExternalId: e.value}
		case "postcode":
			pa, err := parsePostcode(e.value, f.houseNumber, f.addition)
			if err != nil {
				return nil, err
			}
			id.Value = &herkenv1.Identifier_PostalAddress{PostalAddress: pa}
		}
		out = append(out, id)
	}
	return out, nil
}

// queryOrOne is the identifier of a command that takes a free-form QUERY
// (its arguments) or one typed flag: lookup, screen-pop. An error is a
// usage error.
func (f *idFlags) queryOrOne(c *cmdline) (id *herkenv1.Identifier, query string, err error) {
	query = strings.Join(c.args, " ")
	switch {
	case f.count() == 0 && query == "":
		return nil, "", c.usageError("give a QUERY or one of --phone, --email, --handle, --external-id, --postcode")
	case f.count() > 0 && query != "":
		return nil, "", c.usageError("give either a QUERY or a typed flag, not both")
	case f.count() > 0:
		if id, err = f.one(); err != nil {
			return nil, "", c.usageError("%v", err)
		}
		return id, "", nil
	}
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_Query{Query: query}}, query, nil
}

// one returns the single identifier given, or an error naming the flags.
func (f *idFlags) one() (*herkenv1.Identifier, error) {
	if len(f.entries) != 1 {
		return nil, fmt.Errorf("give exactly one of --phone, --email, --handle, --external-id, --postcode")
	}
	ids, err := f.identifiers()
	if err != nil {
		return nil, err
	}
	return ids[0], nil
}

// parsePostcode reads "1234 AB 10", "1234AB 10-2", "1234 ab, 10a" or, with
// house (and addition) given apart, "1234 AB". The server validates the
// parts.
func parsePostcode(s string, house int, addition string) (*herkenv1.PostalAddress, error) {
	bad := fmt.Errorf("--postcode %q: want \"1234 AB 10\" (postcode and house number) or the postcode with --house-number", s)
	t := strings.TrimSpace(s)
	if len(t) < 6 {
		return nil, bad
	}
	for i := 0; i < 4; i++ {
		if t[i] < '0' || t[i] > '9' {
			return nil, bad
		}
	}
	i := 4
	for i < len(t) && t[i] == ' ' {
		i++
	}
	if i+2 > len(t) || !isLetter(t[i]) || !isLetter(t[i+1]) {
		return nil, bad
	}
	pa := &herkenv1.PostalAddress{Postcode: t[:i+2]}
	rest := strings.TrimLeft(t[i+2:], " ,")
	if rest == "" {
		if house == 0 {
			return nil, bad
		}
		pa.HouseNumber, pa.HouseNumberAddition = int32(house), addition
		return pa, nil
	}
	if house != 0 {
		return nil, fmt.Errorf("--postcode %q already has a house number; drop --house-number", s)
	}
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(rest[:j])
	if err != nil || n > 99999 {
		return nil, bad
	}
	pa.HouseNumber = int32(n)
	pa.HouseNumberAddition = strings.TrimSpace(rest[j:])
	if addition != "" {
		pa.HouseNumberAddition = addition
	}
	return pa, nil
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// describeIdentifier names an input identifier without its kind's
// proto field: "phone 06-12345678".
func describeIdentifier(id *herkenv1.Identifier) string {
	switch v := id.GetValue().(type) {
	case *herkenv1.Identifier_PhoneNumber:
		return "phone " + v.PhoneNumber
	case *herkenv1.Identifier_Email:
		return "email " + v.Email
	case *herkenv1.Identifier_SocialHandle:
		return "handle " + v.SocialHandle.GetHandle()
	case *herkenv1.Identifier_ExternalId:
		return "external id " + v.ExternalId
	case *herkenv1.Identifier_PostalAddress:
		a := v.PostalAddress
		s := fmt.Sprintf("address %s %d", a.GetPostcode(), a.GetHouseNumber())
		if a.GetHouseNumberAddition() != "" {
			s += " " + a.GetHouseNumberAddition()
		}
		return s
	case *herkenv1.Identifier_Query:
		return v.Query
	}
	return "identifier"
}
