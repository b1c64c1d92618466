package identity

import (
	"context"
	"time"
)

// Store persists customers, the identifier index and interaction history.
//
// Every implementation must pass the conformance suite in identity/storetest.
// Invariants every method keeps, also across crashes:
//   - an identifier index entry exists exactly when the customer it names
//     exists and lists that identifier;
//   - every multi-key change is atomic;
//   - errors are *Error values (ErrCustomerNotFound, ErrAlreadyLinked, ...),
//     context errors, or ErrUnavailable-wrapped storage failures.
type Store interface {
	// CreateCustomer stores c (ID, times and Revision already set by the
	// caller) and links every identifier in c.Identifiers. An exclusive
	// identifier held by another customer fails with ErrAlreadyLinked
	// (Metadata "customer" names the holder); a shareable one with
	// MaxHoldersPerIdentity holders fails with ErrShareLimit. With a non-empty
	// idem.Key already used, it returns the customer that request created
	// (same fingerprint) or ErrRequestIDReused, and writes nothing.
	CreateCustomer(ctx context.Context, c Customer, idem Idempotency) (Customer, error)

	// GetCustomer returns the customer with id or ErrCustomerNotFound.
	GetCustomer(ctx context.Context, id string) (Customer, error)

	// Match reads, in one consistent snapshot, the holders of every identifier
	// (in link order, at most MaxHoldersPerIdentity each), their customer
	// records, and — for the customer focus picks from the holders, if any —
	// its newest historyLimit interactions. focus runs inside the snapshot and
	// returns "" for none.
	Match(ctx context.Context, ids []Identifier, historyLimit int, focus func(holders [][]string) string) (Snapshot, error)

	// AppendInteraction adds in to the history of the customer target names
	// and moves the customer's last contact forward if in is newer. in.ID and
	// in.CreateTime are set by the caller. With idem.Key already used it
	// returns the interaction that request recorded (same fingerprint) or
	// ErrRequestIDReused, and writes nothing.
	AppendInteraction(ctx context.Context, target Target, in Interaction, idem Idempotency) (Interaction, error)

	// Close releases the store. Calls after Close fail.
	Close() error
}

// Snapshot is what Match read.
type Snapshot struct {
	Holders   [][]string          // per requested identifier, customer ids in link order
	Customers map[string]Customer // every holder's record
	Focus     string              // the customer focus picked, "" if none
	History   []Interaction       // Focus's newest interactions, newest first
}

// Target addresses the customer of a write: by ID, or by an identifier that
// must have exactly one holder (ErrIdentifierNotFound for none, ErrAmbiguous
// for several), resolved inside the write transaction.
type Target struct {
	CustomerID string
	Identifier Identifier
}

// Idempotency makes a create safe to retry. A zero Key disables it.
type Idempotency struct {
	Key         string
	Fingerprint []byte        // hash of the request, to tell a retry from a reuse
	TTL         time.Duration // how long the key is remembered
}
