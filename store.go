package herken

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/herken/herken/identity"
)

// Store persists customers, the identifier index, interaction history and
// promises. The domain decides (ids, times, which identifiers may be linked,
// when last contact moves, which promises are overdue); a store applies
// those decisions atomically and answers queries in the documented order,
// with its own keys or columns.
//
// Every implementation passes the conformance suite in store/storetest.
// What every implementation guarantees, also across crashes:
//   - an identifier index entry exists exactly when the customer it names
//     exists and lists that identifier, and every other index agrees with
//     the records it points at;
//   - every method that changes several records does so atomically: all or
//     nothing, and concurrent callers see either state, never a mix;
//   - ids are the caller's: a store keeps them as given and never derives
//     meaning from them (they are opaque strings, ValidID);
//   - update callbacks (fn, broken) run inside the store's transaction and
//     may run more than once when the store retries on a conflict: they must
//     be pure, depending only on their argument and on values captured
//     before the call (minting a fresh id with NewID is fine: only the
//     attempt the store commits is kept);
//   - errors are *Error values (ErrCustomerNotFound, ...), *IdentifierError
//     for an identifier that cannot be linked, context errors, or
//     ErrUnavailable-wrapped storage failures; never API field paths or
//     resource names, which are the caller's business.
type Store interface {
	// CreateCustomer stores c (ID, times and Revision set by the caller)
	// and links every identifier in c.Identifiers through LinkHolder. An
	// identifier that cannot be linked fails the whole create with the
	// *IdentifierError LinkHolder returns. With a non-empty w.Idempotency.Key
	// already used, it returns the customer that request created (same
	// fingerprint) or ErrRequestIDReused, and writes nothing.
	CreateCustomer(ctx context.Context, c Customer, w WriteOptions) (Customer, error)

	// GetCustomer returns the customer with id or ErrCustomerNotFound.
	GetCustomer(ctx context.Context, id string) (Customer, error)

	// Match reads, in one consistent snapshot, the holders of every identifier
	// (in link order, at most MaxHoldersPerIdentity each), their customer
	// records, and — for the customer focus picks from the holders, if any —
	// what MatchOptions asks about it. focus runs inside the snapshot and
	// returns "" for none.
	Match(ctx context.Context, ids []identity.Identifier, opts MatchOptions, focus func(holders [][]string) string) (Snapshot, error)

	// AppendInteraction adds in (ID, times set by the caller) to the history
	// of the customer t names (resolved with TargetHolder) and applies
	// Customer.RecordContact. With w.Idempotency.Key already used it returns
	// the interaction that request recorded (same fingerprint) or
	// ErrRequestIDReused, and writes nothing.
	AppendInteraction(ctx context.Context, t Target, in Interaction, w WriteOptions) (Interaction, error)

	// CreatePromise stores p (ID, CreateTime and State set by the caller)
	// for the customer t names. A non-empty p.InteractionID must name an
	// interaction of that customer (ErrInteractionNotFound). Idempotency as
	// AppendInteraction.
	CreatePromise(ctx context.Context, t Target, p Promise, w WriteOptions) (Promise, error)

	// GetPromise returns one promise or ErrPromiseNotFound.
	GetPromise(ctx context.Context, customerID, promiseID string) (Promise, error)

	// UpdatePromise applies fn to the promise inside a transaction and stores
	// the result, keeping its indexes in step with its state, owner and due
	// time. ID and CustomerID are fixed. fn's error aborts the update and is
	// returned.
	UpdatePromise(ctx context.Context, customerID, promiseID string, fn func(p *Promise) error, w WriteOptions) (Promise, error)

	// ListPromises returns one page of promises matching q, by due time,
	// oldest first, and the token of the next page ("" on the last page).
	// A token from another query is ErrPageToken.
	ListPromises(ctx context.Context, q PromiseQuery) ([]Promise, string, error)

	// BreakOverdue finds OPEN promises due before dueBefore, oldest first,
	// at most limit, and for each, in its own transaction, calls broken
	// with the promise as stored now: when broken says ok, it stores the
	// promise and appends the interaction broken returns (ID set) to the
	// customer's history. It reports how many it broke and whether more are
	// waiting.
	BreakOverdue(ctx context.Context, dueBefore time.Time, limit int, broken func(p Promise) (Promise, Interaction, bool), w WriteOptions) (int, bool, error)

	// ListInteractions returns one page of interactions matching q and the
	// next page token. One customer's history comes newest first (ties by
	// id); unanswered feedback across customers comes oldest submission
	// first.
	ListInteractions(ctx context.Context, q InteractionQuery) ([]Interaction, string, error)

	// UpdateInteraction applies fn to one interaction inside a transaction
	// (ErrInteractionNotFound if absent), keeping the feedback index and the
	// customer's summary in step. ID, CustomerID and OccurTime are fixed.
	UpdateInteraction(ctx context.Context, customerID, interactionID string, fn func(in *Interaction) error, w WriteOptions) (Interaction, error)

	// PurgeInteractions deletes interactions that occurred before cutoff,
	// oldest first, at most limit, and reports how many and whether more
	// are waiting. Customers' last-contact summaries are kept.
	PurgeInteractions(ctx context.Context, cutoff time.Time, limit int, w WriteOptions) (int, bool, error)

	// Close releases the store. Calls after Close fail.
	Close() error
}

// WriteOptions go with every write to a Store: one value, so that what
// every write carries (who makes it, how it is retried) grows in one place.
type WriteOptions struct {
	Idempotency Idempotency // zero: the write is not idempotent
	// Actor is who makes the write: the caller's name once the server
	// authenticates callers, SystemActor for the sweepers, "" if unknown.
	Actor string
}

// MatchOptions says what Match reads about the focus customer.
type MatchOptions struct {
	HistoryLimit     int       // newest interactions to return
	CountSince       time.Time // count contacts (Channel.IsContact: no system events) at or after this time...
	CountMax         int       // ...up to this many (0: don't count)
	OpenPromiseLimit int       // OPEN promises to return, by due time (0: none)
}

// PromiseQuery selects promises for ListPromises.
type PromiseQuery struct {
	CustomerID string       // "" means all customers (OPEN promises only)
	State      PromiseState // 0 means any (one customer only)
	DueBefore  time.Time    // zero means no bound
	OverdueAt  time.Time    // non-zero: only OPEN promises due before this time; a page token keeps its first page's value
	Owner      string       // "" means any
	PageSize   int
	PageToken  string
}

// InteractionQuery selects interactions for ListInteractions.
type InteractionQuery struct {
	CustomerID         string    // "" means all customers (UnansweredFeedback only)
	Channels           []Channel // empty means all
	Start, End         time.Time // [Start, End); zero means unbounded
	UnansweredFeedback bool
	PageSize           int
	PageToken          string
}

// Matches reports whether in passes q's filters, the customer aside: one
// rule for every store.
func (q InteractionQuery) Matches(in Interaction) bool {
	switch {
	case len(q.Channels) > 0 && !slices.Contains(q.Channels, in.Channel):
		return false
	case !q.Start.IsZero() && in.OccurTime.Before(q.Start):
		return false
	case !q.End.IsZero() && !in.OccurTime.Before(q.End):
		return false
	case q.UnansweredFeedback && (in.Feedback == nil || in.Feedback.Answered()):
		return false
	}
	return true
}

// Fingerprint identifies the list q asks for: every filter, not the page
// size or token (channels count as a set). Stores bind their page tokens to
// it, so a token only opens the list it was issued for.
func (q InteractionQuery) Fingerprint() []byte {
	chans := slices.Clone(q.Channels)
	slices.Sort(chans)
	return fingerprint("interactions", q.CustomerID, slices.Compact(chans), q.Start.UTC().Format(time.RFC3339Nano),
		q.End.UTC().Format(time.RFC3339Nano), q.UnansweredFeedback)
}

// Fingerprint identifies the list q asks for, like
// InteractionQuery.Fingerprint. OverdueAt counts as set or not: a list of
// overdue promises keeps its first page's time on every page.
func (q PromiseQuery) Fingerprint() []byte {
	return fingerprint("promises", q.CustomerID, q.State, q.DueBefore.UTC().Format(time.RFC3339Nano), q.Owner, !q.OverdueAt.IsZero())
}

func fingerprint(parts ...any) []byte {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return h.Sum(nil)
}

// Snapshot is what Match read.
type Snapshot struct {
	Holders   [][]string          // per requested identifier, customer ids in link order
	Customers map[string]Customer // every holder's record
	Focus     string              // the customer focus picked, "" if none
	History   []Interaction       // Focus's newest interactions, newest first
	Counted   int                 // Focus's contacts (Channel.IsContact) since MatchOptions.CountSince (capped)
	Promises  []Promise           // Focus's OPEN promises, by due time
}

// Target addresses the customer of a write: by ID, or by an identifier that
// must have exactly one holder (ErrIdentifierNotFound for none, ErrAmbiguous
// for several), resolved inside the write transaction.
type Target struct {
	CustomerID string
	Identifier identity.Identifier
}

// Idempotency makes a create safe to retry. A zero Key disables it.
type Idempotency struct {
	Key         string
	Fingerprint []byte        // hash of the request, to tell a retry from a reuse
	TTL         time.Duration // how long the key is remembered
}
