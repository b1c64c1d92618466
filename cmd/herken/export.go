package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/herken/herken/internal/importfile"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

var exportSpec = cmdSpec{
	name:    "export",
	args:    "[flags] [CUSTOMER...]",
	summary: "write customers as NDJSON, the format herken import reads",
	about: `Writes every customer (or the CUSTOMERs named, "customers/{id}" or a bare id)
as NDJSON: one herken.v1.ImportRecord per line — external id, display name,
language, tags, handover note and identifiers with their labels. It is what
herken import reads, so a store can be moved (export from one, import into an
empty other) and a CRM can reconcile its records with herken's.

What an export does not carry: herken's own ids, the identifiers' sources (an
import gives them --source) and times, history, promises and feedback (a
Badger backup moves those). The first external id of a customer is its key; a
customer without one is written with an empty external_id, which import
refuses (give it one with herken customer add-identifier --external-id).
Every customer exported is on its audit trail as read (ListCustomers).`,
	examples: `
herken export --out klanten.ndjson
herken export $(herken lookup -q --external-id K-100001)
herken export --page-size 1000 > klanten.ndjson`,
}

func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(exportSpec, stdout, stderr)
	c.serverFlags()
	var out string
	var pageSize int
	c.fs.StringVar(&out, "out", "", "write to this file instead of stdout")
	c.fs.IntVar(&pageSize, "page-size", 500, "customers per ListCustomers page")
	if err := c.parse(args); err != nil {
		return err
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	var w io.Writer = stdout
	var file *os.File
	if out != "" {
		if file, err = os.Create(out); err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	nd := importfile.NewNDJSONWriter(bw)
	var n, keyless int
	write := func(cust *herkenv1.Customer) error {
		rec := exportRecord(cust)
		if rec.GetExternalId() == "" {
			keyless++
		}
		n++
		return nd.Write(rec)
	}
	if len(c.args) > 0 {
		for _, name := range c.args {
			cctx, cancel := c.callCtx(ctx)
			cust, err := cl.GetCustomer(cctx, customerName(name))
			cancel()
			if err != nil {
				return c.fail(err)
			}
			if err := write(cust); err != nil {
				return err
			}
		}
	} else {
		for cust, err := range cl.AllCustomers(ctx, &herkenv1.ListCustomersRequest{PageSize: int32(pageSize)}) {
			if err != nil {
				return c.fail(err)
			}
			if err := write(cust); err != nil {
				return err
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return err
		}
	}
	if out != "" || keyless > 0 {
		fmt.Fprintf(stderr, "herken export: %d customers", n)
		if keyless > 0 {
			fmt.Fprintf(stderr, "; %d without an external id (import refuses those)", keyless)
		}
		fmt.Fprintln(stderr)
	}
	return nil
}

// exportRecord is a customer as herken import reads it: the first external
// id is the key, every other identifier (more external ids included) is
// written as an identifier with its label and verified flag.
func exportRecord(c *herkenv1.Customer) *herkenv1.ImportRecord {
	rec := &herkenv1.ImportRecord{
		DisplayName: c.GetDisplayName(), PreferredLanguage: c.GetPreferredLanguage(),
		Tags: c.GetTags(), HandoverNote: c.GetHandoverNote(),
	}
	for _, li := range c.GetIdentifiers() {
		id := li.GetIdentifier()
		if id.GetKind() == herkenv1.IdentifierKind_IDENTIFIER_KIND_EXTERNAL_ID && rec.ExternalId == "" {
			rec.ExternalId = id.GetValue()
			continue
		}
		in := identifierOf(id)
		if in == nil {
			continue
		}
		rec.Identifiers = append(rec.Identifiers, &herkenv1.ImportIdentifier{Identifier: in, Label: li.GetLabel(), Verified: li.GetVerified()})
	}
	return rec
}

// identifierOf turns a canonical identifier back into the input that
// normalises to it.
func identifierOf(id *herkenv1.CanonicalIdentifier) *herkenv1.Identifier {
	v := id.GetValue()
	switch id.GetKind() {
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_PHONE_NUMBER:
		return &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: v}}
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_EMAIL:
		return &herkenv1.Identifier{Value: &herkenv1.Identifier_Email{Email: v}}
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_EXTERNAL_ID:
		return &herkenv1.Identifier{Value: &herkenv1.Identifier_ExternalId{ExternalId: v}}
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_SOCIAL_HANDLE:
		// The canonical value is "platform:handle".
		_, handle, _ := strings.Cut(v, ":")
		return &herkenv1.Identifier{Value: &herkenv1.Identifier_SocialHandle{SocialHandle: &herkenv1.SocialHandle{Platform: id.GetPlatform(), Handle: handle}}}
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_POSTAL_ADDRESS:
		// "1234AB 10" or "1234AB 10 A".
		parts := strings.SplitN(v, " ", 3)
		if len(parts) < 2 {
			return nil
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			return nil
		}
		pa := &herkenv1.PostalAddress{Postcode: parts[0], HouseNumber: int32(n)}
		if len(parts) == 3 {
			pa.HouseNumberAddition = parts[2]
		}
		return &herkenv1.Identifier{Value: &herkenv1.Identifier_PostalAddress{PostalAddress: pa}}
	}
	return nil
}
