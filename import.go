package herken

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/herken/herken/identity"
)

// Import: loading and syncing customers from a CRM, keyed by the CRM's
// external id. One record becomes one customer; a record whose external id
// a customer already holds updates that customer through the same rules as
// UpdateCustomer and AddIdentifier. Bad data never stops the rest: a
// record fails alone, and a bad identifier is dropped from its record (or
// fails it, ImportOptions.SkipRecordOnBadIdentifier) with a problem saying
// why.

// DefaultImportSource is the provenance of imported identifiers when the
// import names none.
const DefaultImportSource = "crm"

// MaxImportAttempts bounds how often one record is tried again after a
// race (a customer created, merged or erased between the read and the
// write) or an identifier another writer linked meanwhile.
const MaxImportAttempts = 8

// ImportRecord is one customer as a CRM knows it.
type ImportRecord struct {
	ExternalID        string // the key; linked as an external id identifier
	DisplayName       string
	PreferredLanguage string
	Tags              []string
	HandoverNote      string
	Identifiers       []ImportIdentifier
}

// ImportIdentifier is one identifier of an ImportRecord as the caller sent
// it; Field names it in problems ("identifiers[2]").
type ImportIdentifier struct {
	Input    identity.Input
	Missing  bool // the caller sent no value (an empty oneof): a problem
	Label    string
	Verified bool
	Field    string
}

// ImportOptions say how records are applied.
type ImportOptions struct {
	Source string // provenance of imported identifiers; "" is DefaultImportSource
	// Fields is what an import sets on an existing customer; Identifiers
	// says whether it also replaces the customer's identifiers from Source.
	Fields      CustomerField
	Identifiers bool
	// ValidateOnly checks and reads, and writes nothing.
	ValidateOnly bool
	// SkipRecordOnBadIdentifier fails a record with a bad identifier
	// instead of importing it without.
	SkipRecordOnBadIdentifier bool
}

// CheckImportOptions validates o and fills in its default source.
func CheckImportOptions(o ImportOptions) (ImportOptions, error) {
	if o.Source == "" {
		o.Source = DefaultImportSource
	}
	src, err := cleanSource(o.Source, "settings.source")
	if err != nil {
		return o, err
	}
	if src == "" {
		return o, invalid(ReasonFieldInvalid, "settings.source", "must contain a letter or digit")
	}
	o.Source = src
	return o, nil
}

// ImportOutcome is what an import did with one record.
type ImportOutcome uint8

const (
	ImportFailed ImportOutcome = iota
	ImportCreated
	ImportUpdated
	ImportUnchanged
)

// ImportProblem is one problem with a record: never the value.
type ImportProblem struct {
	Field, Reason, Description string
}

// ImportResult is what happened to one record.
type ImportResult struct {
	Outcome    ImportOutcome
	CustomerID string // "" when failed, and for a create with ValidateOnly
	Problems   []ImportProblem
	Dropped    int // identifiers dropped from the record
}

// importPlan is a record checked and cleaned: the customer's fields and the
// identifiers to link, the external id first.
type importPlan struct {
	fields Customer // DisplayName, PreferredLanguage, Tags, HandoverNote
	ids    []plannedIdentifier
}

type plannedIdentifier struct {
	id       identity.Identifier
	label    string
	verified bool
	field    string
}

// ImportPlan is a record checked and cleaned by PlanImport.
type ImportPlan struct{ p importPlan }

// PlanImport checks rec as ImportCustomers does, reading no store: the
// first half of the offline import (a bulk load into an empty store),
// which runs it on every core. ok is false when the record cannot be
// imported; res has its problems.
func (s *Service) PlanImport(rec ImportRecord, o ImportOptions) (plan ImportPlan, res ImportResult, ok bool) {
	p, res, ok := s.planImport(rec, o)
	return ImportPlan{p}, res, ok
}

// ImportedCustomer is the second half, run in record order: the customer a
// create would store (ID, times and Revision set), without each identifier
// that LinkHolder refuses given holders (the load's own index of the
// customers before this one), each dropped with a problem in res. ok is
// false when the record fails: also when an earlier record holds its
// external id (EXTERNAL_ID_DUPLICATE, as ImportCustomers).
func (s *Service) ImportedCustomer(plan ImportPlan, res ImportResult, o ImportOptions, holders func(identity.Identifier) []string) (Customer, ImportResult, bool) {
	p := plan.p
	if len(holders(p.ids[0].id)) > 0 {
		res.Outcome = ImportFailed
		res.Problems = append(res.Problems, ImportProblem{Field: "external_id", Reason: ReasonExternalIDDuplicate,
			Description: "the external id is on an earlier record of this import, which was applied instead"})
		return Customer{}, res, false
	}
	p.ids = slices.Clone(p.ids)
	id := NewID()
	for i := len(p.ids) - 1; i >= 1; i-- {
		if _, err := LinkHolder(p.ids[i].id, holders(p.ids[i].id), id, i); err != nil {
			p.drop(i, err, &res)
		}
	}
	if res.Dropped > 0 && o.SkipRecordOnBadIdentifier {
		res.Outcome = ImportFailed
		return Customer{}, res, false
	}
	now := s.now().UTC()
	c := p.fields
	c.ID = id
	c.CreateTime, c.UpdateTime, c.Revision = now, now, 1
	c.Identifiers = p.linked(o.Source, now)
	res.Outcome, res.CustomerID = ImportCreated, c.ID
	return c, res, true
}

func (s *Service) planImport(rec ImportRecord, o ImportOptions) (importPlan, ImportResult, bool) {
	var res ImportResult
	var plan importPlan
	var errs []error
	check := func(v string, err error) string {
		errs = append(errs, err)
		return v
	}
	plan.fields.DisplayName = check(cleanLine(rec.DisplayName, "display_name", MaxDisplayNameRunes))
	plan.fields.PreferredLanguage = check(canonicalLanguage(rec.PreferredLanguage))
	plan.fields.HandoverNote = check(cleanText(rec.HandoverNote, "handover_note", MaxHandoverNoteRunes))
	tags, err := cleanTags(rec.Tags)
	plan.fields.Tags, errs = tags, append(errs, err)
	ext, err := s.importKey(rec.ExternalID)
	errs = append(errs, err)
	for _, e := range flatten(errors.Join(errs...)) {
		res.Problems = append(res.Problems, problemOf(e, ""))
	}
	if len(res.Problems) > 0 {
		return plan, res, false
	}
	plan.ids = append(plan.ids, plannedIdentifier{id: ext, field: "external_id"})
	for _, in := range rec.Identifiers {
		p, err := s.planIdentifier(in, ext)
		switch {
		case err != nil:
			res.Problems = append(res.Problems, problemOf(err, in.Field))
			res.Dropped++
		case p.id == ext || slices.ContainsFunc(plan.ids, func(q plannedIdentifier) bool { return q.id == p.id }):
			// Listed twice (or the key again): linked once.
		case len(plan.ids) >= MaxIdentifiers:
			res.Problems = append(res.Problems, problemOf(ErrIdentifierLimit, in.Field))
			res.Dropped++
		default:
			plan.ids = append(plan.ids, p)
		}
	}
	if res.Dropped > 0 && o.SkipRecordOnBadIdentifier {
		return plan, res, false
	}
	return plan, res, true
}

// importKey reads a record's external id.
func (s *Service) importKey(raw string) (identity.Identifier, error) {
	if raw == "" {
		return identity.Identifier{}, invalid(ReasonFieldRequired, "external_id", "required: the CRM's id of the customer is the key of the import")
	}
	n, err := s.Normalize(identity.Input{Kind: identity.KindExternalID, Value: raw})
	if err != nil {
		if de, ok := AsError(err); ok {
			e := *de
			e.Field = "external_id"
			return identity.Identifier{}, &e
		}
		return identity.Identifier{}, err
	}
	if err := s.checkLinkable(n, "external_id"); err != nil {
		return identity.Identifier{}, err
	}
	return n.Identifier, nil
}

func (s *Service) planIdentifier(in ImportIdentifier, ext identity.Identifier) (plannedIdentifier, error) {
	if in.Missing {
		return plannedIdentifier{}, invalid(ReasonIdentifierMissing, "", "required: set exactly one identifier field")
	}
	n, err := s.Normalize(in.Input)
	if err != nil {
		return plannedIdentifier{}, err
	}
	if err := s.checkLinkable(n, ""); err != nil {
		return plannedIdentifier{}, err
	}
	label, err := cleanLine(in.Label, "label", MaxLabelRunes)
	if err != nil {
		return plannedIdentifier{}, err
	}
	return plannedIdentifier{id: n.Identifier, label: label, verified: in.Verified, field: in.Field}, nil
}

// ImportCustomer applies one record: it creates the customer when no one
// holds rec's external id and otherwise updates the holder, writing nothing
// when nothing changes. Record problems are in the result; the error is
// for what fails the whole import (the store, the context).
func (s *Service) ImportCustomer(ctx context.Context, rec ImportRecord, o ImportOptions, w Write) (ImportResult, error) {
	plan, res, ok := s.planImport(rec, o)
	if !ok {
		res.Outcome = ImportFailed
		return res, nil
	}
	opts, err := s.writeOptions(Write{Actor: w.Actor, CallID: w.CallID}, nil)
	if err != nil {
		return res, err
	}
	for range MaxImportAttempts {
		lookup := make([]identity.Identifier, len(plan.ids))
		for i, p := range plan.ids {
			lookup[i] = p.id
		}
		snap, err := s.store.Match(ctx, lookup, MatchOptions{}, func([][]string) string { return "" })
		if err != nil {
			return res, err
		}
		holder := ""
		if len(snap.Holders[0]) > 0 {
			holder = snap.Holders[0][0]
		}
		// Drop what cannot be linked as the index stands now: the write
		// checks again, and a drop it finds is retried from here.
		var dropped []error
		for i := len(plan.ids) - 1; i >= 1 && (holder == "" || o.Identifiers); i-- {
			if _, err := LinkHolder(plan.ids[i].id, snap.Holders[i], holderOrNew(holder), i); err != nil {
				dropped = append(dropped, err)
				if !plan.drop(i, err, &res) {
					return res, nil
				}
			}
		}
		if len(dropped) > 0 && o.SkipRecordOnBadIdentifier {
			res.Outcome = ImportFailed
			return res, nil
		}
		if holder == "" {
			done, err := s.importCreate(ctx, &plan, o, opts, &res)
			if done || err != nil {
				return res, err
			}
			continue
		}
		cur, found := snap.Customers[holder]
		if !found {
			continue
		}
		if err := plan.mergedKey(cur); err != nil {
			res.Outcome = ImportFailed
			res.Problems = append(res.Problems, problemOf(err, ""))
			return res, nil
		}
		_, changed, tooMany := plan.apply(cur, o, s.now().UTC())
		if tooMany >= 1 {
			if !plan.drop(tooMany, ErrIdentifierLimit, &res) || o.SkipRecordOnBadIdentifier {
				res.Outcome = ImportFailed
				return res, nil
			}
			continue
		}
		if !changed {
			res.Outcome, res.CustomerID = ImportUnchanged, holder
			return res, nil
		}
		if o.ValidateOnly {
			res.Outcome, res.CustomerID = ImportUpdated, holder
			return res, nil
		}
		done, err := s.importUpdate(ctx, holder, &plan, o, opts, &res)
		if done || err != nil {
			return res, err
		}
	}
	res.Outcome = ImportFailed
	res.Problems = append(res.Problems, ImportProblem{Reason: ReasonStoreUnavailable, Description: "the customer kept changing while it was imported; import it again"})
	return res, nil
}

func holderOrNew(holder string) string {
	if holder == "" {
		return "\x00new" // no real id has this shape
	}
	return holder
}

// importCreate creates plan's customer. done is false when the store found
// the external id or an identifier taken meanwhile: the caller reads again.
func (s *Service) importCreate(ctx context.Context, plan *importPlan, o ImportOptions, opts WriteOptions, res *ImportResult) (done bool, err error) {
	if o.ValidateOnly {
		res.Outcome = ImportCreated
		return true, nil
	}
	now := s.now().UTC()
	c := plan.fields
	c.ID = NewID()
	c.CreateTime, c.UpdateTime, c.Revision = now, now, 1
	c.Identifiers = plan.linked(o.Source, now)
	out, err := s.store.CreateCustomer(ctx, c, opts)
	var ie *IdentifierError
	switch {
	case err == nil:
		res.Outcome, res.CustomerID = ImportCreated, out.ID
		return true, nil
	case errors.As(err, &ie):
		if ie.Index == 0 {
			return false, nil // the key was linked meanwhile: update that one
		}
		if !plan.drop(ie.Index, ie.Err, res) || o.SkipRecordOnBadIdentifier {
			res.Outcome = ImportFailed
			return true, nil
		}
		return false, nil
	}
	return true, err
}

// importUpdate applies plan to the customer id inside the store's
// transaction (the same pure apply as the read-time check).
func (s *Service) importUpdate(ctx context.Context, id string, plan *importPlan, o ImportOptions, opts WriteOptions, res *ImportResult) (done bool, err error) {
	now := s.now().UTC()
	var changed bool
	var tried Customer // the last list the store was asked to link
	out, err := s.store.UpdateCustomer(ctx, id, func(c *Customer) error {
		next, ch, tooMany := plan.apply(*c, o, now)
		if tooMany >= 1 {
			return &IdentifierError{Index: -1 - tooMany, Err: ErrIdentifierLimit}
		}
		changed, tried = ch, next
		*c = next
		return nil
	}, opts)
	var ie *IdentifierError
	switch {
	case err == nil:
		res.Outcome, res.CustomerID = ImportUpdated, out.ID
		if !changed {
			res.Outcome = ImportUnchanged
		}
		return true, nil
	case errors.Is(err, ErrCustomerNotFound), errors.Is(err, ErrCustomerErased), errors.Is(err, ErrCustomerMerged):
		return false, nil // merged or erased since the read: read again
	case errors.As(err, &ie):
		// The store's index is the position in the new list; find the
		// planned identifier by value.
		i := -1
		switch {
		case ie.Index < -1: // apply's own limit, a plan index
			i = -1 - ie.Index
		case ie.Index >= 0 && ie.Index < len(tried.Identifiers):
			i = plan.index(tried.Identifiers[ie.Index].Identifier)
		}
		if i <= 0 || !plan.drop(i, ie.Err, res) || o.SkipRecordOnBadIdentifier {
			res.Outcome = ImportFailed
			if i <= 0 {
				res.Problems = append(res.Problems, problemOf(ie.Err, "identifiers"))
			}
			return true, nil
		}
		return false, nil
	}
	return true, err
}

// drop removes plan.ids[i] (never the key) with a problem; false when the
// record is left with nothing to import.
func (p *importPlan) drop(i int, err error, res *ImportResult) bool {
	if i <= 0 || i >= len(p.ids) {
		return false
	}
	res.Problems = append(res.Problems, problemOf(err, p.ids[i].field))
	res.Dropped++
	p.ids = slices.Delete(p.ids, i, i+1)
	return true
}

func (p *importPlan) index(id identity.Identifier) int {
	return slices.IndexFunc(p.ids, func(q plannedIdentifier) bool { return q.id == id })
}

// linked is the identifiers a new customer links, in plan order.
func (p *importPlan) linked(source string, now time.Time) []LinkedIdentifier {
	out := make([]LinkedIdentifier, len(p.ids))
	for i, q := range p.ids {
		out[i] = LinkedIdentifier{Identifier: q.id, LinkTime: now, Source: source, Label: q.label, Verified: q.verified}
	}
	return out
}

// apply returns c as the import leaves it and whether that differs. The
// fields in o.Fields take the record's values; with o.Identifiers the
// customer's identifiers from o.Source that the record no longer lists are
// unlinked, the ones it lists get its label (when it has one) and verified
// (never taken back: a customer who proved a number keeps it proved), and
// new ones are linked at the end. tooMany is the plan index of the first
// identifier past MaxIdentifiers, 0 if none.
func (p *importPlan) apply(c Customer, o ImportOptions, now time.Time) (out Customer, changed bool, tooMany int) {
	before := c
	c.Tags = slices.Clone(c.Tags)
	copyFields(&c, p.fields, o.Fields)
	ids := make([]LinkedIdentifier, 0, len(c.Identifiers)+len(p.ids))
	for _, li := range c.Identifiers {
		i := p.index(li.Identifier)
		if i < 0 {
			// The CRM no longer lists it: unlinked, unless a merge brought
			// it (another CRM record's, which that record's import and an
			// unmerge own).
			if o.Identifiers && li.Source == o.Source && li.MergedFrom == "" {
				continue
			}
			ids = append(ids, li)
			continue
		}
		if o.Identifiers {
			if q := p.ids[i]; q.label != "" {
				li.Label = q.label
			}
			li.Verified = li.Verified || p.ids[i].verified
		}
		ids = append(ids, li)
	}
	if o.Identifiers {
		for i, q := range p.ids {
			if slices.ContainsFunc(ids, func(li LinkedIdentifier) bool { return li.Identifier == q.id }) {
				continue
			}
			if len(ids) >= MaxIdentifiers {
				return before, false, i
			}
			ids = append(ids, LinkedIdentifier{Identifier: q.id, LinkTime: now, Source: o.Source, Label: q.label, Verified: q.verified})
		}
	}
	c.Identifiers = ids
	if sameFields(before, c) && slices.Equal(before.Identifiers, c.Identifiers) {
		return before, false, 0
	}
	if c.DisplayName == "" && len(c.Identifiers) == 0 {
		return before, false, 0 // cannot happen: the key stays linked
	}
	c.Revision++
	c.UpdateTime = now
	return c, true, 0
}

// errKeyOfAnother is the problem of an extra external id that is another
// record's key.
var errKeyOfAnother = &Error{Code: CodeInvalidArgument, Reason: ReasonExternalIDDuplicate,
	Message: "this external id is the key of another record of this import; it was left out here"}

// mergedKey refuses to apply a record to the customer holding its key
// when a merge brought that key: the holder is another CRM record's
// customer, whose fields and identifiers this record must not overwrite.
func (p *importPlan) mergedKey(c Customer) error {
	if i := c.IdentifierIndex(p.ids[0].id); i >= 0 && c.Identifiers[i].MergedFrom != "" {
		e := *ErrCustomerMerged
		e.Field = "external_id"
		e.Message = "the customer with this external id was merged into another; the record is not applied (merge the records in the CRM too, or unmerge in herken)"
		return &e
	}
	return nil
}

// problemOf turns an error about a record into a problem on field (the
// error's own field, if any, is kept below it).
func problemOf(err error, field string) ImportProblem {
	de, ok := AsError(err)
	if !ok {
		return ImportProblem{Field: field, Reason: ReasonInternal, Description: "unexpected error"}
	}
	f := de.Field
	switch {
	case field == "":
	case f == "":
		f = field
	default:
		f = field + "." + f
	}
	msg := de.Message
	if msg == "" {
		msg = de.Reason
	}
	return ImportProblem{Field: f, Reason: de.Reason, Description: msg}
}

// flatten lists the errors errors.Join put together.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// importBatch is how many records one Store.ImportCustomers call
// carries: enough that a transaction's fixed costs (a commit, a sync, a
// wait for earlier commits) are shared, few enough that a rerun after a
// record that fails is cheap.
const importBatch = 256

// importBatchWorkers is how many batches of one call go to the store at
// once: two keep a store's writer busy while the next is built; more only
// add conflict checks between large transactions.
const importBatchWorkers = 2

// ImportCustomers applies recs and returns one result per record in
// order. A record whose external id is on an earlier record of recs fails
// with EXTERNAL_ID_DUPLICATE: the earlier one wins, so the outcome never
// depends on timing. Records go to the store in batches, workers batches
// at once (Store.ImportCustomers); an identifier the store cannot link is
// dropped with a problem and the record sent again. With ValidateOnly
// each record is checked against the store as it is, and nothing is
// written. The error is the first that fails the whole import (the store,
// the context); results are then incomplete.
func (s *Service) ImportCustomers(ctx context.Context, recs []ImportRecord, o ImportOptions, w Write, workers int) ([]ImportResult, error) {
	o, err := CheckImportOptions(o)
	if err != nil {
		return nil, err
	}
	out := make([]ImportResult, len(recs))
	seen := make(map[identity.Identifier]bool, len(recs))
	var todo []int
	for i, r := range recs {
		if key, err := s.importKey(r.ExternalID); err == nil {
			if seen[key] {
				out[i] = ImportResult{Outcome: ImportFailed, Problems: []ImportProblem{{
					Field: "external_id", Reason: ReasonExternalIDDuplicate,
					Description: "the external id is on an earlier record of this import, which was applied instead",
				}}}
				continue
			}
			seen[key] = true
		}
		todo = append(todo, i)
	}
	workers = max(1, workers)
	if o.ValidateOnly {
		return out, parallel(ctx, len(todo), workers, func(ctx context.Context, k int) error {
			res, err := s.ImportCustomer(ctx, recs[todo[k]], o, w)
			out[todo[k]] = res
			return err
		})
	}
	plans := make([]importPlan, len(recs))
	var pending []int
	for _, i := range todo {
		plan, res, ok := s.planImport(recs[i], o)
		out[i] = res
		if ok {
			plans[i] = plan
			pending = append(pending, i)
		}
	}
	// An external id a record lists besides its key, which is another
	// record's key, would be taken from one by the other: dropped.
	for _, i := range pending {
		p := &plans[i]
		for j := len(p.ids) - 1; j >= 1; j-- {
			if id := p.ids[j].id; id.Kind == identity.KindExternalID && seen[id] {
				p.drop(j, errKeyOfAnother, &out[i])
			}
		}
	}
	opts, err := s.writeOptions(Write{Actor: w.Actor, CallID: w.CallID}, nil)
	if err != nil {
		return nil, err
	}
	// Each round after the first drops an identifier of every record it
	// sends again, so the rounds are bounded by the identifiers a record
	// may hold.
	for round := 0; len(pending) > 0; round++ {
		if round == MaxImportAttempts+MaxIdentifiers {
			for _, i := range pending {
				out[i].Outcome = ImportFailed
				out[i].Problems = append(out[i].Problems, ImportProblem{Reason: ReasonStoreUnavailable, Description: "the customer kept changing while it was imported; import it again"})
			}
			break
		}
		now := s.now().UTC()
		ops := make([]ImportOp, len(pending))
		tried := make([][]LinkedIdentifier, len(pending))
		for k, i := range pending {
			p := &plans[i]
			c := p.fields
			c.ID = NewID()
			c.CreateTime, c.UpdateTime, c.Revision = now, now, 1
			c.Identifiers = p.linked(o.Source, now)
			ops[k] = ImportOp{Key: p.ids[0].id, New: c, Update: func(c *Customer) (bool, error) {
				if err := p.mergedKey(*c); err != nil {
					return false, err
				}
				next, changed, tooMany := p.apply(*c, o, now)
				if tooMany >= 1 {
					return false, &IdentifierError{Index: -1 - tooMany, Err: ErrIdentifierLimit}
				}
				if changed {
					*c, tried[k] = next, next.Identifiers
				}
				return changed, nil
			}}
		}
		results := make([]ImportOpResult, len(ops))
		batches := (len(ops) + importBatch - 1) / importBatch
		err := parallel(ctx, batches, importBatchWorkers, func(ctx context.Context, b int) error {
			lo, hi := b*importBatch, min((b+1)*importBatch, len(ops))
			r, err := s.store.ImportCustomers(ctx, ops[lo:hi], opts)
			copy(results[lo:hi], r)
			return err
		})
		if err != nil {
			return out, err
		}
		var again []int
		for k, i := range pending {
			if s.importApplied(&plans[i], ops[k], tried[k], results[k], o, &out[i]) {
				again = append(again, i)
			}
		}
		pending = again
	}
	return out, nil
}

// importApplied records what the store did with one record's op in res;
// true when the record must be sent again (an identifier was dropped).
func (s *Service) importApplied(p *importPlan, op ImportOp, tried []LinkedIdentifier, r ImportOpResult, o ImportOptions, res *ImportResult) bool {
	var ie *IdentifierError
	switch {
	case r.Err == nil:
		res.CustomerID = r.CustomerID
		switch {
		case r.Created:
			res.Outcome = ImportCreated
		case r.Changed:
			res.Outcome = ImportUpdated
		default:
			res.Outcome = ImportUnchanged
		}
		return false
	case errors.As(r.Err, &ie):
		j := -1
		switch {
		case ie.Index < -1: // apply's own limit: a plan index
			j = -1 - ie.Index
		case r.Created && ie.Index >= 0 && ie.Index < len(op.New.Identifiers):
			j = p.index(op.New.Identifiers[ie.Index].Identifier)
		case !r.Created && ie.Index >= 0 && ie.Index < len(tried):
			j = p.index(tried[ie.Index].Identifier)
		}
		if p.drop(j, ie.Err, res) && !o.SkipRecordOnBadIdentifier {
			return true
		}
		if j <= 0 {
			res.Problems = append(res.Problems, problemOf(ie.Err, "external_id"))
		}
	default:
		res.Problems = append(res.Problems, problemOf(r.Err, ""))
	}
	res.Outcome, res.CustomerID = ImportFailed, ""
	return false
}

// parallel runs fn(0..n-1) on up to workers goroutines and returns the
// first error (after which no new call starts).
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
