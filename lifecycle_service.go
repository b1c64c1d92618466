package herken

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/herken/herken/identity"
)

// Etag is the customer's etag: its Revision, opaque to clients.
func (c *Customer) Etag() string { return strconv.FormatInt(c.Revision, 10) }

// CustomerUpdate is the input of UpdateCustomer.
type CustomerUpdate struct {
	ID     string
	Fields CustomerField // which fields to change; 0 means none
	// New values of the fields named in Fields (others are ignored).
	DisplayName       string
	PreferredLanguage string
	Tags              []string
	HandoverNote      string
	Etag              string // "" skips the check; otherwise the etag the caller read
}

// UpdateCustomer validates u and changes the fields it names, refusing with
// ErrEtagMismatch when u.Etag is set and stale. An update that changes
// nothing keeps the revision (and the etag).
func (s *Service) UpdateCustomer(ctx context.Context, u CustomerUpdate, w Write) (Customer, error) {
	// Only the fields being updated are read; every bad one is reported.
	var next Customer
	var errs []error
	if u.Fields&FieldDisplayName != 0 {
		v, err := cleanLine(u.DisplayName, "customer.display_name", MaxDisplayNameRunes)
		next.DisplayName, errs = v, append(errs, err)
	}
	if u.Fields&FieldPreferredLanguage != 0 {
		v, err := canonicalLanguage(u.PreferredLanguage)
		next.PreferredLanguage, errs = v, append(errs, prefixField(err, "customer."))
	}
	if u.Fields&FieldTags != 0 {
		v, err := cleanTags(u.Tags)
		next.Tags, errs = v, append(errs, prefixField(err, "customer."))
	}
	if u.Fields&FieldHandoverNote != 0 {
		v, err := cleanText(u.HandoverNote, "customer.handover_note", MaxHandoverNoteRunes)
		next.HandoverNote, errs = v, append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Customer{}, err
	}
	opts, err := s.writeOptions(w, nil)
	if err != nil {
		return Customer{}, err
	}
	return s.store.UpdateCustomer(ctx, u.ID, func(c *Customer) error {
		if u.Etag != "" && u.Etag != c.Etag() {
			return ErrEtagMismatch
		}
		before := *c
		copyFields(c, next, u.Fields)
		if c.DisplayName == "" && len(c.Identifiers) == 0 {
			return invalid(ReasonFieldRequired, "customer.display_name", "a customer needs a display name or at least one identifier")
		}
		if !sameFields(before, *c) {
			c.Revision++
			c.UpdateTime = s.now().UTC()
		}
		return nil
	}, opts)
}

func prefixField(err error, prefix string) error {
	if err == nil {
		return nil
	}
	if de, ok := AsError(err); ok {
		return de.WithField(strings.TrimSuffix(prefix, "."))
	}
	return err
}

func sameFields(a, b Customer) bool {
	return a.DisplayName == b.DisplayName && a.PreferredLanguage == b.PreferredLanguage &&
		a.HandoverNote == b.HandoverNote && slices.Equal(a.Tags, b.Tags)
}

// ListCustomersRequest is the input of ListCustomers: the filters in API
// form (Tag as sent, NamePrefix not yet folded).
type ListCustomersRequest struct {
	Tag          string
	UpdatedSince time.Time
	NamePrefix   string
	PageSize     int
	PageToken    string
}

// ListCustomers validates r and returns one page of customers and the next
// page token.
func (s *Service) ListCustomers(ctx context.Context, r ListCustomersRequest) ([]Customer, string, error) {
	var errs []error
	q := CustomerQuery{UpdatedSince: r.UpdatedSince.UTC(), PageToken: r.PageToken}
	var err error
	if q.PageSize, err = pageSize(r.PageSize); err != nil {
		errs = append(errs, err)
	}
	if r.Tag != "" {
		tags, err := cleanTags([]string{r.Tag})
		if err != nil {
			errs = append(errs, invalid(ReasonFieldInvalid, "tag", "must be a tag: at most %d of letters, digits, '-', '_', ':' and '.'", MaxTagRunes))
		} else {
			q.Tag = tags[0]
		}
	}
	if r.NamePrefix != "" {
		var err error
		q.NamePrefix, err = namePrefix(r.NamePrefix, "display_name_prefix")
		errs = append(errs, err)
	}
	if r.UpdatedSince.IsZero() {
		q.UpdatedSince = time.Time{}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	return s.store.ListCustomers(ctx, q)
}

// namePrefix is a display name prefix to search for, folded as the name
// index holds names.
func namePrefix(raw, field string) (string, error) {
	p, err := cleanLine(raw, field, MaxDisplayNameRunes)
	if err != nil {
		return "", err
	}
	if p = FoldName(p); p == "" {
		// Only spaces or accents: it would filter nothing.
		return "", invalid(ReasonFieldInvalid, field, "must contain a letter or digit")
	}
	return p, nil
}

// IdentifierLink is the input of AddIdentifier.
type IdentifierLink struct {
	Identifier identity.Normalized
	Source     string
	Verified   bool
	Label      string
}

// checkLinkable refuses identifiers that may never be linked: withheld
// caller ids and placeholders on the blocklist.
func (s *Service) checkLinkable(n identity.Normalized, field string) error {
	switch {
	case n.Withheld:
		return ErrWithheld.WithField(field)
	case s.blocklist.Blocked(n.Identifier):
		return ErrIdentifierBlocked.WithField(field)
	}
	return nil
}

// cleanSource checks a provenance source: at most MaxSourceRunes of
// lowercase letters, digits, '-', '_' and '.'.
func cleanSource(src, field string) (string, error) {
	src = strings.ToLower(strings.TrimSpace(src))
	if utf8.RuneCountInString(src) > MaxSourceRunes {
		e := invalid(ReasonFieldTooLong, field, "at most %d characters", MaxSourceRunes)
		e.Metadata = map[string]string{"limit": strconv.Itoa(MaxSourceRunes)}
		return "", e
	}
	for _, r := range src {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return "", invalid(ReasonFieldInvalid, field, "only lowercase letters, digits, '-', '_' and '.' are allowed")
		}
	}
	return src, nil
}

// AddIdentifier links l to the customer, or updates its provenance when the
// customer holds it already. Past MaxIdentifiers it is ErrIdentifierLimit.
func (s *Service) AddIdentifier(ctx context.Context, customerID string, l IdentifierLink, w Write) (Customer, error) {
	if err := s.checkLinkable(l.Identifier, "identifier"); err != nil {
		return Customer{}, err
	}
	src, err1 := cleanSource(l.Source, "source")
	label, err2 := cleanLine(l.Label, "label", MaxLabelRunes)
	if err := errors.Join(err1, err2); err != nil {
		return Customer{}, err
	}
	opts, err := s.writeOptions(w, nil)
	if err != nil {
		return Customer{}, err
	}
	id := l.Identifier.Identifier
	out, err := s.store.UpdateCustomer(ctx, customerID, func(c *Customer) error {
		now := s.now().UTC()
		if i := c.IdentifierIndex(id); i >= 0 {
			cur := &c.Identifiers[i]
			if cur.Source == src && cur.Verified == l.Verified && cur.Label == label {
				return nil
			}
			cur.Source, cur.Verified, cur.Label = src, l.Verified, label
		} else {
			if len(c.Identifiers) >= MaxIdentifiers {
				return ErrIdentifierLimit
			}
			c.Identifiers = append(c.Identifiers, LinkedIdentifier{Identifier: id, LinkTime: now, Source: src, Verified: l.Verified, Label: label})
		}
		c.Revision++
		c.UpdateTime = now
		return nil
	}, opts)
	return out, identifierField(err, "identifier")
}

// RemoveIdentifier unlinks id from the customer; ErrIdentifierNotFound when
// the customer does not hold it.
func (s *Service) RemoveIdentifier(ctx context.Context, customerID string, id identity.Normalized, w Write) (Customer, error) {
	if id.Withheld {
		return Customer{}, ErrWithheld.WithField("identifier")
	}
	opts, err := s.writeOptions(w, nil)
	if err != nil {
		return Customer{}, err
	}
	return s.store.UpdateCustomer(ctx, customerID, func(c *Customer) error {
		i := c.IdentifierIndex(id.Identifier)
		if i < 0 {
			return ErrIdentifierNotFound.WithField("identifier")
		}
		c.Identifiers = append(c.Identifiers[:i:i], c.Identifiers[i+1:]...)
		if c.DisplayName == "" && len(c.Identifiers) == 0 {
			return invalid(ReasonFieldRequired, "identifier", "the customer has no display name: its last identifier cannot be removed (set a display name first)")
		}
		c.Revision++
		c.UpdateTime = s.now().UTC()
		return nil
	}, opts)
}

// identifierField places a store's *IdentifierError on the request field
// that carried the one identifier.
func identifierField(err error, field string) error {
	var ie *IdentifierError
	if errors.As(err, &ie) {
		e := *ie.Err
		e.Field = field
		e.Err = ie
		return &e
	}
	return err
}

// MergeCustomers merges mergedID into survivorID (PlanMerge); take names
// the fields taken from the merged customer even where the survivor has a
// value.
func (s *Service) MergeCustomers(ctx context.Context, survivorID, mergedID string, take CustomerField, w Write) (Customer, error) {
	if survivorID == mergedID {
		return Customer{}, ErrMergeIntoSelf
	}
	opts, err := s.writeOptions(w, nil)
	if err != nil {
		return Customer{}, err
	}
	return s.store.MergeCustomers(ctx, survivorID, mergedID, func(survivor, merged Customer) (Customer, Interaction, error) {
		return PlanMerge(survivor, merged, take, s.now().UTC())
	}, opts)
}

// UnmergeCustomer splits the merge of mergedID back out (PlanUnmerge).
func (s *Service) UnmergeCustomer(ctx context.Context, mergedID string, w Write) (survivor, merged Customer, err error) {
	opts, err := s.writeOptions(w, nil)
	if err != nil {
		return Customer{}, Customer{}, err
	}
	return s.store.UnmergeCustomer(ctx, mergedID, func(rec MergeRecord, survivor Customer) (Customer, Customer, error) {
		return PlanUnmerge(rec, survivor, s.now().UTC())
	}, opts)
}

// Erased is the outcome of EraseCustomer.
type Erased struct {
	IDs  []string // the customer, then those merged into it
	Time time.Time
	// AuditErr is set when the erasure happened but its audit records
	// could not be stored: the erasure stands (a retry would only answer
	// CUSTOMER_ERASED), so it is no error of the call; the caller logs it.
	AuditErr error
}

// EraseCustomer erases the customer id names (a merged name: its survivor)
// and every customer merged into it. Once the store has erased them, it
// records the erasure in the audit trail of every erased id (AuditErase,
// by w.Actor), synchronously: the record that the erasure happened and by
// whom is what the trail must not lose.
func (s *Service) EraseCustomer(ctx context.Context, id string, w Write) (Erased, error) {
	opts, err := s.writeOptions(w, nil)
	if err != nil {
		return Erased{}, err
	}
	at := s.now().UTC()
	ids, err := s.store.EraseCustomer(ctx, id, at, opts)
	if err != nil {
		return Erased{IDs: ids, Time: at}, err
	}
	actor := w.Actor
	if actor == "" {
		actor = AnonymousActor
	}
	callID := w.RequestID
	if callID == "" {
		callID = w.CallID
	}
	recs := make([]AuditRecord, len(ids))
	for i, e := range ids {
		recs[i] = AuditRecord{ID: NewID(), CustomerID: e, Time: at, Actor: actor,
			Method: AuditEraseMethod, Action: AuditErase, RequestID: callID}
	}
	// Not the caller's context: a client that gave up as the erasure
	// committed must not cost its record.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditEraseTimeout)
	defer cancel()
	return Erased{IDs: ids, Time: at, AuditErr: s.store.AppendAudit(actx, recs)}, nil
}

// auditEraseTimeout bounds the erasure's audit write once the erasure is
// done.
const auditEraseTimeout = 10 * time.Second

// Export is everything herken holds about one customer.
type Export struct {
	Customer     Customer
	Interactions []Interaction // newest first
	Promises     []Promise     // by due time
	Merges       []MergeRecord // every merge into the customer, directly or through others; oldest first
	// Audit is who read or changed the data of the customer and of every
	// customer merged into it: the newest MaxExportAuditRecords of their
	// trails together, newest first (ListAudit pages through all of them).
	Audit []AuditRecord
	Time  time.Time
}

// ExportCustomer collects everything about the customer id names: its
// record, full history, promises, and the merge records of every customer
// merged into it, directly or through others. The reads are several; a
// merge or unmerge landing between them is noticed (the customer is no
// longer the live one its name leads to) and the export taken again.
func (s *Service) ExportCustomer(ctx context.Context, id string) (Export, error) {
	var err error
	for try := 0; try < maxFollow; try++ {
		var ex Export
		if ex, err = s.export(ctx, id); err != nil {
			return Export{}, err
		}
		live, rerr := s.store.Resolve(ctx, id)
		if rerr != nil {
			return Export{}, rerr
		}
		if c, gerr := s.store.GetCustomer(ctx, live); gerr == nil && live == ex.Customer.ID && c.Revision == ex.Customer.Revision {
			return ex, nil
		}
		err = ErrUnavailable // changed underneath every time: rare enough to ask for a retry
	}
	return Export{}, err
}

func (s *Service) export(ctx context.Context, id string) (Export, error) {
	ex := Export{Time: s.now().UTC()}
	c, err := s.store.GetCustomer(ctx, id)
	if err != nil {
		return ex, err
	}
	ex.Customer = c
	for tok := ""; ; {
		page, next, err := s.store.ListInteractions(ctx, InteractionQuery{CustomerID: c.ID, PageSize: MaxPageSize, PageToken: tok})
		if err != nil {
			return ex, err
		}
		ex.Interactions = append(ex.Interactions, page...)
		if tok = next; tok == "" {
			break
		}
	}
	for tok := ""; ; {
		page, next, err := s.store.ListPromises(ctx, PromiseQuery{CustomerID: c.ID, PageSize: MaxPageSize, PageToken: tok})
		if err != nil {
			return ex, err
		}
		ex.Promises = append(ex.Promises, page...)
		if tok = next; tok == "" {
			break
		}
	}
	// Merges into c, then into those, and so on: a merged customer's own
	// merge records are data about this person too.
	for todo := []string{c.ID}; len(todo) > 0; {
		recs, err := s.store.Merges(ctx, todo[0])
		if err != nil {
			return ex, err
		}
		todo = todo[1:]
		for _, r := range recs {
			ex.Merges = append(ex.Merges, r)
			todo = append(todo, r.Merged.ID)
		}
	}
	slices.SortStableFunc(ex.Merges, func(a, b MergeRecord) int { return a.Time.Compare(b.Time) })
	ids := []string{c.ID}
	for _, m := range ex.Merges {
		ids = append(ids, m.Merged.ID)
	}
	ex.Audit, err = s.exportAudit(ctx, ids)
	return ex, err
}

// exportAudit reads the newest MaxExportAuditRecords of each trail (no
// more can make the cut) and keeps the newest of them all.
func (s *Service) exportAudit(ctx context.Context, ids []string) ([]AuditRecord, error) {
	var out []AuditRecord
	for _, id := range ids {
		n := 0
		for tok := ""; n < MaxExportAuditRecords; {
			page, next, err := s.store.ListAudit(ctx, AuditQuery{CustomerID: id, PageSize: min(MaxPageSize, MaxExportAuditRecords-n), PageToken: tok})
			if err != nil {
				return nil, err
			}
			out = append(out, page...)
			n += len(page)
			if tok = next; tok == "" {
				break
			}
		}
	}
	slices.SortFunc(out, AuditNewestFirst)
	return out[:min(len(out), MaxExportAuditRecords)], nil
}
