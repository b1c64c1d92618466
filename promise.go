package herken

import (
	"time"

	"github.com/herken/herken/identity"
)

// PromiseKind is what kind of promise was made. Values match the API enum.
type PromiseKind uint8

const (
	PromiseKindUnspecified PromiseKind = iota
	PromiseCallback
	PromiseDelivery
	PromiseRefund
	PromiseVisit
	PromiseInformation
	PromiseOther
	promiseKindEnd
)

// Valid reports whether k is a defined kind.
func (k PromiseKind) Valid() bool { return k > PromiseKindUnspecified && k < promiseKindEnd }

// PromiseState is the state of a promise. Only OPEN changes.
type PromiseState uint8

const (
	PromiseStateUnspecified PromiseState = iota
	PromiseOpen
	PromiseKept
	PromiseBroken
	PromiseCancelled
	promiseStateEnd
)

// Valid reports whether s is a defined state.
func (s PromiseState) Valid() bool { return s > PromiseStateUnspecified && s < promiseStateEnd }

func (s PromiseState) String() string {
	return [...]string{"UNSPECIFIED", "OPEN", "KEPT", "BROKEN", "CANCELLED", "UNKNOWN"}[min(int(s), int(promiseStateEnd))]
}

// Promise is something we promised a customer.
type Promise struct {
	ID                string // unique within the customer; opaque
	CustomerID        string
	Kind              PromiseKind
	Description       string
	DueTime           time.Time
	WindowStart       time.Time // zero if no window
	Owner             string
	Channel           Channel
	InteractionID     string // the interaction it was made in, same customer; "" if none
	State             PromiseState
	StateTime         time.Time
	StateActor        string
	StateNote         string
	CreateTime        time.Time
	ContactIdentifier identity.Identifier // e.g. the number to call back; zero if none

	// CustomerDisplayName is filled in cross-customer lists.
	CustomerDisplayName string
}

// Overdue reports whether p is OPEN and past due at now, and by how much.
// It is computed at read time, so a promise reads as overdue the moment its
// due time passes, long before the sweeper marks it broken.
func (p Promise) Overdue(now time.Time) (bool, time.Duration) {
	if p.State != PromiseOpen || !now.After(p.DueTime) {
		return false, 0
	}
	return true, now.Sub(p.DueTime)
}

// Limits on promises (documented in promise.proto).
const (
	MaxPromiseTextRunes    = 1000
	MaxOwnerRunes          = 128
	MaxPromiseHorizon      = 2 * 365 * 24 * time.Hour
	MaxOpenPromisesShown   = 50
	DefaultPageSize        = 50
	MaxPageSize            = 500
	DefaultCallbackDue     = 4 * time.Hour
	SystemActor            = "herken"
	ContactSummaryDays     = 30
	MaxContactsCounted     = 1000
	SummaryScanInteraction = 10   // newest interactions the follow-up count looks at
	DefaultSweepLimit      = 1000 // promises one SweepPromises call breaks when limit is 0
)
