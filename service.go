package herken

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herken/herken/identity"
)

// ServiceConfig configures a Service. The zero value is usable.
type ServiceConfig struct {
	// Now returns the current time; tests inject a fixed clock.
	Now func() time.Time
	// IdempotencyTTL is how long a request_id is remembered; default 24h.
	IdempotencyTTL time.Duration
	// CallbackDue is when a CALLBACK promise without a due time is due,
	// counted from its creation; default DefaultCallbackDue.
	CallbackDue time.Duration
	// Blocklist holds placeholder identifiers that are never linked and
	// never match; nil means identity.DefaultBlocklist().
	Blocklist *identity.Blocklist
}

// Service holds the recognition rules: who an identifier belongs to, when a
// match is ambiguous, what may be linked and recorded. It is safe for
// concurrent use.
type Service struct {
	store Store
	norm  *identity.Normalizer
	now   func() time.Time
	ttl   time.Duration

	callbackDue time.Duration
	blocklist   *identity.Blocklist
}

// NewService returns a Service over store using norm to read identifiers.
func NewService(store Store, norm *identity.Normalizer, cfg ServiceConfig) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdempotencyTTL <= 0 {
		cfg.IdempotencyTTL = 24 * time.Hour
	}
	if cfg.CallbackDue <= 0 {
		cfg.CallbackDue = DefaultCallbackDue
	}
	if cfg.Blocklist == nil {
		cfg.Blocklist = identity.DefaultBlocklist()
	}
	return &Service{store: followMerges{store}, norm: norm, now: cfg.Now, ttl: cfg.IdempotencyTTL, callbackDue: cfg.CallbackDue, blocklist: cfg.Blocklist}
}

// Normalize normalises one client input (see identity.Normalizer.Normalize).
func (s *Service) Normalize(in identity.Input) (identity.Normalized, error) {
	return s.norm.Normalize(in)
}

// MatchOutcome is the outcome of matching one identifier.
type MatchOutcome uint8

const (
	MatchUnspecified MatchOutcome = iota
	MatchFound
	MatchAmbiguous
	MatchNotFound
)

// Recognized is what an agent sees for a recognised customer.
type Recognized struct {
	Customer     Customer
	Recent       []Interaction // newest first
	OpenPromises []Promise     // by due time: overdue first
	Summary      ContactSummary
	// AsOf is the time the answer was computed at: overdue promises and
	// the 30-day window are measured against it.
	AsOf time.Time
}

// ContactSummary is the story so far in one glance.
type ContactSummary struct {
	LastContact        *Interaction // newest contact that is not a system event
	ContactsLast30Days int
	OpenFollowUps      int // FOLLOW_UP or ESCALATED contacts since the newest RESOLVED one
	OpenPromises       int
	OverduePromises    int
}

// matchOptions asks the store for everything a Recognized needs.
func matchOptions(historyLimit int, now time.Time) MatchOptions {
	return MatchOptions{
		HistoryLimit:     max(clampLimit(historyLimit), SummaryScanInteraction),
		CountSince:       now.Add(-ContactSummaryDays * 24 * time.Hour),
		CountMax:         MaxContactsCounted,
		OpenPromiseLimit: MaxOpenPromisesShown,
	}
}

// recognized builds the agent's view of the focus customer of snap.
func recognized(snap Snapshot, historyLimit int, now time.Time) *Recognized {
	r := &Recognized{Customer: snap.Customers[snap.Focus], OpenPromises: snap.Promises, AsOf: now}
	r.Recent = snap.History[:min(len(snap.History), clampLimit(historyLimit))]
	r.Summary.ContactsLast30Days = snap.Counted
	resolved := false
	for i := range snap.History {
		in := &snap.History[i]
		if !in.Channel.IsContact() {
			continue
		}
		if r.Summary.LastContact == nil {
			r.Summary.LastContact = in
		}
		if in.Outcome == OutcomeResolved {
			resolved = true
		}
		// Counted among the newest SummaryScanInteraction only, whatever the
		// history limit fetched, so the count does not change with it.
		if i < SummaryScanInteraction && !resolved && (in.Outcome == OutcomeFollowUp || in.Outcome == OutcomeEscalated) {
			r.Summary.OpenFollowUps++
		}
	}
	r.Summary.OpenPromises = len(snap.Promises)
	for _, p := range snap.Promises {
		if late, _ := p.Overdue(now); late {
			r.Summary.OverduePromises++
		}
	}
	return r
}

// LookupResult is the answer to Lookup.
type LookupResult struct {
	Outcome    MatchOutcome
	Input      identity.Normalized
	Customer   *Recognized // MatchFound; for MatchAmbiguous, the candidate picked (ScreenPop)
	Candidates []Customer  // MatchAmbiguous only, most recently contacted first
}

// LookupInput normalises in and matches it. A plainly written phone number
// (the PBX case) first tries the FastPhone candidate: the index holds only
// canonical numbers, so a hit is the answer and the full parser — most of
// the cost of a Lookup — is skipped. A miss falls back to the parser, which
// decides between NOT_FOUND and PHONE_NUMBER_INVALID as before.
func (s *Service) LookupInput(ctx context.Context, in identity.Input, historyLimit int) (LookupResult, error) {
	raw := in.Value
	if in.Kind == identity.KindUnspecified {
		raw = in.Query
	}
	if in.Kind == identity.KindPhone || in.Kind == identity.KindUnspecified {
		if cand, ok := s.norm.FastPhone(raw); ok {
			res, err := s.Lookup(ctx, identity.Normalized{Identifier: cand}, historyLimit)
			if err != nil || res.Outcome != MatchNotFound {
				return res, err
			}
			n, err := s.norm.Normalize(in)
			if err != nil {
				return LookupResult{}, err
			}
			if n.Identifier == cand {
				res.Input = n
				return res, nil
			}
			return s.Lookup(ctx, n, historyLimit)
		}
	}
	n, err := s.norm.Normalize(in)
	if err != nil {
		return LookupResult{}, err
	}
	return s.Lookup(ctx, n, historyLimit)
}

// Lookup matches one normalised identifier. A withheld or unknown identifier
// is MatchNotFound, not an error.
func (s *Service) Lookup(ctx context.Context, n identity.Normalized, historyLimit int) (LookupResult, error) {
	if !s.matchable(n) {
		return LookupResult{Outcome: MatchNotFound, Input: n}, nil
	}
	return s.match(ctx, n, historyLimit, "")
}

// matchable: a withheld or blocklisted identifier matches nobody.
func (s *Service) matchable(n identity.Normalized) bool {
	return !n.Withheld && !s.blocklist.Blocked(n.Identifier)
}

// match matches n's identifier in one read. The customer is the one holder
// (FOUND), or, among several (AMBIGUOUS, with the candidates), pick when it
// is one of them ("" picks none).
func (s *Service) match(ctx context.Context, n identity.Normalized, historyLimit int, pick string) (LookupResult, error) {
	res := LookupResult{Outcome: MatchNotFound, Input: n}
	now := s.now()
	snap, err := s.store.Match(ctx, []identity.Identifier{n.Identifier}, matchOptions(historyLimit, now), func(h [][]string) string {
		switch {
		case len(h[0]) == 1:
			return h[0][0]
		case pick != "" && slices.Contains(h[0], pick):
			return pick
		}
		return ""
	})
	if err != nil {
		return res, err
	}
	switch holders := snap.Holders[0]; {
	case len(holders) == 0:
	case len(holders) == 1 && snap.Focus != "":
		res.Outcome = MatchFound
		res.Customer = recognized(snap, historyLimit, now)
	default:
		res.Outcome = MatchAmbiguous
		res.Candidates = rankCandidates(snap.Customers, holders)
		if snap.Focus != "" {
			res.Customer = recognized(snap, historyLimit, now)
		}
	}
	return res, nil
}

// ResolveOutcome is the combined outcome of Resolve.
type ResolveOutcome uint8

const (
	ResolveUnspecified ResolveOutcome = iota
	ResolveMatched
	ResolvePartial
	ResolveAmbiguous
	ResolveConflict
	ResolveNotFound
)

// IdentifierMatch is how one Resolve input matched.
type IdentifierMatch struct {
	Input     identity.Normalized
	Outcome   MatchOutcome
	Customers []string // holder ids in link order
}

// ResolveResult is the answer to Resolve.
type ResolveResult struct {
	Outcome    ResolveOutcome
	Matches    []IdentifierMatch // one per input, in input order
	Customer   *Recognized       // ResolveMatched and ResolvePartial
	Candidates []Customer        // ResolveAmbiguous (shared holders) and ResolveConflict (all holders)
}

// MaxResolveIdentifiers is the most identifiers one Resolve may carry.
const MaxResolveIdentifiers = 10

// Resolve matches several identifiers of one contact and decides whether they
// agree on one customer: the customers held in common by every identifier
// that is known. One common customer is MATCHED (every identifier known) or
// PARTIAL (some unknown or withheld); several is AMBIGUOUS; none is CONFLICT.
func (s *Service) Resolve(ctx context.Context, ns []identity.Normalized, historyLimit int) (ResolveResult, error) {
	var res ResolveResult
	switch {
	case len(ns) == 0:
		return res, invalid(ReasonFieldRequired, "identifiers", "at least one identifier is required")
	case len(ns) > MaxResolveIdentifiers:
		return res, tooMany("identifiers", MaxResolveIdentifiers)
	}
	// Match each distinct identifier once; pos maps inputs to query slots.
	var ids []identity.Identifier
	pos := make([]int, len(ns))
	for i, n := range ns {
		pos[i] = -1
		if n.Withheld || s.blocklist.Blocked(n.Identifier) {
			continue
		}
		if j := slices.Index(ids, n.Identifier); j >= 0 {
			pos[i] = j
			continue
		}
		pos[i] = len(ids)
		ids = append(ids, n.Identifier)
	}
	now := s.now()
	snap := Snapshot{Customers: map[string]Customer{}}
	if len(ids) > 0 {
		var err error
		snap, err = s.store.Match(ctx, ids, matchOptions(historyLimit, now), func(h [][]string) string {
			if common := commonHolders(h); len(common) == 1 {
				return common[0]
			}
			return ""
		})
		if err != nil {
			return res, err
		}
	}
	allKnown := true
	for i, n := range ns {
		m := IdentifierMatch{Input: n, Outcome: MatchNotFound}
		if pos[i] >= 0 {
			m.Customers = snap.Holders[pos[i]]
			switch len(m.Customers) {
			case 0:
			case 1:
				m.Outcome = MatchFound
			default:
				m.Outcome = MatchAmbiguous
			}
		}
		if m.Outcome == MatchNotFound {
			allKnown = false
		}
		res.Matches = append(res.Matches, m)
	}
	common := commonHolders(snap.Holders)
	switch {
	case len(snap.Customers) == 0:
		res.Outcome = ResolveNotFound
	case snap.Focus != "":
		res.Outcome = ResolvePartial
		if allKnown {
			res.Outcome = ResolveMatched
		}
		res.Customer = recognized(snap, historyLimit, now)
	case len(common) > 1:
		res.Outcome = ResolveAmbiguous
		res.Candidates = rankCandidates(snap.Customers, common)
	default:
		res.Outcome = ResolveConflict
		var all []string
		for _, h := range snap.Holders {
			for _, id := range h {
				if !slices.Contains(all, id) {
					all = append(all, id)
				}
			}
		}
		res.Candidates = rankCandidates(snap.Customers, all)
	}
	return res, nil
}

// commonHolders returns the customers held by every non-empty holder list.
func commonHolders(holders [][]string) []string {
	var common []string
	started := false
	for _, h := range holders {
		if len(h) == 0 {
			continue
		}
		if !started {
			common, started = slices.Clone(h), true
			continue
		}
		common = slices.DeleteFunc(common, func(id string) bool { return !slices.Contains(h, id) })
	}
	return common
}

// rankCandidates orders customers by most recent contact, then newest
// customer, then id, so the order is stable and explainable to an agent.
func rankCandidates(customers map[string]Customer, ids []string) []Customer {
	out := make([]Customer, 0, len(ids))
	for _, id := range ids {
		if c, ok := customers[id]; ok {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Customer) int {
		if c := b.LastContactTime.Compare(a.LastContactTime); c != 0 {
			return c
		}
		if c := b.CreateTime.Compare(a.CreateTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultRecentLimit
	case n > MaxRecentLimit:
		return MaxRecentLimit
	}
	return n
}

// Write describes who makes a write and how it is retried; every write
// method of the Service takes one.
type Write struct {
	// RequestID, if set, makes a create safe to retry: a retry with the same
	// id and request returns the first call's result (REQUEST_ID_REUSED for
	// another request). At most 64 letters, digits, '-' and '_'.
	RequestID string
	// Actor is who makes the write (an authenticated caller's name,
	// SystemActor for the sweepers); "" if unknown.
	Actor string
	// CallID names the call in logs and in the audit trail (the caller's
	// x-request-id, or one the server made) when RequestID is empty; it
	// makes nothing idempotent.
	CallID string
}

// NewCustomer is the input of CreateCustomer.
type NewCustomer struct {
	DisplayName       string
	PreferredLanguage string
	Tags              []string
	HandoverNote      string
	Identifiers       []identity.Normalized
	IdentifierSource  string // provenance of every identifier (LinkedIdentifier.Source)
}

// CreateCustomer validates nc, then stores the customer and links its
// identifiers atomically. A customer needs a display name or an identifier:
// one with neither could never be found again.
func (s *Service) CreateCustomer(ctx context.Context, nc NewCustomer, w Write) (Customer, error) {
	c, pos, err := s.buildCustomer(nc)
	if err != nil {
		return Customer{}, err
	}
	opts, err := s.writeOptions(w, customerFingerprint(c))
	if err != nil {
		return Customer{}, err
	}
	out, err := s.store.CreateCustomer(ctx, c, opts)
	// The store names c.Identifiers[i]; the caller's field is the request's
	// position of that identifier, which differs once duplicates are dropped.
	var ie *IdentifierError
	if errors.As(err, &ie) && ie.Index >= 0 && ie.Index < len(pos) {
		e := *ie.Err
		e.Field = "identifiers[" + strconv.Itoa(pos[ie.Index]) + "]"
		e.Err = ie
		return out, &e
	}
	return out, err
}

// buildCustomer validates nc; pos[i] is the request position of
// c.Identifiers[i] (duplicates are dropped).
func (s *Service) buildCustomer(nc NewCustomer) (c Customer, pos []int, err error) {
	// Collect every invalid field, so a client fixes them all in one round.
	var errs []error
	check := func(v string, err error) string {
		errs = append(errs, err)
		return v
	}
	c = Customer{
		DisplayName:       check(cleanLine(nc.DisplayName, "display_name", MaxDisplayNameRunes)),
		PreferredLanguage: check(canonicalLanguage(nc.PreferredLanguage)),
		HandoverNote:      check(cleanText(nc.HandoverNote, "handover_note", MaxHandoverNoteRunes)),
	}
	tags, err := cleanTags(nc.Tags)
	c.Tags = tags
	if err = errors.Join(append(errs, err)...); err != nil {
		return c, nil, err
	}
	if len(nc.Identifiers) > MaxIdentifiers {
		return c, nil, tooMany("identifiers", MaxIdentifiers)
	}
	now := s.now().UTC()
	source, err := cleanSource(nc.IdentifierSource, "identifier_source")
	if err != nil {
		return c, nil, err
	}
	for i, n := range nc.Identifiers {
		if err := s.checkLinkable(n, "identifiers["+strconv.Itoa(i)+"]"); err != nil {
			return c, nil, err
		}
		if !c.HasIdentifier(n.Identifier) {
			c.Identifiers = append(c.Identifiers, LinkedIdentifier{Identifier: n.Identifier, LinkTime: now, Source: source})
			pos = append(pos, i)
		}
	}
	if c.DisplayName == "" && len(c.Identifiers) == 0 {
		return c, nil, invalid(ReasonFieldRequired, "display_name", "a customer needs a display name or at least one identifier")
	}
	c.ID = NewID()
	c.CreateTime, c.UpdateTime, c.Revision = now, now, 1
	return c, pos, nil
}

// Target addresses the customer of RecordInteraction: a customer id or a
// normalised identifier.
type InteractionTarget struct {
	CustomerID string
	Identifier *identity.Normalized
}

// RecordInteraction validates in and appends it to the target customer's
// history. in.ID, in.CustomerID, in.Identifier and in.CreateTime are set here.
func (s *Service) RecordInteraction(ctx context.Context, t InteractionTarget, in Interaction, w Write) (Interaction, error) {
	now := s.now().UTC()
	// The fingerprint covers what the client sent: a retry without
	// occur_time must match the first call, whose time defaulted to "now".
	asSent := in
	if err := s.validateInteraction(&in, now); err != nil {
		return Interaction{}, err
	}
	target := Target{CustomerID: t.CustomerID}
	if t.Identifier != nil {
		if err := s.checkLinkable(*t.Identifier, "identifier"); err != nil {
			return Interaction{}, err
		}
		target.Identifier = t.Identifier.Identifier
		in.Identifier = t.Identifier.Identifier
	}
	in.ID, in.CustomerID, in.CreateTime = NewID(), "", now
	opts, err := s.writeOptions(w, interactionFingerprint(target, asSent))
	if err != nil {
		return Interaction{}, err
	}
	out, err := s.store.AppendInteraction(ctx, target, in, opts)
	return out, targetField(target, err)
}

// targetField places an error about the customer a write was addressed to
// by identifier (none or several hold it) on the request's "identifier".
func targetField(t Target, err error) error {
	if t.CustomerID == "" && (errors.Is(err, ErrIdentifierNotFound) || errors.Is(err, ErrAmbiguous)) {
		if de, ok := AsError(err); ok {
			return de.WithField("identifier")
		}
	}
	return err
}

func (s *Service) validateInteraction(in *Interaction, now time.Time) error {
	var err error
	switch {
	case !in.Channel.IsContact():
		return enumInvalid("channel")
	case !in.Direction.Valid():
		return enumInvalid("direction")
	case !in.Outcome.Valid():
		return enumInvalid("outcome")
	}
	if in.OccurTime.IsZero() {
		in.OccurTime = now
	}
	in.OccurTime = in.OccurTime.UTC()
	if in.OccurTime.After(now.Add(MaxFutureSkew)) || !in.OccurTime.After(time.Unix(0, 0)) {
		return invalid(ReasonTimeInvalid, "occur_time", "must be after 1970-01-01T00:00:00Z and at most %s in the future", MaxFutureSkew)
	}
	if in.Duration < 0 || in.Duration > MaxDuration {
		return invalid(ReasonTimeInvalid, "duration", "must be between 0 and %s", MaxDuration)
	}
	if in.Agent, err = cleanLine(in.Agent, "agent", MaxAgentRunes); err != nil {
		return err
	}
	if in.Summary, err = cleanText(in.Summary, "summary", MaxSummaryRunes); err != nil {
		return err
	}
	if in.CaseReference, err = cleanLine(in.CaseReference, "case_reference", MaxCaseReferenceRunes); err != nil {
		return err
	}
	return nil
}

// writeOptions validates w's request id, pairing it with the request's
// fingerprint, and carries w's actor to the store.
func (s *Service) writeOptions(w Write, fingerprint []byte) (WriteOptions, error) {
	idem, err := s.idempotency(w.RequestID, fingerprint)
	return WriteOptions{Idempotency: idem, Actor: w.Actor}, err
}

func (s *Service) idempotency(requestID string, fingerprint []byte) (Idempotency, error) {
	if requestID == "" {
		return Idempotency{}, nil
	}
	if len(requestID) > 64 {
		return Idempotency{}, invalid(ReasonRequestIDInvalid, "request_id", "at most 64 characters")
	}
	for i := 0; i < len(requestID); i++ {
		c := requestID[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return Idempotency{}, invalid(ReasonRequestIDInvalid, "request_id", "only letters, digits, '-' and '_' are allowed")
		}
	}
	return Idempotency{Key: requestID, Fingerprint: fingerprint, TTL: s.ttl}, nil
}

// customerFingerprint hashes what the client asked for (not the generated id
// or times), so a retry matches and a different request under the same key
// does not.
func customerFingerprint(c Customer) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "customer\x00%q\x00%q\x00%q\x00%q\x00", c.DisplayName, c.PreferredLanguage, c.Tags, c.HandoverNote)
	for _, l := range c.Identifiers {
		fmt.Fprintf(h, "%q\x00", fingerprintID(l.Identifier))
	}
	return h.Sum(nil)
}

func interactionFingerprint(t Target, in Interaction) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "interaction\x00%q\x00%q\x00%d\x00%d\x00%d\x00%d\x00%q\x00%q\x00%q\x00%d\x00",
		t.CustomerID, fingerprintID(t.Identifier), in.Channel, in.Direction, in.Outcome, in.OccurTime.UnixNano(),
		in.Agent, in.Summary, in.CaseReference, in.Duration)
	return h.Sum(nil)
}

// fingerprintID is an identifier in a request fingerprint: a one-letter
// kind tag, ':' and the canonical value, unambiguous across kinds. The
// fingerprints are remembered with request ids for a day, so this encoding
// is frozen (fingerprint_test.go): a change would turn a client's retry
// across an upgrade into REQUEST_ID_REUSED.
func fingerprintID(id identity.Identifier) string {
	const tags = "?pesxa" // unspecified, phone, email, social, external id, postal address
	tag := byte('?')
	if int(id.Kind) < len(tags) {
		tag = tags[id.Kind]
	}
	return string(tag) + ":" + id.Value
}

const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford base32, lowercase

var idEncoding = base32.NewEncoding(idAlphabet).WithPadding(base32.NoPadding)

// NewID returns a new id for a customer, an interaction or a promise: 80
// random bits in lowercase Crockford base32 (16 characters), safe in
// resource names and store keys. Ids are minted here, never by a store, and
// are opaque everywhere else: nothing may read meaning from them.
func NewID() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return idEncoding.EncodeToString(b[:])
}

// MaxIDLen is the longest id ValidID accepts.
const MaxIDLen = 64

// ValidID reports whether id could be an id: 1 to MaxIDLen lowercase ASCII
// letters and digits. It keeps junk out of resource names and store keys
// (no '/', no separators); it does not say the record exists. Ids are
// opaque: ids minted before NewID's form (the 24-hex-digit interaction and
// promise ids of store format 2) stay valid.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// GetCustomer returns the customer with id; for a merged customer its
// survivor (whose ID then differs from id).
func (s *Service) GetCustomer(ctx context.Context, id string) (Customer, error) {
	return s.store.GetCustomer(ctx, id)
}
