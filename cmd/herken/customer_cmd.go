package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/herken/herken/client"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const customerAbout = `Manage customers: read, create, change, list, link and unlink identifiers,
merge and unmerge, erase (AVG/GDPR art. 17) and export (art. 15).

CUSTOMER is a resource name ("customers/{id}") or a bare id. Where the
command has no identifier flags of its own, one of --phone, --email,
--handle, --external-id or --postcode may name the customer instead
(the identifier must belong to exactly one customer).`

var customerSubs = []subcommand{
	{"get", "show one customer", customerGet},
	{"create", "create a customer with its identifiers", customerCreate},
	{"update", "change display name, language, tags or handover note", customerUpdate},
	{"list", "list customers, by tag, name prefix or update time", customerList},
	{"add-identifier", "link an identifier to a customer", customerAddIdentifier},
	{"remove-identifier", "unlink an identifier from a customer", customerRemoveIdentifier},
	{"merge", "merge a duplicate customer into another", customerMerge},
	{"unmerge", "split a merge back out", customerUnmerge},
	{"erase", "erase a customer for real (AVG/GDPR art. 17)", customerErase},
	{"export", "everything herken holds about a customer (AVG/GDPR art. 15)", customerExport},
}

func customerCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runGroup(ctx, "customer", customerAbout, customerSubs, args, stdout, stderr)
}

// customerTarget reads how a command names its customer: the CUSTOMER
// argument or the identifier flags. It checks the command line only.
func (c *cmdline) customerTarget(ids *idFlags) error {
	switch {
	case len(c.args) > 1:
		return c.usageError("unexpected argument %q", c.args[1])
	case len(c.args) == 1 && ids.count() > 0:
		return c.usageError("name the customer either as CUSTOMER or by an identifier flag, not both")
	case len(c.args) == 0 && ids.count() == 0:
		return c.usageError("missing CUSTOMER (customers/{id}) or an identifier flag such as --external-id")
	case len(c.args) == 0 && ids.count() > 1:
		return c.usageError("name the customer by one identifier")
	}
	if ids.count() == 1 {
		if _, err := ids.identifiers(); err != nil {
			return c.usageError("%v", err)
		}
	}
	return nil
}

// openCustomer parses a command that names one customer, connects, and
// returns the client (the caller closes it) and the customer's name.
func (c *cmdline) openCustomer(ctx context.Context, args []string, ids *idFlags) (*client.Client, string, error) {
	if err := c.parse(args); err != nil {
		return nil, "", err
	}
	if err := c.customerTarget(ids); err != nil {
		return nil, "", err
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return nil, "", err
	}
	name, err := c.resolveCustomer(ctx, cl, ids)
	if err != nil {
		cl.Close()
		return nil, "", err
	}
	return cl, name, nil
}

// resolveCustomer returns the customer's resource name: the CUSTOMER
// argument, or the one customer holding the identifier flag (a Lookup).
func (c *cmdline) resolveCustomer(ctx context.Context, cl *client.Client, ids *idFlags) (string, error) {
	if len(c.args) == 1 {
		return customerName(c.args[0]), nil
	}
	id, err := ids.one()
	if err != nil {
		return "", err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Recognition.Lookup(cctx, &herkenv1.LookupRequest{Identifier: id, InteractionLimit: 1})
	if err != nil {
		return "", c.fail(err)
	}
	switch resp.GetOutcome() {
	case herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND:
		return resp.GetCustomer().GetCustomer().GetName(), nil
	case herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS:
		var names []string
		for _, cand := range resp.GetCandidates() {
			names = append(names, cand.GetName()+" ("+cand.GetDisplayName()+")")
		}
		return "", fmt.Errorf("%s belongs to %d customers; name one: %s", describeIdentifier(id), len(names), strings.Join(names, ", "))
	}
	return "", status.Error(codes.NotFound, "no customer has "+describeIdentifier(id))
}

func customerGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "customer get", args: "[flags] CUSTOMER | --external-id ID | --phone N | ...",
		about: `Shows one customer: name, language, tags, handover note and identifiers with
their label, source and verification. For a customer merged into another it
shows the survivor and says so.`,
		examples: `herken customer get --external-id K-100001
herken customer get --phone 06-12345678 --json
herken customer get $(herken lookup -q --email jan@example.nl)`,
	}, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "an identifier of the customer", false)
	cl, name, err := c.openCustomer(ctx, args, &ids)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Customers.GetCustomer(cctx, &herkenv1.GetCustomerRequest{Name: name})
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) {
		if resp.GetMergedName() != "" {
			fmt.Fprintf(w, "%s was merged into %s; showing the survivor.\n\n", resp.GetMergedName(), resp.GetCustomer().GetName())
		}
		renderCustomer(w, resp.GetCustomer(), time.Now())
	})
}

// fieldFlags are the editable fields of a customer.
type fieldFlags struct {
	displayName, language, note string
	tags                        stringList
}

func (f *fieldFlags) register(c *cmdline) {
	c.fs.StringVar(&f.displayName, "display-name", "", "the name an agent greets the customer by (at most 200 characters)")
	c.fs.StringVar(&f.language, "language", "", "preferred language, a BCP 47 tag: \"nl\", \"en\", \"nl-BE\", \"tr\"")
	c.fs.Var(&f.tags, "tag", "a `TAG` such as \"vip\" (repeatable)")
	c.fs.StringVar(&f.note, "note", "", "handover note every agent reads (\"belt liever na 17:00\")")
}

func (f *fieldFlags) tagList() []string {
	var out []string
	for _, t := range f.tags {
		for _, p := range strings.Split(t, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func customerCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "customer create", args: "[flags]",
		about: `Creates a customer with its identifiers in one step: the customer and every
identifier link exist afterwards, or nothing was written. An external id or
a social handle held by another customer is refused (ALREADY_EXISTS).

--request-id makes a retry safe: the same id within 24 hours returns the
customer the first call created. Without it, every run makes a new one (and
prints it with the customer, to retry with).`,
		examples: `herken customer create --display-name "Lotte Smit" --language nl --phone 06-87654321 --email lotte@example.nl --tag nieuw
herken customer create --display-name "Lotte Smit" --external-id K-200001 --source crm --request-id import-200001
herken customer create --display-name "Ahmed" --handle x:@ahmed_nl --note "Stuurt liever DM dan mail" --json`,
	}, stdout, stderr)
	c.serverFlags()
	var fields fieldFlags
	fields.register(c)
	var ids idFlags
	ids.register(c, "an identifier to link", true)
	var source, requestID string
	c.fs.StringVar(&source, "source", "", "where the identifiers came from (\"crm\", \"phone\", \"chat\")")
	c.fs.StringVar(&requestID, "request-id", "", "idempotency key (1..64 of A-Z a-z 0-9 _ -); default: a new one per run")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.wantArgs(0, 0); err != nil {
		return err
	}
	list, err := ids.identifiers()
	if err != nil {
		return c.usageError("%v", err)
	}
	if requestID == "" {
		requestID = newRequestID()
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Customers.CreateCustomer(cctx, &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{DisplayName: fields.displayName, PreferredLanguage: fields.language,
			Tags: fields.tagList(), HandoverNote: fields.note},
		Identifiers: list, RequestId: requestID, IdentifierSource: source,
	})
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) {
		fmt.Fprintf(w, "Created %s (request id %s)\n\n", resp.GetCustomer().GetName(), requestID)
		renderCustomer(w, resp.GetCustomer(), time.Now())
	})
}

func customerUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "customer update", args: "[flags] CUSTOMER | --external-id ID | ...",
		about: `Changes the fields given: --display-name, --language, --tag (the tags given
replace the customer's; --tag "" clears them) and --note (--note "" clears
it). With --etag (from customer get --json) the update is refused, ABORTED,
when the customer changed since it was read.`,
		examples: `herken customer update --external-id K-100001 --note "Belt liever na 17:00; spreekt ook Engels. Nieuw adres per 1 maart."
herken customer update --external-id K-100001 --tag vip --tag verhuizing
herken customer update --phone 06-34567890 --language nl --json
herken customer update --external-id K-100001 --note ""       # clear the note`,
	}, stdout, stderr)
	c.serverFlags()
	var fields fieldFlags
	fields.register(c)
	var ids idFlags
	ids.register(c, "an identifier of the customer", false)
	var etag string
	c.fs.StringVar(&etag, "etag", "", "refuse the update if the customer changed since this etag was read")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.customerTarget(&ids); err != nil {
		return err
	}
	var paths []string
	c.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "display-name":
			paths = append(paths, "display_name")
		case "language":
			paths = append(paths, "preferred_language")
		case "tag":
			paths = append(paths, "tags")
		case "note":
			paths = append(paths, "handover_note")
		}
	})
	if len(paths) == 0 {
		return c.usageError("nothing to change: give --display-name, --language, --tag or --note")
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	name, err := c.resolveCustomer(ctx, cl, &ids)
	if err != nil {
		return err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Customers.UpdateCustomer(cctx, &herkenv1.UpdateCustomerRequest{
		Customer: &herkenv1.Customer{Name: name, DisplayName: fields.displayName, PreferredLanguage: fields.language,
			Tags: fields.tagList(), HandoverNote: fields.note, Etag: etag},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: paths},
	})
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) {
		fmt.Fprintf(w, "Updated %s (%s)\n\n", resp.GetCustomer().GetName(), strings.Join(paths, ", "))
		renderCustomer(w, resp.GetCustomer(), time.Now())
	})
}

func customerList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "customer list", args: "[flags]",
		about: `Lists customers, optionally by tag, display-name prefix (a word of the name,
without case or accents: "yilmaz" finds "Mehmet Yılmaz") and update time.
One page at a time (--page-token continues), or every page with --all.`,
		examples: `herken customer list --tag vip
herken customer list --prefix bakker
herken customer list --updated-since 24h            # changed in the last day
herken customer list --updated-since 2025-01-01 --all --json
herken customer list --page-size 5`,
	}, stdout, stderr)
	c.serverFlags()
	var tag, prefix, since, token string
	var size int
	var all bool
	c.fs.StringVar(&tag, "tag", "", "only customers with this tag")
	c.fs.StringVar(&prefix, "prefix", "", "only customers whose display name, or a word in it, starts with this")
	c.fs.StringVar(&since, "updated-since", "", "only customers changed at or after this time: RFC 3339, \"2006-01-02\", or a duration ago (\"24h\", \"7d\")")
	c.fs.IntVar(&size, "page-size", 50, "customers per page (at most 500)")
	c.fs.StringVar(&token, "page-token", "", "the next page of an earlier list (same filters)")
	c.fs.BoolVar(&all, "all", false, "list every page")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.wantArgs(0, 0); err != nil {
		return err
	}
	req := &herkenv1.ListCustomersRequest{PageSize: int32(size), PageToken: token, Tag: tag, DisplayNamePrefix: prefix}
	if since != "" {
		t, err := parseWhen(since, time.Now(), -1)
		if err != nil {
			return c.usageError("--updated-since: %v", err)
		}
		req.UpdatedSince = timestamppb.New(t)
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	out := &herkenv1.ListCustomersResponse{}
	for {
		cctx, cancel := c.callCtx(ctx)
		resp, err := cl.Customers.ListCustomers(cctx, req)
		cancel()
		if err != nil {
			return c.fail(err)
		}
		out.Customers = append(out.Customers, resp.GetCustomers()...)
		out.NextPageToken = resp.GetNextPageToken()
		if !all || resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return c.output(out, func(w io.Writer) {
		if len(out.Customers) == 0 {
			fmt.Fprintln(w, "No customers.")
		} else {
			customerTable(w, out.Customers)
		}
		if out.NextPageToken != "" {
			fmt.Fprintf(w, "\nMore: add --page-token %s (or --all)\n", out.NextPageToken)
		}
	})
}

// identifierEdit runs add-identifier and remove-identifier.
func customerAddIdentifier(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return identifierEdit(ctx, true, args, stdout, stderr)
}

func customerRemoveIdentifier(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return identifierEdit(ctx, false, args, stdout, stderr)
}

func identifierEdit(ctx context.Context, add bool, args []string, stdout, stderr io.Writer) error {
	spec := cmdSpec{
		name: "customer add-identifier", args: "[flags] CUSTOMER (--phone N | --email E | --handle H | --external-id ID | --postcode P)",
		about: `Links one identifier to a customer, with its provenance: --label for agents
("mobiel", "werk"), --source (where it came from) and --verified (the
customer proved they hold it). Adding one the customer already holds updates
its label, source and verified. A shared identifier (phone, email, address,
WhatsApp) may be held by up to 20 customers; an external id or other social
handle by one.`,
		examples: `herken customer add-identifier $(herken lookup -q --external-id K-100001) --email jan.werk@example.nl --label werk --source chat
herken customer add-identifier $(herken lookup -q --external-id K-100001) --phone 06-87654321 --label mobiel --verified
herken customer add-identifier $(herken lookup -q --email sophie.jansen@example.com) --handle x:@sophiej --json`,
	}
	if !add {
		spec = cmdSpec{
			name: "customer remove-identifier", args: "[flags] CUSTOMER (--phone N | --email E | --handle H | --external-id ID | --postcode P)",
			about: `Unlinks one identifier from a customer. Other holders of a shared
identifier keep it. NOT_FOUND / IDENTIFIER_NOT_LINKED (exit 3) when the
customer does not hold it.`,
			examples: `herken customer remove-identifier $(herken lookup -q --external-id K-100001) --handle instagram:jan.devries
herken customer remove-identifier $(herken lookup -q --phone 06-34567890) --phone 020-1234567`,
		}
	}
	c := newCmdline(spec, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "the identifier to "+map[bool]string{true: "link", false: "unlink"}[add], false)
	var label, source string
	var verified bool
	if add {
		c.fs.StringVar(&label, "label", "", "label for agents: \"mobiel\", \"werk\", \"partner\" (at most 32 characters)")
		c.fs.StringVar(&source, "source", "", "where it came from: \"crm\", \"phone\", \"chat\", \"web\"")
		c.fs.BoolVar(&verified, "verified", false, "the customer proved they hold it")
	}
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.wantArgs(1, 1); err != nil {
		return err
	}
	id, err := ids.one()
	if err != nil {
		return c.usageError("%v", err)
	}
	name := customerName(c.args[0])
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	var cust *herkenv1.Customer
	var resp proto.Message
	if add {
		r, err := cl.Customers.AddIdentifier(cctx, &herkenv1.AddIdentifierRequest{Customer: name, Identifier: id, Source: source, Verified: verified, Label: label})
		if err != nil {
			return c.fail(err)
		}
		cust, resp = r.GetCustomer(), r
	} else {
		r, err := cl.Customers.RemoveIdentifier(cctx, &herkenv1.RemoveIdentifierRequest{Customer: name, Identifier: id})
		if err != nil {
			return c.fail(err)
		}
		cust, resp = r.GetCustomer(), r
	}
	return c.output(resp, func(w io.Writer) {
		verb := "Linked"
		if !add {
			verb = "Unlinked"
		}
		fmt.Fprintf(w, "%s %s %s\n\n", verb, describeIdentifier(id), map[bool]string{true: "to", false: "from"}[add]+" "+cust.GetName())
		renderCustomer(w, cust, time.Now())
	})
}

func customerMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "customer merge", args: "[flags] MERGED --into SURVIVOR",
		about: `Merges the customer MERGED (a duplicate) into SURVIVOR in one atomic step:
identifiers, history, promises and feedback move to the survivor, MERGED's
name keeps working (it reaches the survivor), and 'herken customer unmerge'
splits it back out exactly. For fields both have the survivor's value wins
unless --take names the field (display_name, preferred_language, tags,
handover_note).`,
		examples: `herken customer merge $(herken lookup -q --phone 06-34567890) --into $(herken lookup -q --phone 06-23456789)
herken customer merge customers/B --into customers/A --take display_name,handover_note --json`,
	}, stdout, stderr)
	c.serverFlags()
	var into, take string
	c.fs.StringVar(&into, "into", "", "the customer that stays (required)")
	c.fs.StringVar(&take, "take", "", "comma-separated fields to take from MERGED even when the survivor has them")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.wantArgs(1, 1); err != nil {
		return err
	}
	if into == "" {
		return c.usageError("--into SURVIVOR is required")
	}
	req := &herkenv1.MergeCustomersRequest{Survivor: customerName(into), Merged: customerName(c.args[0])}
	if take != "" {
		req.TakeFromMerged = &fieldmaskpb.FieldMask{Paths: strings.Split(take, ",")}
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Customers.MergeCustomers(cctx, req)
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) {
		fmt.Fprintf(w, "Merged %s into %s (undo: herken customer unmerge %s)\n\n", req.Merged, req.Survivor, req.Merged)
		renderCustomer(w, resp.GetSurvivor(), time.Now())
	})
}

func customerUnmerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "customer unmerge", args: "[flags] MERGED",
		about: `Splits a merge back out: MERGED comes back under its own name with its
fields, identifiers, history and promises; what was added to the survivor
after the merge stays with the survivor.`,
		examples: `B=$(herken lookup -q --phone 06-34567890)
herken customer merge $B --into $(herken lookup -q --phone 06-23456789)
herken customer unmerge $B
herken customer unmerge $B --json                     # again: FAILED_PRECONDITION / CUSTOMER_NOT_MERGED`,
	}, stdout, stderr)
	c.serverFlags()
	cl, err := c.open(ctx, args, 1, 1)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Customers.UnmergeCustomers(cctx, &herkenv1.UnmergeCustomersRequest{Merged: customerName(c.args[0])})
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) {
		fmt.Fprintf(w, "Unmerged %s from %s\n\n", resp.GetMerged().GetName(), resp.GetSurvivor().GetName())
		renderCustomer(w, resp.GetMerged(), time.Now())
		fmt.Fprintln(w, "\nSurvivor:")
		renderCustomer(w, resp.GetSurvivor(), time.Now())
	})
}

func customerErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "customer erase", args: "--yes [flags] CUSTOMER | --external-id ID | ...",
		about: `Erases a customer for real (AVG/GDPR art. 17): the record, identifiers,
history, promises and feedback, and the customers merged into it. It cannot
be undone, so it needs --yes. Afterwards the name answers NOT_FOUND /
CUSTOMER_ERASED. Export first if the person asked for their data.`,
		examples: `herken customer erase --yes --phone 06-45678901        # not linked to anybody: exit 3
herken customer erase --yes --email mehmet@example.be
herken customer erase --yes $(herken lookup -q --phone 06-34567890) --json`,
	}, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "an identifier of the customer", false)
	var yes bool
	c.fs.BoolVar(&yes, "yes", false, "yes, erase: it cannot be undone")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.customerTarget(&ids); err != nil {
		return err
	}
	if !yes {
		return c.usageError("erasing cannot be undone: add --yes")
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	name, err := c.resolveCustomer(ctx, cl, &ids)
	if err != nil {
		return err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Customers.EraseCustomer(cctx, &herkenv1.EraseCustomerRequest{Name: name})
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) {
		fmt.Fprintf(w, "Erased %s at %s\n", name, shortTime(resp.GetEraseTime()))
		if len(resp.GetAlsoErased()) > 0 {
			fmt.Fprintf(w, "Also erased (merged into it): %s\n", strings.Join(resp.GetAlsoErased(), ", "))
		}
	})
}

func customerExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "customer export", args: "[flags] CUSTOMER | --external-id ID | ...",
		about: `Shows everything herken holds about one customer (AVG/GDPR art. 15): the
record with identifiers and provenance, the full history with feedback, the
promises, the customers merged into it and who read or changed the data
(the audit trail). --json gives the complete export for the person.
(herken export writes customers as NDJSON for import instead.)`,
		examples: `herken customer export --external-id K-100001
herken customer export --email sophie.jansen@example.com --json > sophie.json`,
	}, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "an identifier of the customer", false)
	cl, name, err := c.openCustomer(ctx, args, &ids)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Customers.ExportCustomer(cctx, &herkenv1.ExportCustomerRequest{Name: name})
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) {
		now := time.Now()
		fmt.Fprintf(w, "Export of %s taken %s\n\n", resp.GetCustomer().GetName(), shortTime(resp.GetExportTime()))
		renderCustomer(w, resp.GetCustomer(), now)
		fmt.Fprintf(w, "\nHistory (%d, newest first):\n", len(resp.GetInteractions()))
		for _, in := range resp.GetInteractions() {
			renderInteraction(w, in, now)
		}
		fmt.Fprintf(w, "\nPromises (%d):\n", len(resp.GetPromises()))
		if len(resp.GetPromises()) > 0 {
			promiseTable(w, resp.GetPromises(), false)
		}
		if len(resp.GetMerges()) > 0 {
			fmt.Fprintf(w, "\nMerged into this customer (%d):\n", len(resp.GetMerges()))
			for _, m := range resp.GetMerges() {
				fmt.Fprintf(w, "  %s (%s) at %s\n", m.GetMerged(), m.GetMergedCustomer().GetDisplayName(), shortTime(m.GetMergeTime()))
			}
		}
		fmt.Fprintf(w, "\nAudit trail (%d, newest first):\n", len(resp.GetAuditRecords()))
		if len(resp.GetAuditRecords()) > 0 {
			t := newTable(w)
			fmt.Fprintln(t, "  TIME\tACTION\tACTOR\tMETHOD")
			for _, a := range resp.GetAuditRecords() {
				fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", shortTime(a.GetTime()), enumText(a.GetAction().String(), "AUDIT_ACTION_"), orDash(a.GetActor()), a.GetMethod())
			}
			t.Flush()
		}
	})
}
