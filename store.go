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

	// Resolve returns the live customer id names: id itself for a live
	// customer; for a customer merged into another, the live survivor its
	// merges lead to (stores keep that pointer flat: one read, never a
	// chain). ErrCustomerErased for an erased customer (also one merged
	// into a customer erased since), ErrCustomerNotFound for an unknown id.
	Resolve(ctx context.Context, id string) (string, error)

	// UpdateCustomer applies fn to the live customer id inside a transaction
	// and stores the result. fn may change the editable fields and the
	// Identifiers (add, remove, reorder, change provenance): the store links
	// every identifier that is new through LinkHolder (index: its position in
	// the new list) and unlinks every one that is gone, and keeps every index
	// (identifiers, tag, name, update time) in step. ID, CreateTime and the
	// last-contact summary are fixed. fn's error aborts and is returned.
	// ErrCustomerNotFound when id is not a live customer (a merged name
	// included: callers Resolve first), ErrCustomerErased when erased.
	UpdateCustomer(ctx context.Context, id string, fn func(c *Customer) error, w WriteOptions) (Customer, error)

	// ListCustomers returns one page of live customers matching q in q's
	// order (CustomerQuery), and the next page token. Each filter is served
	// from an index: the store never reads every customer to answer.
	ListCustomers(ctx context.Context, q CustomerQuery) ([]Customer, string, error)

	// MergeCustomers merges mergedID into survivorID in one transaction.
	// Both must be live (ErrCustomerNotFound, ErrCustomerErased, or
	// CustomerMerged(its survivor) for a merged name). plan gets both
	// records as stored and returns the survivor's new record and the
	// merge event for its history (PlanMerge). The store then:
	//   - stores the survivor and appends the event (ID set);
	//   - moves every interaction (with feedback) and promise of the merged
	//     customer to the survivor, keeping ids, and every index in step;
	//   - hands every identifier the merged customer held to the survivor
	//     (replacing it among the holders, or dropping it where the survivor
	//     holds the identifier too): no LinkHolder check, nothing is added;
	//   - deletes the merged customer's record and keeps a MergeRecord
	//     (Merged, SurvivorBefore as read, SurvivorRevision from the new
	//     record, the moved ids, EventID, Time = the event's OccurTime);
	//   - points the merged name, and every name that pointed at it, at the
	//     survivor (Resolve).
	// It returns the survivor as stored.
	MergeCustomers(ctx context.Context, survivorID, mergedID string, plan func(survivor, merged Customer) (Customer, Interaction, error), w WriteOptions) (Customer, error)

	// UnmergeCustomer undoes the merge that took mergedID away, in one
	// transaction. ErrCustomerErased when mergedID (or its survivor) was
	// erased, ErrCustomerNotMerged when mergedID is live or unknown as a
	// merged name, CustomerMerged(survivor's survivor) when the record's
	// survivor was itself merged away since. plan gets the MergeRecord and
	// the survivor as stored and returns both customers' new records
	// (PlanUnmerge). The store then:
	//   - moves back every interaction and promise the record lists that
	//     the survivor still has (purged ones stay gone), keeping ids;
	//   - deletes the merge event (EventID) from the survivor's history;
	//   - stores both records, unlinking from the survivor the identifiers
	//     plan removed and linking the merged customer's through LinkHolder
	//     (an exclusive one held by a third customer fails the whole
	//     unmerge with its *IdentifierError);
	//   - sets the survivor's last contact to the newer of plan's value and
	//     its newest remaining contact (Customer.RecordContact);
	//   - deletes the MergeRecord, and points names merged into mergedID
	//     (directly or through others) at mergedID again.
	// It returns the survivor and the merged customer as stored.
	UnmergeCustomer(ctx context.Context, mergedID string, plan func(rec MergeRecord, survivor Customer) (Customer, Customer, error), w WriteOptions) (survivor, merged Customer, err error)

	// Merges returns the MergeRecords of the customers merged directly into
	// id and not unmerged, oldest merge first. id may itself be merged away
	// (its records wait for it to come back); unknown ids have none.
	Merges(ctx context.Context, id string) ([]MergeRecord, error)

	// EraseCustomer erases the live customer id and every customer merged
	// into it, in one transaction: records, identifier links (other holders
	// of a shared identifier keep theirs), interactions, feedback, promises,
	// merge records, idempotency records that name them, and every index
	// entry. Each erased id is remembered as erased (Resolve and every
	// method answer ErrCustomerErased for it) and written to the erasure
	// journal with at. It returns the erased ids, id first. A store that
	// keeps files must leave none of the erased customers' personal data
	// readable in them once it returns (see the store's documentation).
	EraseCustomer(ctx context.Context, id string, at time.Time, w WriteOptions) ([]string, error)

	// Erasures returns erasure journal entries with Time at or after since,
	// oldest first, at most limit: what a restored backup must apply again.
	Erasures(ctx context.Context, since time.Time, limit int) ([]Erasure, error)

	// ImportCustomers applies ops in order, each atomically (all of its
	// writes or none), in as few transactions as the store likes (an import
	// is a bulk write: one transaction per record cannot keep up); each op
	// sees the ops before it. For each op: when no customer holds op.Key,
	// the store stores op.New as CreateCustomer does (linking every
	// identifier through LinkHolder); otherwise it applies op.Update to the
	// holder as UpdateCustomer does, and writes nothing when Update reports
	// no change. An op that fails (an *IdentifierError, Update's error)
	// writes nothing and does not stop the others: its error is in its
	// result. The returned error fails the whole call (the store, the
	// context); transactions committed before it stay applied.
	ImportCustomers(ctx context.Context, ops []ImportOp, w WriteOptions) ([]ImportOpResult, error)

	AuditStore

	// Close releases the store. Calls after Close fail.
	Close() error
}

// CustomerQuery selects customers for ListCustomers. Filters combine with
// AND. Order: with UpdatedSince and no NamePrefix, by UpdateTime then ID;
// otherwise by ID.
type CustomerQuery struct {
	Tag          string    // "" means any; a cleaned tag (lowercase)
	UpdatedSince time.Time // zero means any: UpdateTime at or after
	NamePrefix   string    // "" means any; FoldName'd already; matches the name or a word in it (NameHasPrefix)
	PageSize     int
	PageToken    string
}

// ByUpdateTime reports whether q lists by update time (else by id).
func (q CustomerQuery) ByUpdateTime() bool { return !q.UpdatedSince.IsZero() && q.NamePrefix == "" }

// Matches reports whether c passes every filter of q: one rule for every
// store (an index narrows the candidates, this decides).
func (q CustomerQuery) Matches(c Customer) bool {
	switch {
	case q.Tag != "" && !slices.Contains(c.Tags, q.Tag):
		return false
	case !q.UpdatedSince.IsZero() && c.UpdateTime.Before(q.UpdatedSince):
		return false
	case q.NamePrefix != "" && !NameHasPrefix(FoldName(c.DisplayName), q.NamePrefix):
		return false
	}
	return true
}

// Fingerprint identifies the list q asks for (see InteractionQuery).
func (q CustomerQuery) Fingerprint() []byte {
	return fingerprint("customers", q.Tag, q.UpdatedSince.UTC().Format(time.RFC3339Nano), q.NamePrefix)
}

// MergeRecord is what a store keeps of a merge until it is undone: enough
// to split it back out exactly.
type MergeRecord struct {
	Merged           Customer // the merged customer as it was when merged
	SurvivorID       string   // the customer it was merged into, directly
	SurvivorBefore   Customer // the survivor as it was just before the merge
	SurvivorRevision int64    // the survivor's Revision the merge wrote (informational)
	Interactions     []string // ids of the interactions moved to the survivor
	Promises         []string // ids of the promises moved to the survivor
	EventID          string   // the merge event in the survivor's history
	Time             time.Time
	Actor            string
}

// Erasure is one erasure journal entry: ids and times only, never personal
// data.
type Erasure struct {
	CustomerID string
	Time       time.Time
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

// ImportOp is one upsert of Store.ImportCustomers.
type ImportOp struct {
	// Key is the exclusive identifier that finds the customer (the CRM's
	// external id); New lists it.
	Key identity.Identifier
	// New is the customer to create when nobody holds Key (ID, times and
	// Revision set by the caller).
	New Customer
	// Update changes the holder's record (the store's copy is not
	// reached); changed false writes nothing. Like every callback it must
	// be pure: the store may run it more than once.
	Update func(c *Customer) (changed bool, err error)
}

// ImportOpResult is what Store.ImportCustomers did with one op.
type ImportOpResult struct {
	CustomerID string // the customer created or updated; "" when Err
	// Created is true when the op created the customer, or (with Err)
	// failed creating it: an *IdentifierError's Index is then a position
	// in New.Identifiers, otherwise in the list Update returned.
	Created bool
	Changed bool // an update wrote
	Err     error
}

// Clone is r with records and lists of its own.
func (r MergeRecord) Clone() MergeRecord {
	r.Merged = r.Merged.Clone()
	r.SurvivorBefore = r.SurvivorBefore.Clone()
	r.Interactions = slices.Clone(r.Interactions)
	r.Promises = slices.Clone(r.Promises)
	return r
}
