package herken

import (
	"context"
	"slices"
	"time"

	"github.com/herken/herken/identity"
)

// Limits of a screen pop's lists.
const (
	ScreenPopListMax     = 10
	ScreenPopBrokenSince = 30 * 24 * time.Hour
)

// ErrScreenPopNotAllowed: a screen pop link may show only the customers who
// hold its identifier or, when nobody does and the link may search, a
// customer the agent found.
var ErrScreenPopNotAllowed = &Error{
	Code: CodePermissionDenied, Reason: ReasonScreenPopNotAllowed,
	Message: "this link may not open that customer: it opens the customers who hold its identifier",
}

// ErrScreenPopSearchNotAllowed: the link's key may look up by identifier
// only, not search customers by name.
var ErrScreenPopSearchNotAllowed = &Error{
	Code: CodePermissionDenied, Reason: ReasonScreenPopNotAllowed,
	Message: "this link may not search by name: the key that asked for it looks up by identifier only",
}

// ScreenPopQuery asks for what an agent sees when a call rings.
type ScreenPopQuery struct {
	// Caller is the caller's identifier (a screen pop link's).
	Caller identity.Normalized
	// Pick is the customer id the agent chose among the candidates of a
	// shared identifier, or among the name search's results for an unknown
	// caller; "" for none.
	Pick string
	// NamePrefix searches display names when the caller is unknown.
	NamePrefix   string
	HistoryLimit int
	// Search says the link may search by name and open any customer for
	// an unknown caller: its signer may read customers, not only look up
	// an identifier.
	Search bool
}

// ScreenPop is what an agent sees.
type ScreenPop struct {
	// Lookup is the caller's identifier matched, as Lookup answers it.
	Lookup LookupResult
	// Shown is the customer on screen: the identifier's one holder, or the
	// pick. nil when there is none (yet).
	Shown *Recognized
	// Broken are Shown's BROKEN promises due in the last 30 days, most
	// recently due first; Unanswered its feedback nobody answered, newest
	// first. At most ScreenPopListMax each.
	Broken     []Promise
	Unanswered []Interaction
	// Search are the customers whose display name starts with NamePrefix,
	// for an unknown caller.
	Search []Customer
}

// ScreenPop answers q. The rule of what a link may show: the holders of
// its identifier; any customer only when nobody holds it and q.Search (the
// agent finds the caller by name, which the link's signer may do itself).
func (s *Service) ScreenPop(ctx context.Context, q ScreenPopQuery) (ScreenPop, error) {
	var out ScreenPop
	prefix := ""
	if q.NamePrefix != "" {
		var err error
		if prefix, err = namePrefix(q.NamePrefix, "name_prefix"); err != nil {
			return out, err
		}
	}
	out.Lookup = LookupResult{Outcome: MatchNotFound, Input: q.Caller}
	if s.matchable(q.Caller) {
		res, err := s.match(ctx, q.Caller, q.HistoryLimit, q.Pick)
		if err != nil {
			return out, err
		}
		out.Lookup = res
	}
	var err error
	switch res := out.Lookup; {
	case res.Outcome != MatchNotFound:
		// The one holder, or the candidate picked (match picks only a
		// holder).
		if q.Pick != "" && (res.Customer == nil || res.Customer.Customer.ID != q.Pick) {
			return out, ErrScreenPopNotAllowed
		}
		out.Shown = res.Customer
	case (prefix != "" || q.Pick != "") && !q.Search:
		if prefix != "" {
			return out, ErrScreenPopSearchNotAllowed
		}
		return out, ErrScreenPopNotAllowed
	default:
		if prefix != "" {
			if out.Search, _, err = s.store.ListCustomers(ctx, CustomerQuery{NamePrefix: prefix, PageSize: ScreenPopListMax}); err != nil {
				return out, err
			}
		}
		if q.Pick != "" {
			if out.Shown, err = s.recognizeCustomer(ctx, q.Pick, q.HistoryLimit); err != nil {
				return out, err
			}
		}
	}
	if out.Shown == nil {
		return out, nil
	}
	id := out.Shown.Customer.ID
	if out.Broken, err = s.recentBroken(ctx, id); err != nil {
		return out, err
	}
	out.Unanswered, _, err = s.ListInteractions(ctx, InteractionQuery{CustomerID: id, UnansweredFeedback: true, PageSize: ScreenPopListMax})
	return out, err
}

// recognizeCustomer is what an agent sees of customer id (a merged id's
// survivor), read through one of its identifiers: the store reads a
// customer's history with its holders.
func (s *Service) recognizeCustomer(ctx context.Context, id string, historyLimit int) (*Recognized, error) {
	c, err := s.GetCustomer(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(c.Identifiers) == 0 {
		return &Recognized{Customer: c, AsOf: s.now()}, nil
	}
	res, err := s.match(ctx, identity.Normalized{Identifier: c.Identifiers[0].Identifier}, historyLimit, c.ID)
	if err != nil {
		return nil, err
	}
	if res.Customer == nil || res.Customer.Customer.ID != c.ID {
		return nil, ErrCustomerNotFound // changed between the reads; the agent tries again
	}
	return res.Customer, nil
}

// recentBroken are customer id's BROKEN promises due in the last
// ScreenPopBrokenSince, most recently due first. The store lists them by
// due time, oldest first, with no lower bound: this reads at most four
// pages (2,000 promises), so a customer with more broken promises than
// that would miss the newest. A lower due bound in PromiseQuery would read
// only the last month's; no customer comes near it yet.
func (s *Service) recentBroken(ctx context.Context, id string) ([]Promise, error) {
	since := s.now().Add(-ScreenPopBrokenSince)
	var out []Promise
	token := ""
	for range 4 {
		page, next, err := s.ListPromises(ctx, ListPromisesRequest{PromiseQuery: PromiseQuery{
			CustomerID: id, State: PromiseBroken, PageSize: MaxPageSize, PageToken: token,
		}})
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			if p.DueTime.After(since) {
				out = append(out, p)
			}
		}
		if next == "" {
			break
		}
		token = next
	}
	slices.SortFunc(out, func(a, b Promise) int { return b.DueTime.Compare(a.DueTime) })
	return out[:min(len(out), ScreenPopListMax)], nil
}
