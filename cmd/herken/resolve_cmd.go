package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

var resolveSpec = cmdSpec{
	name:    "resolve",
	args:    "[flags] [QUERY...]",
	summary: "match several identifiers of one contact and say whether they agree on one customer",
	about: `Resolves the identifiers one contact brought (a chat that knows an email
address and a phone number): MATCHED (one customer), PARTIAL (the known ones
agree, some are unknown and could be linked), AMBIGUOUS, CONFLICT (they point
to different customers) or NOT_FOUND (exit 3). Each QUERY argument is one
free-form identifier; the typed flags may be repeated. 1 to 10 identifiers.`,
	examples: `herken resolve --email jan@example.nl --phone 06-12345678
herken resolve jan@example.nl 06-12345678
herken resolve --email jan@example.nl --phone 06-11111111     # PARTIAL: the number is new
herken resolve --phone 06-12345678 --phone 06-23456789        # CONFLICT: Jan and Anna
herken resolve --external-id K-100001 --postcode "1234 AB 10" --json`,
}

func resolveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(resolveSpec, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "one identifier of the contact", true)
	var limit int
	c.e.Int(&limit, "interactions", 10, "recent interactions to show (max 100)")
	if err := c.parse(args); err != nil {
		return err
	}
	list, err := ids.identifiers()
	if err != nil {
		return c.usageError("%v", err)
	}
	for _, q := range c.args {
		list = append(list, &herkenv1.Identifier{Value: &herkenv1.Identifier_Query{Query: q}})
	}
	if len(list) == 0 {
		return c.usageError("give at least one identifier")
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Recognition.Resolve(cctx, &herkenv1.ResolveRequest{Identifiers: list, InteractionLimit: int32(limit)})
	if err != nil {
		return c.fail(err)
	}
	if err := c.output(resp, func(w io.Writer) { renderResolve(w, list, resp, time.Now()) }); err != nil {
		return err
	}
	if resp.GetOutcome() == herkenv1.ResolveOutcome_RESOLVE_OUTCOME_NOT_FOUND {
		return errNoMatch
	}
	return nil
}

func renderResolve(w io.Writer, in []*herkenv1.Identifier, r *herkenv1.ResolveResponse, now time.Time) {
	outcome := enumText(r.GetOutcome().String(), "RESOLVE_OUTCOME_")
	switch r.GetOutcome() {
	case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED:
		fmt.Fprintln(w, "MATCHED: the identifiers agree on one customer.")
	case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_PARTIAL:
		fmt.Fprintln(w, "PARTIAL: the known identifiers agree on one customer; the unknown ones could be linked to it (herken customer add-identifier).")
	case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_AMBIGUOUS:
		fmt.Fprintln(w, "AMBIGUOUS: the identifiers are shared by several customers. Ask who it is.")
	case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_CONFLICT:
		fmt.Fprintln(w, "CONFLICT: the identifiers point to different customers.")
	case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_NOT_FOUND:
		fmt.Fprintln(w, "Unknown: no customer holds any of the identifiers.")
	default:
		fmt.Fprintln(w, outcome)
	}
	fmt.Fprintln(w)
	t := newTable(w)
	fmt.Fprintln(t, "  GIVEN\tCANONICAL\tOUTCOME\tCUSTOMERS")
	for i, m := range r.GetMatches() {
		given := ""
		if i < len(in) {
			given = describeIdentifier(in[i])
		}
		canon := canonicalText(m.GetCanonicalIdentifier())
		if m.GetWithheld() {
			canon = "withheld"
		}
		customers := "-"
		if len(m.GetCustomers()) > 0 {
			customers = strings.Join(m.GetCustomers(), ", ")
		}
		fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", given, canon, enumText(m.GetOutcome().String(), "MATCH_OUTCOME_"), customers)
	}
	t.Flush()
	if len(r.GetCandidates()) > 0 {
		fmt.Fprintln(w, "\nCandidates:")
		renderCandidates(w, r.GetCandidates(), now)
	}
	if r.GetCustomer() != nil {
		fmt.Fprintln(w)
		renderRecognized(w, r.GetCustomer(), now)
	}
}
