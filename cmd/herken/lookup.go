package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

var lookupSpec = cmdSpec{
	name:    "lookup",
	args:    "[flags] QUERY | --phone N | --email E | --handle H | --external-id ID | --postcode \"1234 AB 10\"",
	summary: "who is this? look up one identifier and show the customer for an agent",
	about: `Looks up one identifier and prints what an agent needs: who it is (name,
language, tags, handover note), the identifiers, open promises with the
overdue ones first (marked TE LAAT / OVERDUE), the contact summary and the
last contacts with their notes. Several customers sharing the identifier (a
household line) are listed as AMBIGUOUS; no match is "unknown caller", exit 3.

QUERY is free-form, its kind detected: a phone number, an email address,
"x:@handle", a profile URL, "1234 AB 10", or "crm:K-100001". A CRM customer
number alone cannot be told from a phone number or a handle: use
--external-id. The typed flags say the kind.`,
	examples: `herken lookup 06-12345678
herken lookup --phone "+31 6 12345678" --interactions 3
herken lookup --external-id K-100001
herken lookup --email jan@example.nl --json
herken lookup --handle x:@jandevries
herken lookup --handle https://www.instagram.com/jan.devries/
herken lookup --postcode "1234 AB 10"
herken lookup --postcode "1234 AB" --house-number 10
herken lookup 020-1234567            # a household line: AMBIGUOUS, two candidates
herken lookup 06-11111111            # unknown caller, exit 3
herken lookup -q --external-id K-100001   # only the customer's name, for scripts`,
}

func lookup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(lookupSpec, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "the identifier to look up", false)
	var limit int
	var quiet bool
	c.e.Int(&limit, "interactions", 10, "recent interactions to show (max 100)")
	c.fs.BoolVar(&quiet, "q", false, "print only the customer's resource name (FOUND), for scripts")
	if err := c.parse(args); err != nil {
		return err
	}
	id, query, err := ids.queryOrOne(c)
	if err != nil {
		return err
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Recognition.Lookup(cctx, &herkenv1.LookupRequest{Identifier: id, InteractionLimit: int32(limit)})
	if err != nil {
		if query != "" {
			return queryHint(c.fail(err), "lookup", query)
		}
		return c.fail(err)
	}
	switch {
	case quiet && resp.GetOutcome() == herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND:
		fmt.Fprintln(stdout, resp.GetCustomer().GetCustomer().GetName())
	case quiet && resp.GetOutcome() == herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS:
		for _, cand := range resp.GetCandidates() {
			fmt.Fprintln(stdout, cand.GetName())
		}
	case quiet:
	default:
		if err := c.output(resp, func(w io.Writer) { renderLookup(w, resp, time.Now()) }); err != nil {
			return err
		}
	}
	if resp.GetOutcome() == herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND {
		return errNoMatch
	}
	return nil
}

// queryHint adds to a failed free-form query the typed flag to use
// instead: a bare CRM number ("K-100001") is no query kind.
func queryHint(err error, command, query string) error {
	cs, ok := statusOf(err)
	if !ok || cs.code != codes.InvalidArgument || cs.reason != "QUERY_UNRECOGNIZED" {
		return err
	}
	hint := "hint: say what the value is with --phone, --email, --handle, --external-id or --postcode"
	if !strings.ContainsAny(query, " @:/") {
		hint = fmt.Sprintf("hint: a CRM customer number? herken %s --external-id %s (or the query \"crm:%s\"); other kinds: --phone, --email, --handle, --postcode", command, query, query)
	}
	return &hintError{err: err, hint: hint}
}
