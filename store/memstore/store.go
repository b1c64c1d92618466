// Package memstore is the in-memory herken.Store: the reference
// implementation that the domain's unit tests run on and that `herken serve
// --in-memory` serves. It holds customers, the identifier index, history,
// promises, remembered request ids and the cross-customer indexes in maps
// and sorted slices behind one mutex, copies every value in and out, and
// persists nothing. It may import the standard library, herken and
// herken/identity only.
package memstore

import (
	"bytes"
	"container/heap"
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Now is the clock idempotency keys expire by; nil means time.Now.
	Now func() time.Time
}

// Store is the in-memory implementation of herken.Store. Every method runs
// under one lock (readers share it), so each is atomic and update callbacks
// run exactly once, under the lock: they must not call the store.
//
// Records live per customer (history newest first, promises by due time,
// each with a map by id); what is listed across customers is answered from
// sorted indexes kept in step with the records (index.go), never by a scan
// over customers.
type Store struct {
	now    func() time.Time
	secret []byte // HMAC key of page tokens, random per store

	mu        sync.RWMutex
	closed    bool
	customers map[string]*customer
	holders   map[identity.Identifier][]string // in link order
	requests  map[string]request               // by idempotency key
	expiry    expiryHeap                       // requests by expiry, to forget them
	due       index                            // OPEN promises: (due, customer, promise)
	owners    map[string]*index                // OPEN promises per owner: (due, customer, promise)
	occurred  index                            // every interaction: (occur, customer, interaction)
	feedback  index                            // unanswered feedback: (submit, customer, interaction)

	// ListCustomers' indexes (list.go): live customers by id, by update
	// time, and by id per tag and per folded name prefix; per tag also by
	// update time, so a tag with updated-since is served in its order.
	all         index             // (zero, "", customer)
	updated     index             // (update time, "", customer)
	tags        map[string]*index // tag: (zero, "", customer)
	tagsUpdated map[string]*index // tag: (update time, "", customer)
	names       map[string]*index // every herken.NamePrefixes: (zero, "", customer)

	// Merges and erasures (lifecycle.go). A name is live (customers),
	// merged (merged, pointing flat at its live survivor), erased, or
	// unknown; never two of these.
	merged     map[string]string              // merged name -> live survivor
	aliases    map[string]map[string]struct{} // live survivor -> names merged into it, directly or not
	records    map[string]herken.MergeRecord  // by merged id, until unmerged or erased
	mergedInto map[string][]string            // survivor -> ids merged directly into it, oldest first
	erased     map[string]struct{}            // tombstones
	journal    []herken.Erasure               // oldest first

	// The audit trail (audit.go): per customer id as recorded, newest
	// first; and every record by time, oldest first.
	audits   map[string][]herken.AuditRecord
	auditAge index // (time, customer, record)
}

var _ herken.Store = (*Store)(nil)

// customer is one customer's record with everything that is only its own.
type customer struct {
	herken.Customer
	history      []*herken.Interaction // herken.NewestFirst
	interactions map[string]*herken.Interaction
	promises     []*herken.Promise // herken.ByDue
	promiseByID  map[string]*herken.Promise
}

// request is what an idempotency key remembers: the request's fingerprint
// and what it made (a customer, or an interaction or promise of one).
type request struct {
	fingerprint []byte
	customer    string
	id          string // "" for a customer
	expires     time.Time
}

// New returns an empty store.
func New(opts Options) *Store {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	return &Store{
		now:       opts.Now,
		secret:    secret,
		customers: map[string]*customer{},
		holders:   map[identity.Identifier][]string{},
		requests:  map[string]request{},
		owners:    map[string]*index{},

		tags:        map[string]*index{},
		tagsUpdated: map[string]*index{},
		names:       map[string]*index{},
		merged:      map[string]string{},
		aliases:     map[string]map[string]struct{}{},
		records:     map[string]herken.MergeRecord{},
		mergedInto:  map[string][]string{},
		erased:      map[string]struct{}{},
	}
}

var errClosed = errors.New("memstore: closed")

// Close implements herken.Store. The data stays readable to nothing: every
// later call fails with ErrUnavailable.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Ping reports whether the store serves: it fails once closed (the server's
// health probe).
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usable()
}

// Writable reports whether the store takes writes: always, until closed
// (memory has no free-space reserve).
func (s *Store) Writable() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usable()
}

// Empty reports whether the store holds no customers (live ones: merged
// names always leave a live survivor, erased ones hold nothing).
func (s *Store) Empty(ctx context.Context) (bool, error) {
	if err := s.rlock(ctx); err != nil {
		return false, err
	}
	defer s.mu.RUnlock()
	return len(s.customers) == 0, nil
}

// usable fails once the store is closed. Callers hold the lock.
func (s *Store) usable() error {
	if s.closed {
		e := *herken.ErrUnavailable
		e.Err = errClosed
		return &e
	}
	return nil
}

// rlock takes the read lock for a call with ctx; on error it holds nothing.
func (s *Store) rlock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	if err := s.usable(); err != nil {
		s.mu.RUnlock()
		return err
	}
	return nil
}

// lock takes the write lock for a call with ctx; on error it holds nothing.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	return nil
}

// corrupt is a caller bug or broken invariant: INTERNAL, never the
// request's fault.
func corrupt(msg string) error {
	return &herken.Error{Code: herken.CodeInternal, Reason: herken.ReasonInternal, Message: msg}
}

// CreateCustomer implements herken.Store. Every link is decided before
// anything changes, so a refused create leaves no trace.
func (s *Store) CreateCustomer(ctx context.Context, c herken.Customer, w herken.WriteOptions) (herken.Customer, error) {
	if !herken.ValidID(c.ID) {
		return herken.Customer{}, corrupt("customer id has the wrong shape")
	}
	if err := s.lock(ctx); err != nil {
		return herken.Customer{}, err
	}
	defer s.mu.Unlock()
	if r, ok, err := s.recall(w.Idempotency); err != nil || ok {
		if err != nil {
			return herken.Customer{}, err
		}
		// A customer merged away since: the name answers with its survivor.
		prior, ok := s.customers[s.follow(r.customer)]
		if !ok {
			return herken.Customer{}, herken.ErrCustomerNotFound
		}
		return prior.Customer.Clone(), nil
	}
	if s.known(c.ID) {
		return herken.Customer{}, corrupt("customer id collision")
	}
	// Staged, so a customer listing one identifier twice links it once.
	links := s.stageLinks()
	for i, l := range c.Identifiers {
		if err := links.link(l.Identifier, c.ID, i); err != nil {
			return herken.Customer{}, err
		}
	}
	links.commit()
	s.customers[c.ID] = newCustomer(c)
	s.indexCustomer(c)
	s.remember(w.Idempotency, c.ID, "")
	return c.Clone(), nil
}

// GetCustomer implements herken.Store.
func (s *Store) GetCustomer(ctx context.Context, id string) (herken.Customer, error) {
	if err := s.rlock(ctx); err != nil {
		return herken.Customer{}, err
	}
	defer s.mu.RUnlock()
	c, err := s.live(id)
	if err != nil {
		return herken.Customer{}, err
	}
	return c.Customer.Clone(), nil
}

// newCustomer is c's record with an empty history.
func newCustomer(c herken.Customer) *customer {
	return &customer{
		Customer:     c.Clone(),
		interactions: map[string]*herken.Interaction{},
		promiseByID:  map[string]*herken.Promise{},
	}
}

// live returns the live customer id, or why there is none:
// ErrCustomerErased for an erased id, ErrCustomerNotFound for an unknown
// or merged one (callers Resolve a merged name first). Callers hold the
// lock.
func (s *Store) live(id string) (*customer, error) {
	if c, ok := s.customers[id]; ok {
		return c, nil
	}
	if _, ok := s.erased[id]; ok {
		return nil, herken.ErrCustomerErased
	}
	return nil, herken.ErrCustomerNotFound
}

// follow returns the live survivor of a merged name, else id itself.
// Callers hold the lock.
func (s *Store) follow(id string) string {
	if to, ok := s.merged[id]; ok {
		return to
	}
	return id
}

// known reports whether id names anything: a live, merged or erased
// customer. Callers hold the lock.
func (s *Store) known(id string) bool {
	_, live := s.customers[id]
	_, merged := s.merged[id]
	_, erased := s.erased[id]
	return live || merged || erased
}

// Match implements herken.Store: one read-locked pass over the identifiers'
// holders and the focus customer's own records.
func (s *Store) Match(ctx context.Context, ids []identity.Identifier, opts herken.MatchOptions, focus func(holders [][]string) string) (herken.Snapshot, error) {
	if err := s.rlock(ctx); err != nil {
		return herken.Snapshot{}, err
	}
	defer s.mu.RUnlock()
	snap := herken.Snapshot{Holders: make([][]string, len(ids)), Customers: map[string]herken.Customer{}}
	for i, id := range ids {
		hs := s.holders[id]
		snap.Holders[i] = slices.Clone(hs[:min(len(hs), herken.MaxHoldersPerIdentity)])
		for _, cid := range snap.Holders[i] {
			if _, ok := snap.Customers[cid]; ok {
				continue
			}
			c, ok := s.customers[cid]
			if !ok {
				return herken.Snapshot{}, corrupt("identifier index names a missing customer")
			}
			snap.Customers[cid] = c.Customer.Clone()
		}
	}
	if focus == nil {
		return snap, nil
	}
	if snap.Focus = focus(snap.Holders); snap.Focus == "" {
		return snap, nil
	}
	c, ok := s.customers[snap.Focus]
	if _, held := snap.Customers[snap.Focus]; !ok || !held {
		return herken.Snapshot{}, corrupt("focus picked a customer no identifier holds")
	}
	snap.History, snap.Counted = c.recent(opts)
	snap.Promises = c.openPromises(opts.OpenPromiseLimit)
	return snap, nil
}

// recent returns c's newest opts.HistoryLimit interactions and counts its
// contacts since opts.CountSince, at most opts.CountMax.
func (c *customer) recent(opts herken.MatchOptions) ([]herken.Interaction, int) {
	var out []herken.Interaction
	for _, in := range c.history[:min(max(opts.HistoryLimit, 0), len(c.history))] {
		out = append(out, in.Clone())
	}
	counted := 0
	for _, in := range c.history {
		if counted >= opts.CountMax || in.OccurTime.Before(opts.CountSince) {
			break // newest first: everything after is older
		}
		if in.Channel.IsContact() {
			counted++
		}
	}
	return out, counted
}

// openPromises returns up to limit of c's OPEN promises, by due time.
func (c *customer) openPromises(limit int) []herken.Promise {
	var out []herken.Promise
	for _, p := range c.promises {
		if len(out) >= limit {
			break
		}
		if p.State == herken.PromiseOpen {
			out = append(out, *p)
		}
	}
	return out
}

// target finds the customer a write addresses (herken.TargetHolder for an
// identifier). Callers hold the lock.
func (s *Store) target(t herken.Target) (*customer, error) {
	id := t.CustomerID
	if id == "" {
		var err error
		if id, err = herken.TargetHolder(s.holders[t.Identifier]); err != nil {
			return nil, err
		}
	}
	c, err := s.live(id)
	if err != nil && t.CustomerID == "" {
		return nil, corrupt("identifier index names a missing customer")
	}
	return c, err
}

// recall looks up an idempotency key: ok with what the same request made,
// ErrRequestIDReused for another request, neither when the key is new,
// expired or idem is off. Callers hold the write lock.
func (s *Store) recall(idem herken.Idempotency) (request, bool, error) {
	if idem.Key == "" {
		return request{}, false, nil
	}
	r, ok := s.requests[idem.Key]
	if !ok || !s.now().Before(r.expires) {
		return request{}, false, nil
	}
	if !bytes.Equal(r.fingerprint, idem.Fingerprint) {
		return request{}, false, herken.ErrRequestIDReused
	}
	return r, true, nil
}

// remember stores what a request made under its idempotency key for
// idem.TTL, and forgets the keys that expired meanwhile.
func (s *Store) remember(idem herken.Idempotency, customerID, id string) {
	now := s.now()
	for len(s.expiry) > 0 && !now.Before(s.expiry[0].expires) {
		e := heap.Pop(&s.expiry).(expiring)
		// A key remembered again since has a later expiry: keep it.
		if r, ok := s.requests[e.key]; ok && r.expires.Equal(e.expires) {
			delete(s.requests, e.key)
		}
	}
	if idem.Key == "" || idem.TTL <= 0 {
		return
	}
	r := request{fingerprint: slices.Clone(idem.Fingerprint), customer: customerID, id: id, expires: now.Add(idem.TTL)}
	s.requests[idem.Key] = r
	heap.Push(&s.expiry, expiring{expires: r.expires, key: idem.Key})
}

// expiring is one remembered key in the expiry heap.
type expiring struct {
	expires time.Time
	key     string
}

// expiryHeap is a min-heap of keys by expiry (container/heap).
type expiryHeap []expiring

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiring)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
