package herken

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herken/herken/identity"
)

// The rules every store applies inside its transactions. They are decided
// here, once, so that a store's part is only to read what they need and to
// write what they return atomically.

// IdentifierError says that one of a customer's identifiers cannot be
// linked, which one, and (for an exclusive identifier) who holds it. Err
// is ErrAlreadyLinked or ErrShareLimit. The service turns Index into the
// request's field; the server turns Holder into a resource name.
type IdentifierError struct {
	Index  int    // position in Customer.Identifiers
	Holder string // the customer holding an exclusive identifier; "" otherwise
	Err    *Error
}

func (e *IdentifierError) Error() string {
	return "identifier " + strconv.Itoa(e.Index) + ": " + e.Err.Error()
}

func (e *IdentifierError) Unwrap() error { return e.Err }

// LinkHolder decides whether customerID may join holders, the customers
// that hold id now (in link order), and returns the holders afterwards. A
// customer already holding id changes nothing. An exclusive identifier has
// one holder, a shareable one at most MaxHoldersPerIdentity; index is id's
// position in the customer's identifiers, for the *IdentifierError.
func LinkHolder(id identity.Identifier, holders []string, customerID string, index int) ([]string, error) {
	if slices.Contains(holders, customerID) {
		return holders, nil
	}
	if len(holders) > 0 && !id.Shareable() {
		return nil, &IdentifierError{Index: index, Holder: holders[0], Err: ErrAlreadyLinked}
	}
	if len(holders) >= MaxHoldersPerIdentity {
		e := *ErrShareLimit
		e.Metadata = map[string]string{"limit": strconv.Itoa(MaxHoldersPerIdentity)}
		return nil, &IdentifierError{Index: index, Err: &e}
	}
	return append(slices.Clip(holders), customerID), nil
}

// TargetHolder picks the customer a write addressed by identifier goes to:
// the one holder. None is ErrIdentifierNotFound, several ErrAmbiguous.
func TargetHolder(holders []string) (string, error) {
	switch len(holders) {
	case 0:
		return "", ErrIdentifierNotFound
	case 1:
		return holders[0], nil
	}
	e := *ErrAmbiguous
	e.Metadata = map[string]string{"candidates": strconv.Itoa(len(holders))}
	return "", &e
}

// RecordContact moves c's last contact to in when in is a newer contact:
// back-filled history must not make an old call look like the latest one,
// and a system event is not a contact at all.
func (c *Customer) RecordContact(in Interaction) {
	if in.Channel.IsContact() && in.OccurTime.After(c.LastContactTime) {
		c.LastContactTime, c.LastContactChannel = in.OccurTime, in.Channel
	}
}

// NewestFirst is the order of a customer's history: newest occur time
// first, ties by id. Stores list history in this order.
func NewestFirst(a, b Interaction) int {
	if c := b.OccurTime.Compare(a.OccurTime); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// ByDue is the order of promises: earliest due time first, ties by
// customer, then id. Stores list promises in this order.
func ByDue(a, b Promise) int {
	if c := a.DueTime.Compare(b.DueTime); c != 0 {
		return c
	}
	return cmp.Or(strings.Compare(a.CustomerID, b.CustomerID), strings.Compare(a.ID, b.ID))
}

// Breakable reports whether p, as stored now, is still an OPEN promise due
// before dueBefore: the sweeper's re-check inside the store's transaction
// (an agent may have kept it since the store found it).
func (p Promise) Breakable(dueBefore time.Time) bool {
	return p.State == PromiseOpen && p.DueTime.Before(dueBefore)
}

// HandOver is an identifier's holders after a merge of from into to: to
// takes from's place, or from is dropped where to holds the identifier
// already, so the link order of the rest is kept.
func HandOver(holders []string, from, to string) []string {
	hs := slices.Clone(holders)
	if slices.Contains(hs, to) {
		return slices.DeleteFunc(hs, func(h string) bool { return h == from })
	}
	if i := slices.Index(hs, from); i >= 0 {
		hs[i] = to
	}
	return hs
}
