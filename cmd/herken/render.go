package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// The text output for people: plain text, no colours, tables through
// text/tabwriter. Times are local, with how long ago.

const overdueMark = "TE LAAT / OVERDUE"

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// enumText turns "CHANNEL_PHONE" into "phone", "INTERACTION_OUTCOME_FOLLOW_UP"
// into "follow-up".
func enumText(full, prefix string) string {
	s := strings.TrimPrefix(full, prefix)
	if s == "UNSPECIFIED" || s == "" {
		return "-"
	}
	return strings.ReplaceAll(strings.ToLower(s), "_", "-")
}

func channelText(c herkenv1.Channel) string { return enumText(c.String(), "CHANNEL_") }
func directionText(d herkenv1.Direction) string {
	switch d {
	case herkenv1.Direction_DIRECTION_INBOUND:
		return "in"
	case herkenv1.Direction_DIRECTION_OUTBOUND:
		return "out"
	}
	return "-"
}
func outcomeText(o herkenv1.InteractionOutcome) string {
	return enumText(o.String(), "INTERACTION_OUTCOME_")
}
func kindText(k herkenv1.PromiseKind) string   { return enumText(k.String(), "PROMISE_KIND_") }
func stateText(s herkenv1.PromiseState) string { return enumText(s.String(), "PROMISE_STATE_") }
func idKindText(k herkenv1.IdentifierKind) string {
	switch k {
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_PHONE_NUMBER:
		return "phone"
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_EMAIL:
		return "email"
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_SOCIAL_HANDLE:
		return "social"
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_EXTERNAL_ID:
		return "external id"
	case herkenv1.IdentifierKind_IDENTIFIER_KIND_POSTAL_ADDRESS:
		return "address"
	}
	return "identifier"
}

func canonicalText(c *herkenv1.CanonicalIdentifier) string {
	if c == nil {
		return "-"
	}
	return idKindText(c.GetKind()) + " " + c.GetValue()
}

// timeText is "2025-11-29 14:02 (2 days ago)" in local time; "-" for none.
func timeText(ts *timestamppb.Timestamp, now time.Time) string {
	if ts == nil {
		return "-"
	}
	t := ts.AsTime().Local()
	return t.Format("2006-01-02 15:04") + " (" + relText(t, now) + ")"
}

// shortTime is "2025-11-29 14:02" for tables.
func shortTime(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().Local().Format("2006-01-02 15:04")
}

func relText(t, now time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		return "in " + durText(-d)
	}
	if d < time.Minute {
		return "just now"
	}
	return durText(d) + " ago"
}

// durText is a rounded duration: "2 days", "5h 20m", "12m 40s".
func durText(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 24*time.Hour:
		return fmt.Sprintf("1d %dh", int((d-24*time.Hour)/time.Hour))
	case d >= time.Hour && d%time.Hour >= time.Minute:
		return fmt.Sprintf("%dh %dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	case d >= time.Minute && d%time.Minute >= time.Second:
		return fmt.Sprintf("%dm %ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return fmt.Sprintf("%ds", int(d/time.Second))
}

func pbDurText(d *durationpb.Duration) string {
	if d == nil {
		return ""
	}
	return durText(d.AsDuration())
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	var b strings.Builder
	for line := range strings.Lines(strings.TrimRight(s, "\n")) {
		b.WriteString(prefix + line)
	}
	b.WriteString("\n")
	return b.String()
}

// renderLookup is the agent's screen for a Lookup.
func renderLookup(w io.Writer, r *herkenv1.LookupResponse, now time.Time) {
	matched := canonicalText(r.GetCanonicalIdentifier())
	if r.GetPhoneExtension() != "" {
		matched += " (extension " + r.GetPhoneExtension() + " dropped)"
	}
	switch r.GetOutcome() {
	case herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND:
		if r.GetWithheld() {
			fmt.Fprintln(w, "Unknown caller: the caller id is withheld.")
		} else {
			fmt.Fprintf(w, "Unknown caller: no customer has %s.\n", matched)
		}
		fmt.Fprintln(w, "Ask who is calling; search by another identifier (herken lookup --help) or create the customer (herken customer create --help).")
	case herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS:
		fmt.Fprintf(w, "AMBIGUOUS: %d customers share %s (a household line?). Ask who is calling:\n\n", len(r.GetCandidates()), matched)
		renderCandidates(w, r.GetCandidates(), now)
	case herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND:
		fmt.Fprintf(w, "Found by %s\n\n", matched)
		renderRecognized(w, r.GetCustomer(), now)
	default:
		fmt.Fprintf(w, "Outcome %s\n", r.GetOutcome())
	}
}

// renderRecognized: who, identifiers, promises, the story so far.
func renderRecognized(w io.Writer, rc *herkenv1.RecognizedCustomer, now time.Time) {
	renderCustomer(w, rc.GetCustomer(), now)
	fmt.Fprintln(w)
	renderOpenPromises(w, rc.GetOpenPromises(), now)
	fmt.Fprintln(w)
	renderSummary(w, rc.GetContactSummary(), now)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Recent contacts (newest first):")
	if len(rc.GetRecentInteractions()) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, in := range rc.GetRecentInteractions() {
		renderInteraction(w, in, now)
	}
}

// renderCustomer: name, language, tags, note and the identifiers.
func renderCustomer(w io.Writer, c *herkenv1.Customer, now time.Time) {
	name := c.GetDisplayName()
	if name == "" {
		name = "(no name)"
	}
	fmt.Fprintf(w, "%s    %s\n", name, c.GetName())
	t := newTable(w)
	fmt.Fprintf(t, "  language\t%s\n", orDash(c.GetPreferredLanguage()))
	fmt.Fprintf(t, "  tags\t%s\n", orDash(strings.Join(c.GetTags(), ", ")))
	if c.GetLastContactTime() != nil {
		fmt.Fprintf(t, "  last contact\t%s by %s\n", timeText(c.GetLastContactTime(), now), channelText(c.GetLastContactChannel()))
	}
	if c.GetCreateTime() != nil {
		fmt.Fprintf(t, "  customer since\t%s\n", shortTime(c.GetCreateTime()))
	}
	t.Flush()
	if note := strings.TrimSpace(c.GetHandoverNote()); note != "" {
		fmt.Fprintln(w, "  Handover note:")
		fmt.Fprint(w, indent(note, "    "))
	}
	fmt.Fprintln(w)
	renderIdentifiers(w, c.GetIdentifiers())
}

func renderIdentifiers(w io.Writer, ids []*herkenv1.LinkedIdentifier) {
	fmt.Fprintf(w, "Identifiers (%d):\n", len(ids))
	if len(ids) == 0 {
		fmt.Fprintln(w, "  none")
		return
	}
	t := newTable(w)
	fmt.Fprintln(t, "  KIND\tVALUE\tLABEL\tSOURCE\tVERIFIED\tLINKED")
	for _, id := range ids {
		verified := "no"
		if id.GetVerified() {
			verified = "yes"
		}
		linked := shortTime(id.GetLinkTime())
		if id.GetMergedFrom() != "" {
			linked += " (merged from " + id.GetMergedFrom() + ")"
		}
		fmt.Fprintf(t, "  %s\t%s\t%s\t%s\t%s\t%s\n", idKindText(id.GetIdentifier().GetKind()), id.GetIdentifier().GetValue(),
			orDash(id.GetLabel()), orDash(id.GetSource()), verified, linked)
	}
	t.Flush()
}

// renderOpenPromises lists open promises, overdue first (the server sends
// them so; sorted here too in case).
func renderOpenPromises(w io.Writer, ps []*herkenv1.Promise, now time.Time) {
	overdue := 0
	for _, p := range ps {
		if p.GetOverdue() {
			overdue++
		}
	}
	switch {
	case len(ps) == 0:
		fmt.Fprintln(w, "Open promises: none")
		return
	case overdue > 0:
		fmt.Fprintf(w, "Open promises (%d, %d %s):\n", len(ps), overdue, overdueMark)
	default:
		fmt.Fprintf(w, "Open promises (%d):\n", len(ps))
	}
	for _, pass := range []bool{true, false} {
		for _, p := range ps {
			if p.GetOverdue() == pass {
				renderPromiseLine(w, p, now)
			}
		}
	}
}

func renderPromiseLine(w io.Writer, p *herkenv1.Promise, now time.Time) {
	head := "  "
	if p.GetOverdue() {
		head += "!! " + overdueMark + " by " + pbDurText(p.GetOverdueBy()) + ": "
	} else {
		head += "- "
	}
	due := "due " + timeText(p.GetDueTime(), now)
	if p.GetWindowStartTime() != nil {
		due = "between " + shortTime(p.GetWindowStartTime()) + " and " + timeText(p.GetDueTime(), now)
	}
	fmt.Fprintf(w, "%s%s, %s", head, kindText(p.GetKind()), due)
	if p.GetOwner() != "" {
		fmt.Fprintf(w, ", owner %s", p.GetOwner())
	}
	if p.GetContactIdentifier() != nil {
		fmt.Fprintf(w, ", on %s", canonicalText(p.GetContactIdentifier()))
	}
	fmt.Fprintln(w)
	if d := strings.TrimSpace(p.GetDescription()); d != "" {
		fmt.Fprint(w, indent(d, "      "))
	}
	fmt.Fprintf(w, "      %s\n", p.GetName())
}

func renderSummary(w io.Writer, s *herkenv1.ContactSummary, now time.Time) {
	if s == nil {
		return
	}
	fmt.Fprintf(w, "Contacts: %d in the last 30 days, %d open follow-ups, %d open promises (%d overdue)\n",
		s.GetContactsLast_30Days(), s.GetOpenFollowUps(), s.GetOpenPromises(), s.GetOverduePromises())
	if lc := s.GetLastContact(); lc != nil {
		fmt.Fprintf(w, "Last contact: %s, %s %s, %s\n", timeText(lc.GetOccurTime(), now), channelText(lc.GetChannel()), directionText(lc.GetDirection()), outcomeText(lc.GetOutcome()))
	}
}

// renderInteraction: a header line and the note under it.
func renderInteraction(w io.Writer, in *herkenv1.Interaction, now time.Time) {
	if in.GetChannel() == herkenv1.Channel_CHANNEL_SYSTEM {
		// Not a contact: something herken recorded (a promise marked broken).
		fmt.Fprintf(w, "  %s  !! herken event\n", timeText(in.GetOccurTime(), now))
		fmt.Fprint(w, indent(strings.TrimSpace(in.GetSummary()), "      "))
		return
	}
	parts := []string{channelText(in.GetChannel()) + " " + directionText(in.GetDirection()), outcomeText(in.GetOutcome())}
	if in.GetAgent() != "" {
		parts = append(parts, in.GetAgent())
	}
	if in.GetDuration() != nil {
		parts = append(parts, pbDurText(in.GetDuration()))
	}
	if in.GetCaseReference() != "" {
		parts = append(parts, "case "+in.GetCaseReference())
	}
	if in.GetIdentifier() != nil {
		parts = append(parts, "via "+canonicalText(in.GetIdentifier()))
	}
	fmt.Fprintf(w, "  %s  %s\n", timeText(in.GetOccurTime(), now), strings.Join(parts, ", "))
	if s := strings.TrimSpace(in.GetSummary()); s != "" {
		fmt.Fprint(w, indent(s, "      "))
	}
	if fb := in.GetFeedback(); fb != nil {
		fmt.Fprintf(w, "      feedback %d/5", fb.GetScore())
		if fb.GetComment() != "" {
			fmt.Fprintf(w, ": %q", fb.GetComment())
		}
		if fb.GetAnswered() {
			fmt.Fprintf(w, " (answered by %s)", fb.GetAnsweredBy())
		} else {
			fmt.Fprint(w, " (not answered yet)")
		}
		fmt.Fprintln(w)
	}
}

func renderCandidates(w io.Writer, cs []*herkenv1.CustomerSummary, now time.Time) {
	t := newTable(w)
	fmt.Fprintln(t, "  #\tNAME\tCUSTOMER\tLAST CONTACT\tCHANNEL\tTAGS")
	for i, c := range cs {
		fmt.Fprintf(t, "  %d\t%s\t%s\t%s\t%s\t%s\n", i+1, orDash(c.GetDisplayName()), c.GetName(),
			timeText(c.GetLastContactTime(), now), channelText(c.GetLastContactChannel()), orDash(strings.Join(c.GetTags(), ",")))
	}
	t.Flush()
}

func customerTable(w io.Writer, cs []*herkenv1.Customer) {
	t := newTable(w)
	fmt.Fprintln(t, "CUSTOMER\tNAME\tLANGUAGE\tTAGS\tIDENTIFIERS\tLAST CONTACT\tUPDATED")
	for _, c := range cs {
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.GetName(), orDash(c.GetDisplayName()), orDash(c.GetPreferredLanguage()),
			orDash(strings.Join(c.GetTags(), ",")), len(c.GetIdentifiers()), shortTime(c.GetLastContactTime()), shortTime(c.GetUpdateTime()))
	}
	t.Flush()
}

func interactionTable(w io.Writer, is []*herkenv1.Interaction) {
	t := newTable(w)
	fmt.Fprintln(t, "TIME\tCHANNEL\tDIR\tOUTCOME\tAGENT\tCASE\tSUMMARY\tINTERACTION")
	for _, in := range is {
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", shortTime(in.GetOccurTime()), channelText(in.GetChannel()),
			directionText(in.GetDirection()), outcomeText(in.GetOutcome()), orDash(in.GetAgent()), orDash(in.GetCaseReference()),
			clip(in.GetSummary(), 60), in.GetName())
	}
	t.Flush()
}

func promiseTable(w io.Writer, ps []*herkenv1.Promise, withCustomer bool) {
	t := newTable(w)
	head := "DUE\tSTATE\tKIND\tOWNER\tDESCRIPTION\tPROMISE"
	if withCustomer {
		head = "DUE\tSTATE\tKIND\tOWNER\tCUSTOMER NAME\tDESCRIPTION\tPROMISE"
	}
	fmt.Fprintln(t, head)
	for _, p := range ps {
		state := stateText(p.GetState())
		if p.GetOverdue() {
			state += " " + overdueMark + " (" + pbDurText(p.GetOverdueBy()) + ")"
		}
		cols := []string{shortTime(p.GetDueTime()), state, kindText(p.GetKind()), orDash(p.GetOwner())}
		if withCustomer {
			cols = append(cols, orDash(p.GetCustomerDisplayName()))
		}
		cols = append(cols, clip(p.GetDescription(), 50), p.GetName())
		fmt.Fprintln(t, strings.Join(cols, "\t"))
	}
	t.Flush()
}

// renderPromise shows one promise in full.
func renderPromise(w io.Writer, p *herkenv1.Promise, now time.Time) {
	t := newTable(w)
	fmt.Fprintf(t, "promise\t%s\n", p.GetName())
	state := stateText(p.GetState())
	if p.GetOverdue() {
		state += ", " + overdueMark + " by " + pbDurText(p.GetOverdueBy())
	}
	fmt.Fprintf(t, "state\t%s\n", state)
	fmt.Fprintf(t, "kind\t%s\n", kindText(p.GetKind()))
	if p.GetCustomerDisplayName() != "" {
		fmt.Fprintf(t, "customer\t%s\n", p.GetCustomerDisplayName())
	}
	fmt.Fprintf(t, "due\t%s\n", timeText(p.GetDueTime(), now))
	if p.GetWindowStartTime() != nil {
		fmt.Fprintf(t, "window from\t%s\n", timeText(p.GetWindowStartTime(), now))
	}
	fmt.Fprintf(t, "owner\t%s\n", orDash(p.GetOwner()))
	fmt.Fprintf(t, "channel\t%s\n", channelText(p.GetChannel()))
	if p.GetContactIdentifier() != nil {
		fmt.Fprintf(t, "contact on\t%s\n", canonicalText(p.GetContactIdentifier()))
	}
	fmt.Fprintf(t, "description\t%s\n", orDash(p.GetDescription()))
	if p.GetInteraction() != "" {
		fmt.Fprintf(t, "made in\t%s\n", p.GetInteraction())
	}
	if p.GetStateActor() != "" {
		fmt.Fprintf(t, "changed by\t%s at %s\n", p.GetStateActor(), shortTime(p.GetStateTime()))
	}
	if p.GetStateNote() != "" {
		fmt.Fprintf(t, "note\t%s\n", p.GetStateNote())
	}
	t.Flush()
}

// clip shortens s to n runes on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return orDash(s)
	}
	return string(r[:n-1]) + "…"
}
