package herken

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// NewPromise is the input of CreatePromise.
type NewPromise struct {
	Kind        PromiseKind
	Description string
	DueTime     time.Time // zero: CALLBACK defaults, others are FIELD_REQUIRED
	WindowStart time.Time
	Owner       string
	Channel     Channel // ChannelUnspecified: CALLBACK defaults to ChannelPhone
	// InteractionCustomerID and InteractionID name the interaction the
	// promise was made in; it must belong to the promise's customer.
	InteractionCustomerID string
	InteractionID         string
}

// Now is the service's clock: the time overdue promises are measured at.
func (s *Service) Now() time.Time { return s.now() }

// CreatePromise validates np and records it as an OPEN promise to the
// customer t names. A promise addressed by identifier keeps that identifier
// as the one to keep it on (an IVR callback request: the caller's number).
func (s *Service) CreatePromise(ctx context.Context, t InteractionTarget, np NewPromise, w Write) (Promise, error) {
	now := s.now().UTC()
	p, err := s.buildPromise(np, now)
	if err != nil {
		return Promise{}, err
	}
	target := Target{CustomerID: t.CustomerID}
	if t.Identifier != nil {
		if err := s.checkLinkable(*t.Identifier, "identifier"); err != nil {
			return Promise{}, err
		}
		target.Identifier = t.Identifier.Identifier
		p.ContactIdentifier = t.Identifier.Identifier
	}
	if np.InteractionID != "" && t.CustomerID != "" && np.InteractionCustomerID != t.CustomerID {
		return Promise{}, invalid(ReasonFieldInvalid, "interaction", "must be an interaction of the same customer")
	}
	opts, err := s.writeOptions(w, promiseFingerprint(target, np))
	if err != nil {
		return Promise{}, err
	}
	p.ID = NewID()
	out, err := s.store.CreatePromise(ctx, target, p, opts)
	if errors.Is(err, ErrInteractionNotFound) && np.InteractionID != "" {
		// The only interaction a create reads is the one it was made in.
		if de, ok := AsError(err); ok {
			return out, de.WithField("interaction")
		}
	}
	return out, targetField(target, err)
}

func (s *Service) buildPromise(np NewPromise, now time.Time) (Promise, error) {
	p := Promise{Kind: np.Kind, Channel: np.Channel, InteractionID: np.InteractionID,
		State: PromiseOpen, StateTime: now, CreateTime: now}
	if !np.Kind.Valid() {
		return p, enumInvalid("kind")
	}
	var err error
	if p.Description, err = cleanText(np.Description, "description", MaxPromiseTextRunes); err != nil {
		return p, err
	}
	if p.Owner, err = cleanOwner(np.Owner, "owner", false); err != nil {
		return p, err
	}
	switch {
	case np.Channel == ChannelUnspecified && np.Kind == PromiseCallback:
		p.Channel = ChannelPhone
	case np.Channel != ChannelUnspecified && !np.Channel.IsContact():
		return p, enumInvalid("channel")
	}
	p.DueTime = np.DueTime.UTC()
	if np.DueTime.IsZero() {
		if np.Kind != PromiseCallback {
			return p, invalid(ReasonFieldRequired, "due_time", "required except for CALLBACK")
		}
		p.DueTime = now.Add(s.callbackDue)
	}
	// A due time in the past is allowed: an agent may record a promise made
	// earlier (and it reads as overdue at once).
	if !p.DueTime.After(time.Unix(0, 0)) || p.DueTime.After(now.Add(MaxPromiseHorizon)) {
		return p, invalid(ReasonTimeInvalid, "due_time", "must be after 1970 and at most 2 years ahead")
	}
	if !np.WindowStart.IsZero() {
		p.WindowStart = np.WindowStart.UTC()
		if !p.WindowStart.Before(p.DueTime) {
			return p, invalid(ReasonTimeInvalid, "window_start_time", "must be before due_time")
		}
	}
	return p, nil
}

// cleanOwner checks an agent or team id: 1..128 of letters, digits and
// "._:@-". No '/' or spaces: owners are part of index keys.
func cleanOwner(owner, field string, required bool) (string, error) {
	if owner == "" {
		if required {
			return "", invalid(ReasonFieldRequired, field, "required")
		}
		return "", nil
	}
	if len(owner) > MaxOwnerRunes {
		e := invalid(ReasonFieldTooLong, field, "at most %d characters", MaxOwnerRunes)
		e.Metadata = map[string]string{"limit": strconv.Itoa(MaxOwnerRunes)}
		return "", e
	}
	for i := 0; i < len(owner); i++ {
		c := owner[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '@' || c == '-') {
			return "", invalid(ReasonFieldInvalid, field, "only letters, digits and . _ : @ - are allowed")
		}
	}
	return owner, nil
}

func promiseFingerprint(t Target, np NewPromise) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "promise\x00%q\x00%q\x00%d\x00%q\x00%d\x00%d\x00%q\x00%d\x00%q\x00%q\x00",
		t.CustomerID, fingerprintID(t.Identifier), np.Kind, np.Description, np.DueTime.UnixNano(), np.WindowStart.UnixNano(),
		np.Owner, np.Channel, np.InteractionCustomerID, np.InteractionID)
	return h.Sum(nil)
}

// GetPromise returns one promise.
func (s *Service) GetPromise(ctx context.Context, customerID, promiseID string) (Promise, error) {
	return s.store.GetPromise(ctx, customerID, promiseID)
}

// KeepPromise marks an OPEN promise KEPT. Keeping a KEPT promise again
// changes nothing, so a retry is safe.
func (s *Service) KeepPromise(ctx context.Context, customerID, promiseID, actor, note string, w Write) (Promise, error) {
	return s.closePromise(ctx, customerID, promiseID, actor, note, PromiseKept, w)
}

// CancelPromise marks an OPEN promise CANCELLED; again, a retry is safe.
func (s *Service) CancelPromise(ctx context.Context, customerID, promiseID, actor, note string, w Write) (Promise, error) {
	return s.closePromise(ctx, customerID, promiseID, actor, note, PromiseCancelled, w)
}

func (s *Service) closePromise(ctx context.Context, customerID, promiseID, actor, note string, to PromiseState, w Write) (Promise, error) {
	var err error
	if actor, err = cleanLine(actor, "actor", MaxOwnerRunes); err != nil {
		return Promise{}, err
	}
	if actor == "" {
		return Promise{}, invalid(ReasonFieldRequired, "actor", "required: who changed the promise")
	}
	if note, err = cleanText(note, "note", MaxPromiseTextRunes); err != nil {
		return Promise{}, err
	}
	now := s.now().UTC()
	return s.store.UpdatePromise(ctx, customerID, promiseID, func(p *Promise) error {
		switch p.State {
		case to:
			return nil
		case PromiseOpen:
			p.State, p.StateTime, p.StateActor, p.StateNote = to, now, actor, note
			return nil
		}
		e := *ErrPromiseNotOpen
		e.Metadata = map[string]string{"state": p.State.String()}
		return &e
	}, WriteOptions{Actor: w.Actor})
}

// ListPromisesRequest is the input of ListPromises.
type ListPromisesRequest struct {
	PromiseQuery
	OverdueOnly bool
}

// ListPromises lists one customer's promises or, with an empty CustomerID,
// the OPEN promises of all customers, by due time.
func (s *Service) ListPromises(ctx context.Context, r ListPromisesRequest) ([]Promise, string, error) {
	q := r.PromiseQuery
	var err error
	if q.PageSize, err = pageSize(q.PageSize); err != nil {
		return nil, "", err
	}
	if q.State != PromiseStateUnspecified && !q.State.Valid() {
		return nil, "", enumInvalid("state")
	}
	if q.CustomerID == "" {
		if q.State != PromiseStateUnspecified && q.State != PromiseOpen {
			return nil, "", invalid(ReasonFieldInvalid, "state", "across all customers only OPEN promises are listed")
		}
		q.State = PromiseOpen
	}
	if q.Owner, err = cleanOwner(q.Owner, "owner", false); err != nil {
		return nil, "", err
	}
	if r.OverdueOnly {
		if q.State != PromiseStateUnspecified && q.State != PromiseOpen {
			return nil, "", invalid(ReasonFieldInvalid, "state", "overdue_only lists OPEN promises")
		}
		q.State = PromiseOpen
		q.OverdueAt = s.now().UTC()
	}
	return s.store.ListPromises(ctx, q)
}

// pageSize applies the documented default and cap.
func pageSize(n int) (int, error) {
	switch {
	case n < 0:
		return 0, invalid(ReasonFieldInvalid, "page_size", "must not be negative")
	case n == 0:
		return DefaultPageSize, nil
	case n > MaxPageSize:
		return MaxPageSize, nil
	}
	return n, nil
}

var promiseKindNL = [...]string{"", "terugbellen", "levering", "terugbetaling", "monteursbezoek", "informatie", "overig"}

// SweepPromises marks OPEN promises BROKEN once they are more than grace
// past due, at most limit per call, and records each in the customer's
// history so whoever handles the customer next sees it. It reports how many
// it broke and whether more are waiting.
func (s *Service) SweepPromises(ctx context.Context, grace time.Duration, limit int) (int, bool, error) {
	if grace < 0 {
		// A negative grace would break promises that are not yet due.
		return 0, false, invalid(ReasonFieldInvalid, "grace", "must not be negative")
	}
	switch {
	case limit < 0:
		return 0, false, invalid(ReasonFieldInvalid, "limit", "must not be negative")
	case limit == 0:
		limit = DefaultSweepLimit
	}
	now := s.now().UTC()
	dueBefore := now.Add(-grace)
	return s.store.BreakOverdue(ctx, dueBefore, limit, func(p Promise) (Promise, Interaction, bool) {
		if !p.Breakable(dueBefore) {
			return p, Interaction{}, false
		}
		p.State, p.StateTime, p.StateActor = PromiseBroken, now, SystemActor
		p.StateNote = "not kept within " + grace.String() + " of its due time"
		summary := fmt.Sprintf("Belofte niet nagekomen (%s), beloofd voor %s UTC.",
			promiseKindNL[min(int(p.Kind), len(promiseKindNL)-1)], p.DueTime.Format("2006-01-02 15:04"))
		if p.Description != "" {
			summary += " " + p.Description
		}
		if p.Owner != "" {
			summary += " (eigenaar: " + p.Owner + ")"
		}
		return p, Interaction{
			ID: NewID(), Channel: ChannelSystem, Direction: DirectionOutbound, Outcome: OutcomeFollowUp,
			OccurTime: now, CreateTime: now, Agent: SystemActor, Summary: truncateRunes(summary, MaxSummaryRunes),
			PromiseID: p.ID,
		}, true
	}, WriteOptions{Actor: SystemActor})
}

func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
