package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const promiseAbout = `Keep track of what was promised to customers ("ik bel u vandaag nog
terug"): make a promise, mark it kept or cancelled, list what is open or
overdue. PROMISE is "customers/{c}/promises/{p}" as list and create print it.`

var promiseSubs = []subcommand{
	{"create", "record a promise to a customer", promiseCreate},
	{"get", "show one promise", promiseGet},
	{"keep", "mark an open promise kept", promiseKeep},
	{"cancel", "mark an open promise cancelled", promiseCancel},
	{"list", "list a customer's promises, or the open ones of everybody", promiseList},
}

func promiseCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runGroup(ctx, "promise", promiseAbout, promiseSubs, args, stdout, stderr)
}

func promiseCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "promise create", args: "[flags] (CUSTOMER | --phone N | --external-id ID | ...) --kind K --due WHEN",
		about: `Records a promise to a customer, by name or by an identifier exactly one
customer holds. A callback (--kind callback) by phone number needs no --due
(the server's default, 4 hours) and is kept on that number. --due and
--window-start take a time or a duration ahead ("2h", "1d").`,
		examples: `herken promise create --phone 06-12345678 --kind callback --description "Terugbellen over de monteur" --owner agent-042
herken promise create --external-id K-100001 --kind refund --due 5d --description "€ 49,95 aansluitkosten terugstorten" --owner team-facturatie
herken promise create --email sophie.jansen@example.com --kind visit --window-start "2030-03-04 08:00" --due "2030-03-04 12:00" --json`,
	}, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "an identifier of the customer (kept as the number to call back)", false)
	var kind, due, window, owner, channel, description, interaction, requestID string
	c.fs.StringVar(&kind, "kind", "", "what kind (required): "+enumChoices("PROMISE_KIND_", herkenv1.PromiseKind_value))
	c.fs.StringVar(&due, "due", "", "when it must be kept by: a time, or a duration ahead (\"4h\", \"2d\"); required unless a callback")
	c.fs.StringVar(&window, "window-start", "", "start of the window (\"between 8 and 12\"), before --due")
	c.fs.StringVar(&owner, "owner", "", "agent or team that must keep it (\"agent-042\", \"team-billing\")")
	c.fs.StringVar(&channel, "channel", "", "channel it will be kept on: "+inputChannels())
	c.fs.StringVar(&description, "description", "", "what exactly was promised")
	c.fs.StringVar(&interaction, "interaction", "", "the contact it was made in, \"customers/{c}/interactions/{i}\"")
	c.fs.StringVar(&requestID, "request-id", "", "idempotency key (1..64 of A-Z a-z 0-9 _ -); default: a new one per run")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.customerTarget(&ids); err != nil {
		return err
	}
	if kind == "" {
		return c.usageError("--kind is required")
	}
	p := &herkenv1.Promise{Owner: owner, Description: description, Interaction: interaction}
	k, err := parseEnum("kind", kind, "PROMISE_KIND_", herkenv1.PromiseKind_value, nil)
	if err != nil {
		return c.usageError("%v", err)
	}
	p.Kind = herkenv1.PromiseKind(k)
	if channel != "" {
		ch, err := parseEnum("channel", channel, "CHANNEL_", herkenv1.Channel_value, nil)
		if err != nil {
			return c.usageError("%v", err)
		}
		p.Channel = herkenv1.Channel(ch)
	}
	now := time.Now()
	for _, tf := range []struct {
		flag, value string
		set         func(*timestamppb.Timestamp)
	}{
		{"due", due, func(t *timestamppb.Timestamp) { p.DueTime = t }},
		{"window-start", window, func(t *timestamppb.Timestamp) { p.WindowStartTime = t }},
	} {
		if tf.value == "" {
			continue
		}
		t, err := parseWhen(tf.value, now, +1)
		if err != nil {
			return c.usageError("--%s: %v", tf.flag, err)
		}
		tf.set(timestamppb.New(t))
	}
	if requestID == "" {
		requestID = newRequestID()
	}
	req := &herkenv1.CreatePromiseRequest{Promise: p, RequestId: requestID}
	if len(c.args) == 1 {
		req.Customer = &herkenv1.CreatePromiseRequest_Parent{Parent: customerName(c.args[0])}
	} else {
		id, _ := ids.one()
		req.Customer = &herkenv1.CreatePromiseRequest_Identifier{Identifier: id}
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Promises.CreatePromise(cctx, req)
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) {
		fmt.Fprintln(w, "Created promise:")
		renderPromise(w, resp.GetPromise(), time.Now())
	})
}

func promiseGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "promise get", args: "[flags] PROMISE",
		about: `Shows one promise: state (and whether it is overdue), kind, due time,
owner, description, who changed it.`,
		examples: `herken promise get $(herken promise list --external-id K-100001 -q | head -1)`,
	}, stdout, stderr)
	c.serverFlags()
	cl, err := c.open(ctx, args, 1, 1)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.Promises.GetPromise(cctx, &herkenv1.GetPromiseRequest{Name: promiseName(c.args[0])})
	if err != nil {
		return c.fail(err)
	}
	return c.output(resp, func(w io.Writer) { renderPromise(w, resp.GetPromise(), time.Now()) })
}

func promiseKeep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return promiseSettle(ctx, true, args, stdout, stderr)
}

func promiseCancel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return promiseSettle(ctx, false, args, stdout, stderr)
}

// promiseSettle runs keep and cancel: the same request, a different RPC.
func promiseSettle(ctx context.Context, keep bool, args []string, stdout, stderr io.Writer) error {
	spec := cmdSpec{
		name: "promise keep", args: "[flags] PROMISE --actor WHO",
		about: `Marks an OPEN promise KEPT (also when overdue, until the sweeper marks it
BROKEN). Keeping a kept promise again changes nothing, so a retry is safe.`,
		examples: `herken promise keep $(herken promise list --external-id K-100001 --state open -q | tail -1) --actor agent-042 --note "Monteur is geweest"
herken promise keep customers/C/promises/P --actor agent-042 --json`,
	}
	if !keep {
		spec = cmdSpec{
			name: "promise cancel", args: "[flags] PROMISE --actor WHO",
			about: `Marks an OPEN promise CANCELLED (the customer no longer needs it).
Cancelling a cancelled promise again changes nothing.`,
			examples: `herken promise cancel $(herken promise list --phone 06-23456789 --state open -q | head -1) --actor agent-017 --note "Klant heeft zelf opgelost"
herken promise cancel customers/C/promises/P --actor team-klantbehoud --json`,
		}
	}
	c := newCmdline(spec, stdout, stderr)
	c.serverFlags()
	var actor, note string
	c.fs.StringVar(&actor, "actor", "", "who (agent or team id); required")
	c.fs.StringVar(&note, "note", "", "a note (\"teruggebeld om 14:10\")")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.wantArgs(1, 1); err != nil {
		return err
	}
	if actor == "" {
		return c.usageError("--actor is required")
	}
	name := promiseName(c.args[0])
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	if keep {
		r, err := cl.Promises.KeepPromise(cctx, &herkenv1.KeepPromiseRequest{Name: name, Actor: actor, Note: note})
		if err != nil {
			return c.fail(err)
		}
		return c.output(r, func(w io.Writer) { fmt.Fprintln(w, "Kept:"); renderPromise(w, r.GetPromise(), time.Now()) })
	}
	r, err := cl.Promises.CancelPromise(cctx, &herkenv1.CancelPromiseRequest{Name: name, Actor: actor, Note: note})
	if err != nil {
		return c.fail(err)
	}
	return c.output(r, func(w io.Writer) { fmt.Fprintln(w, "Cancelled:"); renderPromise(w, r.GetPromise(), time.Now()) })
}

func promiseList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "promise list", args: "[flags] [CUSTOMER | --external-id ID | --phone N | ...]",
		about: `Lists one customer's promises (every state unless --state), or without a
customer the OPEN promises of all customers, for a team lead: --overdue,
--due-before, --owner. Oldest due first; overdue ones are marked TE LAAT /
OVERDUE. -q prints only the promise names, for scripts.`,
		examples: `herken promise list --external-id K-100001
herken promise list --overdue                    # everything late, all customers
herken promise list --owner team-techniek --due-before 3d
herken promise list --phone 06-23456789 --state open -q
herken promise list --all --json`,
	}, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "an identifier of the customer", false)
	var state, dueBefore, owner, token string
	var size int
	var overdue, all, quiet bool
	c.fs.StringVar(&state, "state", "", "only this state: "+enumChoices("PROMISE_STATE_", herkenv1.PromiseState_value)+" (all customers: open only)")
	c.fs.BoolVar(&overdue, "overdue", false, "only open promises past their due time")
	c.fs.StringVar(&dueBefore, "due-before", "", "only promises due before this time, or within this duration (\"3d\")")
	c.fs.StringVar(&owner, "owner", "", "only promises owned by this agent or team")
	c.fs.IntVar(&size, "page-size", 50, "promises per page (at most 500)")
	c.fs.StringVar(&token, "page-token", "", "the next page of an earlier list (same filters)")
	c.fs.BoolVar(&all, "all", false, "list every page")
	c.fs.BoolVar(&quiet, "q", false, "print only the promise names")
	if err := c.parse(args); err != nil {
		return err
	}
	if len(c.args) > 0 || ids.count() > 0 {
		if err := c.customerTarget(&ids); err != nil {
			return err
		}
	}
	req := &herkenv1.ListPromisesRequest{OverdueOnly: overdue, Owner: owner, PageSize: int32(size), PageToken: token}
	if state != "" {
		v, err := parseEnum("state", state, "PROMISE_STATE_", herkenv1.PromiseState_value, nil)
		if err != nil {
			return c.usageError("%v", err)
		}
		req.State = herkenv1.PromiseState(v)
	}
	if dueBefore != "" {
		t, err := parseWhen(dueBefore, time.Now(), +1)
		if err != nil {
			return c.usageError("--due-before: %v", err)
		}
		req.DueBefore = timestamppb.New(t)
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
	out := &herkenv1.ListPromisesResponse{}
	for {
		cctx, cancel := c.callCtx(ctx)
		resp, err := cl.Promises.ListPromises(cctx, req)
		cancel()
		if err != nil {
			return c.fail(err)
		}
		out.Promises = append(out.Promises, resp.GetPromises()...)
		out.NextPageToken = resp.GetNextPageToken()
		if !all || out.NextPageToken == "" {
			break
		}
		req.PageToken = out.NextPageToken
	}
	if quiet {
		for _, p := range out.Promises {
			fmt.Fprintln(stdout, p.GetName())
		}
		return nil
	}
	return c.output(out, func(w io.Writer) {
		if len(out.Promises) == 0 {
			fmt.Fprintln(w, "No promises.")
		} else {
			promiseTable(w, out.Promises, req.Parent == "customers/-")
		}
		if out.NextPageToken != "" {
			fmt.Fprintf(w, "\nMore: add --page-token %s (or --all)\n", out.NextPageToken)
		}
	})
}
