package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const interactionAbout = `Record contacts in a customer's history and read it back. The customer is
CUSTOMER ("customers/{id}" or a bare id) or one identifier flag: record
accepts any identifier exactly one customer holds (the caller's number).`

var interactionSubs = []subcommand{
	{"record", "record a contact with its handover note", interactionRecord},
	{"list", "list a customer's history, newest first", interactionList},
}

func interactionCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runGroup(ctx, "interaction", interactionAbout, interactionSubs, args, stdout, stderr)
}

var (
	directionAliases = map[string]string{"in": "DIRECTION_INBOUND", "out": "DIRECTION_OUTBOUND"}
	outcomeAliases   = map[string]string{"followup": "INTERACTION_OUTCOME_FOLLOW_UP"}
)

func interactionRecord(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "interaction record", args: "[flags] (CUSTOMER | --phone N | --email E | ...) --channel C --direction D --outcome O --summary TEXT",
		about: `Appends a contact to a customer's history: the channel, who started it, how
it ended and the handover note the next agent reads. By identifier, the
identifier is kept with the contact; one several customers share is refused
(FAILED_PRECONDITION / IDENTIFIER_AMBIGUOUS): name the customer instead.
--request-id makes a retry safe (default: a new one per run).`,
		examples: `herken interaction record --phone 06-12345678 --channel phone --direction in --outcome resolved --agent agent-042 --summary "Monteur bevestigd voor donderdag; klant tevreden."
herken interaction record --email sophie.jansen@example.com --channel email --direction out --outcome follow-up --summary "Offerte verstuurd" --case 2025-0042
herken interaction record --external-id K-100001 --channel chat --direction in --outcome escalated --duration 8m --at 30m --summary "Klacht over monteur; naar teamleider" --json`,
	}, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "the identifier the contact came in on", false)
	var channel, direction, outcome, agent, summary, caseRef, at, requestID string
	var dur time.Duration
	c.fs.StringVar(&channel, "channel", "", "channel (required): "+inputChannels())
	c.fs.StringVar(&direction, "direction", "", "who started it (required): in or out")
	c.fs.StringVar(&outcome, "outcome", "", "how it ended (required): "+enumChoices("INTERACTION_OUTCOME_", herkenv1.InteractionOutcome_value))
	c.fs.StringVar(&agent, "agent", "", "the agent or team that handled it (\"agent-042\")")
	c.fs.StringVar(&summary, "summary", "", "the handover note: what the customer wanted, what was done, what is next")
	c.fs.StringVar(&caseRef, "case", "", "a case or ticket reference in another system")
	c.fs.DurationVar(&dur, "duration", 0, "how long it lasted (\"12m30s\")")
	c.fs.StringVar(&at, "at", "", "when it happened, if not now: a time, or a duration ago (\"30m\")")
	c.fs.StringVar(&requestID, "request-id", "", "idempotency key (1..64 of A-Z a-z 0-9 _ -); default: a new one per run")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.customerTarget(&ids); err != nil {
		return err
	}
	in := &herkenv1.Interaction{Agent: agent, Summary: summary, CaseReference: caseRef}
	for _, p := range []struct {
		flag, value, prefix string
		values              map[string]int32
		aliases             map[string]string
		set                 func(int32)
	}{
		{"channel", channel, "CHANNEL_", herkenv1.Channel_value, nil, func(v int32) { in.Channel = herkenv1.Channel(v) }},
		{"direction", direction, "DIRECTION_", herkenv1.Direction_value, directionAliases, func(v int32) { in.Direction = herkenv1.Direction(v) }},
		{"outcome", outcome, "INTERACTION_OUTCOME_", herkenv1.InteractionOutcome_value, outcomeAliases, func(v int32) { in.Outcome = herkenv1.InteractionOutcome(v) }},
	} {
		if p.value == "" {
			return c.usageError("--%s is required", p.flag)
		}
		v, err := parseEnum(p.flag, p.value, p.prefix, p.values, p.aliases)
		if err != nil {
			return c.usageError("%v", err)
		}
		p.set(v)
	}
	if dur != 0 {
		in.Duration = durationpb.New(dur)
	}
	if at != "" {
		t, err := parseWhen(at, time.Now(), -1)
		if err != nil {
			return c.usageError("--at: %v", err)
		}
		in.OccurTime = timestamppb.New(t)
	}
	if requestID == "" {
		requestID = newRequestID()
	}
	req := &herkenv1.RecordInteractionRequest{Interaction: in, RequestId: requestID}
	if len(c.args) == 1 {
		req.Customer = &herkenv1.RecordInteractionRequest_Parent{Parent: customerName(c.args[0])}
	} else {
		id, _ := ids.one()
		req.Customer = &herkenv1.RecordInteractionRequest_Identifier{Identifier: id}
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Interactions.RecordInteraction(cctx, req)
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) {
		fmt.Fprintf(w, "Recorded %s\n", resp.GetInteraction().GetName())
		renderInteraction(w, resp.GetInteraction(), time.Now())
	})
}

func interactionList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "interaction list", args: "[flags] CUSTOMER | --external-id ID | --phone N | ... | --unanswered-feedback",
		about: `Lists a customer's history, newest first, optionally only some channels and
a time range; or, with --unanswered-feedback and no customer, the feedback of
all customers still waiting for an answer. --full prints each contact with
its whole note instead of a table.`,
		examples: `herken interaction list --external-id K-100001
herken interaction list --phone 06-12345678 --channel phone --channel chat --since 30d
herken interaction list --email jan@example.nl --full
herken interaction list --unanswered-feedback
herken interaction list --external-id K-100001 --all --json`,
	}, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "an identifier of the customer", false)
	var channels stringList
	var since, until, token string
	var size int
	var all, full, unanswered bool
	c.fs.Var(&channels, "channel", "only this `CHANNEL` (repeatable): "+enumChoices("CHANNEL_", herkenv1.Channel_value))
	c.fs.StringVar(&since, "since", "", "only contacts at or after this time, or this long ago (\"30d\")")
	c.fs.StringVar(&until, "until", "", "only contacts before this time")
	c.fs.IntVar(&size, "page-size", 50, "contacts per page (at most 500)")
	c.fs.StringVar(&token, "page-token", "", "the next page of an earlier list (same filters)")
	c.fs.BoolVar(&all, "all", false, "list every page")
	c.fs.BoolVar(&full, "full", false, "print every contact with its whole note, not a table")
	c.fs.BoolVar(&unanswered, "unanswered-feedback", false, "only contacts whose feedback has no answer yet; without a customer, of all customers")
	if err := c.parse(args); err != nil {
		return err
	}
	if !(unanswered && len(c.args) == 0 && ids.count() == 0) {
		if err := c.customerTarget(&ids); err != nil {
			return err
		}
	}
	req := &herkenv1.ListInteractionsRequest{PageSize: int32(size), PageToken: token, UnansweredFeedbackOnly: unanswered}
	for _, ch := range channels {
		v, err := parseEnum("channel", ch, "CHANNEL_", herkenv1.Channel_value, nil)
		if err != nil {
			return c.usageError("%v", err)
		}
		req.Channels = append(req.Channels, herkenv1.Channel(v))
	}
	now := time.Now()
	for _, tf := range []struct {
		flag, value string
		set         func(*timestamppb.Timestamp)
	}{
		{"since", since, func(t *timestamppb.Timestamp) { req.StartTime = t }},
		{"until", until, func(t *timestamppb.Timestamp) { req.EndTime = t }},
	} {
		if tf.value == "" {
			continue
		}
		t, err := parseWhen(tf.value, now, -1)
		if err != nil {
			return c.usageError("--%s: %v", tf.flag, err)
		}
		tf.set(timestamppb.New(t))
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	req.Parent = "customers/-"
	if len(c.args) > 0 || ids.count() > 0 {
		if req.Parent, err = c.resolveCustomer(ctx, cl, &ids); err != nil {
			return err
		}
	}
	out := &herkenv1.ListInteractionsResponse{}
	for {
		cctx, cancel := c.callCtx(ctx)
		resp, err := cl.Interactions.ListInteractions(cctx, req)
		cancel()
		if err != nil {
			return c.fail(err)
		}
		out.Interactions = append(out.Interactions, resp.GetInteractions()...)
		out.NextPageToken = resp.GetNextPageToken()
		if !all || out.NextPageToken == "" {
			break
		}
		req.PageToken = out.NextPageToken
	}
	return c.output(out, func(w io.Writer) {
		switch {
		case len(out.Interactions) == 0:
			fmt.Fprintln(w, "No contacts.")
		case full:
			for _, in := range out.Interactions {
				renderInteraction(w, in, now)
			}
		default:
			interactionTable(w, out.Interactions)
		}
		if out.NextPageToken != "" {
			fmt.Fprintf(w, "\nMore: add --page-token %s (or --all)\n", out.NextPageToken)
		}
	})
}
