package screenpop

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// text is the page's wording in one language.
type text struct {
	Caller, Withheld, ValidUntil, Language                           string
	Found, Ambiguous, AmbiguousHint, Unknown, UnknownHint            string
	OtherHolders, Search, SearchButton, SearchNone, SearchInvalid    string
	Promises, NoPromises, Broken, Overdue, Due, Owner, WindowFrom    string
	Note, LastContact, Summary, Contacts30, FollowUps, OpenCount     string
	OverdueCount, Identifiers, Verified, Recent, NoRecent, Case      string
	Feedback, Score, Agent, Tags, PreferredLanguage                  string
	LinkInvalid, LinkExpired, NotAllowed, CustomerGone, Busy         string
	Unavailable, ProblemTitle                                        string
	WithheldHint, WithheldSearch, UnknownNoSearch                    string
	channels, outcomes, directions, kinds, idKinds, weekdays, months []string
	ago, in                                                          func(n int, unit string) string
	units                                                            map[string][2]string
}

var texts = map[string]text{
	"nl": {
		Caller: "Beller", Withheld: "Nummer onderdrukt", ValidUntil: "Link geldig tot", Language: "English",
		Found: "Herkend", Ambiguous: "Gedeeld nummer", AmbiguousHint: "Meerdere klanten gebruiken dit nummer. Vraag wie er belt en kies:",
		Unknown: "Onbekende beller", UnknownHint: "Dit nummer hoort bij geen enkele klant. Zoek de klant op naam:",
		OtherHolders: "Ook op dit nummer", Search: "Naam", SearchButton: "Zoeken", SearchNone: "Geen klant gevonden met die naam.",
		SearchInvalid: "Deze zoekterm kan niet: gebruik letters of cijfers, hooguit 200 tekens.",
		Promises:      "Toezeggingen", NoPromises: "Geen openstaande toezeggingen.", Broken: "Te laat · niet nagekomen", Overdue: "Te laat",
		Due: "Uiterlijk", Owner: "Eigenaar", WindowFrom: "vanaf",
		Note: "Let op", LastContact: "Laatste contact", Summary: "In het kort", Contacts30: "contacten in 30 dagen",
		FollowUps: "openstaande opvolgingen", OpenCount: "open toezeggingen", OverdueCount: "te laat",
		Identifiers: "Gegevens", Verified: "geverifieerd", Recent: "Recente contacten", NoRecent: "Nog geen contacten.", Case: "Zaak",
		Feedback: "Onbeantwoorde feedback", Score: "Score", Agent: "Medewerker", Tags: "Labels", PreferredLanguage: "Voorkeurstaal",
		LinkInvalid:  "Deze link is niet geldig. Open het scherm opnieuw vanuit de telefooncentrale of het agentbureaublad.",
		LinkExpired:  "Deze link is verlopen. Open het scherm opnieuw vanuit de telefooncentrale of het agentbureaublad.",
		NotAllowed:   "Deze link opent alleen de klanten die bij dit nummer horen.",
		CustomerGone: "Deze klant bestaat niet (meer).",
		Busy:         "Te veel verzoeken tegelijk. Probeer het over een paar seconden opnieuw.",
		Unavailable:  "herken is even niet bereikbaar. Probeer het zo opnieuw.", ProblemTitle: "Geen klantscherm",
		WithheldHint:    "De beller heeft het nummer afgeschermd. Vraag naar naam en klantnummer en zoek de klant in het CRM.",
		WithheldSearch:  "De beller heeft het nummer afgeschermd. Vraag naar de naam en zoek de klant:",
		UnknownNoSearch: "Dit nummer hoort bij geen enkele klant. Vraag naar naam en klantnummer en zoek de klant in het CRM.",
		channels:        []string{"onbekend", "telefoon", "e-mail", "chat", "WhatsApp", "sociale media", "sms", "web", "winkel", "brief", "systeem"},
		outcomes:        []string{"", "opgelost", "opvolging nodig", "geëscaleerd", "doorverbonden"},
		directions:      []string{"", "inkomend", "uitgaand"},
		kinds:           []string{"toezegging", "terugbellen", "levering", "terugbetaling", "monteursbezoek", "informatie", "overig"},
		idKinds:         []string{"", "telefoon", "e-mail", "sociaal", "klantnummer", "adres"},
		weekdays:        []string{"zo", "ma", "di", "wo", "do", "vr", "za"},
		months:          []string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"},
		ago:             func(n int, unit string) string { return fmt.Sprintf("%d %s geleden", n, unit) },
		in:              func(n int, unit string) string { return fmt.Sprintf("over %d %s", n, unit) },
		units:           map[string][2]string{"m": {"minuut", "minuten"}, "h": {"uur", "uur"}, "d": {"dag", "dagen"}},
	},
	"en": {
		Caller: "Caller", Withheld: "Number withheld", ValidUntil: "Link valid until", Language: "Nederlands",
		Found: "Recognised", Ambiguous: "Shared number", AmbiguousHint: "Several customers use this number. Ask who is calling and pick:",
		Unknown: "Unknown caller", UnknownHint: "No customer holds this number. Find the customer by name:",
		OtherHolders: "Also on this number", Search: "Name", SearchButton: "Search", SearchNone: "No customer by that name.",
		SearchInvalid: "That search cannot be used: use letters or digits, at most 200 characters.",
		Promises:      "Promises", NoPromises: "No open promises.", Broken: "Overdue · not kept", Overdue: "Overdue",
		Due: "Due", Owner: "Owner", WindowFrom: "from",
		Note: "Note", LastContact: "Last contact", Summary: "At a glance", Contacts30: "contacts in 30 days",
		FollowUps: "open follow-ups", OpenCount: "open promises", OverdueCount: "overdue",
		Identifiers: "Identifiers", Verified: "verified", Recent: "Recent contacts", NoRecent: "No contacts yet.", Case: "Case",
		Feedback: "Unanswered feedback", Score: "Score", Agent: "Agent", Tags: "Tags", PreferredLanguage: "Preferred language",
		LinkInvalid:  "This link is not valid. Open the screen again from the phone system or the agent desktop.",
		LinkExpired:  "This link has expired. Open the screen again from the phone system or the agent desktop.",
		NotAllowed:   "This link opens only the customers who hold its number.",
		CustomerGone: "This customer does not exist (any more).",
		Busy:         "Too many requests at once. Try again in a few seconds.",
		Unavailable:  "herken cannot be reached right now. Try again shortly.", ProblemTitle: "No customer screen",
		WithheldHint:    "The caller withheld their number. Ask for their name and customer number and find them in the CRM.",
		WithheldSearch:  "The caller withheld their number. Ask for their name and find the customer:",
		UnknownNoSearch: "No customer holds this number. Ask for their name and customer number and find them in the CRM.",
		channels:        []string{"unknown", "phone", "email", "chat", "WhatsApp", "social media", "SMS", "web", "store", "letter", "system"},
		outcomes:        []string{"", "resolved", "follow-up needed", "escalated", "transferred"},
		directions:      []string{"", "inbound", "outbound"},
		kinds:           []string{"promise", "call back", "delivery", "refund", "engineer visit", "information", "other"},
		idKinds:         []string{"", "phone", "email", "social", "customer number", "address"},
		weekdays:        []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		months:          []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		ago:             func(n int, unit string) string { return fmt.Sprintf("%d %s ago", n, unit) },
		in:              func(n int, unit string) string { return fmt.Sprintf("in %d %s", n, unit) },
		units:           map[string][2]string{"m": {"minute", "minutes"}, "h": {"hour", "hours"}, "d": {"day", "days"}},
	},
}

func pick(list []string, i int32) string {
	if i < 0 || int(i) >= len(list) {
		return list[0]
	}
	return list[i]
}

// Channel names a channel.
func (t text) Channel(c herkenv1.Channel) string { return pick(t.channels, int32(c)) }

// Outcome names an interaction's outcome.
func (t text) Outcome(o herkenv1.InteractionOutcome) string { return pick(t.outcomes, int32(o)) }

// Direction names a direction.
func (t text) Direction(d herkenv1.Direction) string { return pick(t.directions, int32(d)) }

// Kind names a promise's kind.
func (t text) Kind(k herkenv1.PromiseKind) string { return pick(t.kinds, int32(k)) }

// platformNames are the social platforms as they write themselves.
var platformNames = map[herkenv1.SocialPlatform]string{
	herkenv1.SocialPlatform_SOCIAL_PLATFORM_X:         "X",
	herkenv1.SocialPlatform_SOCIAL_PLATFORM_FACEBOOK:  "Facebook",
	herkenv1.SocialPlatform_SOCIAL_PLATFORM_INSTAGRAM: "Instagram",
	herkenv1.SocialPlatform_SOCIAL_PLATFORM_WHATSAPP:  "WhatsApp",
	herkenv1.SocialPlatform_SOCIAL_PLATFORM_TELEGRAM:  "Telegram",
	herkenv1.SocialPlatform_SOCIAL_PLATFORM_LINKEDIN:  "LinkedIn",
	herkenv1.SocialPlatform_SOCIAL_PLATFORM_TIKTOK:    "TikTok",
	herkenv1.SocialPlatform_SOCIAL_PLATFORM_YOUTUBE:   "YouTube",
	herkenv1.SocialPlatform_SOCIAL_PLATFORM_SNAPCHAT:  "Snapchat",
}

// IDKind names an identifier's kind, with the platform of a social handle.
func (t text) IDKind(id *herkenv1.CanonicalIdentifier) string {
	if id.GetKind() == herkenv1.IdentifierKind_IDENTIFIER_KIND_SOCIAL_HANDLE {
		if name, ok := platformNames[id.GetPlatform()]; ok {
			return name
		}
		return strings.TrimPrefix(id.GetPlatform().String(), "SOCIAL_PLATFORM_")
	}
	return pick(t.idKinds, int32(id.GetKind()))
}

// IDValue is an identifier's value as an agent reads it: a social
// handle without its platform prefix ("x:jandevries" is @jandevries on X).
func (t text) IDValue(id *herkenv1.CanonicalIdentifier) string {
	if id.GetKind() == herkenv1.IdentifierKind_IDENTIFIER_KIND_SOCIAL_HANDLE {
		if _, v, ok := strings.Cut(id.GetValue(), ":"); ok {
			return v
		}
	}
	return id.GetValue()
}

// span says a duration in whole minutes, hours or days.
func (t text) span(d time.Duration, f func(int, string) string) string {
	n, unit := int(d/time.Minute), "m"
	switch {
	case d >= 48*time.Hour:
		n, unit = int(d/(24*time.Hour)), "d"
	case d >= 2*time.Hour:
		n, unit = int(d/time.Hour), "h"
	case n < 1:
		n = 1
	}
	u := t.units[unit]
	if n == 1 {
		return f(n, u[0])
	}
	return f(n, u[1])
}

// OverdueBy says how late a promise is.
func (t text) OverdueBy(d *durationpb.Duration) string {
	return t.span(d.AsDuration(), func(n int, unit string) string { return fmt.Sprintf("%d %s", n, unit) })
}

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		// when: a time as an agent reads it, in the page's time zone:
		// "di 1 dec 14:32", with the year when it is not this year's.
		"when": func(t text, ts *timestamppb.Timestamp) string {
			if ts == nil {
				return ""
			}
			at, now := ts.AsTime().In(h.cfg.Location), h.now().In(h.cfg.Location)
			s := fmt.Sprintf("%s %d %s", t.weekdays[at.Weekday()], at.Day(), t.months[at.Month()-1])
			if at.Year() != now.Year() {
				s += fmt.Sprintf(" %d", at.Year())
			}
			return s + at.Format(" 15:04")
		},
		// ago: "2 dagen geleden", "over 3 uur".
		"ago": func(t text, ts *timestamppb.Timestamp) string {
			if ts == nil {
				return ""
			}
			d := h.now().Sub(ts.AsTime())
			if d < 0 {
				return t.span(-d, t.in)
			}
			return t.span(d, t.ago)
		},
		"stars": func(score int32) string {
			if score < 0 || score > 5 {
				return ""
			}
			return strings.Repeat("★", int(score)) + strings.Repeat("☆", 5-int(score))
		},
		"isOutcome": func(o herkenv1.InteractionOutcome, want string) bool {
			return strings.TrimPrefix(o.String(), "INTERACTION_OUTCOME_") == want
		},
	}
}
