package herken

import (
	"slices"
	"time"

	"github.com/herken/herken/identity"
)

// Customer is one person or organisation the contact centre talks to.
type Customer struct {
	ID                string
	DisplayName       string
	PreferredLanguage string // canonical BCP 47 tag or ""
	Tags              []string
	HandoverNote      string
	Identifiers       []LinkedIdentifier // in link order

	CreateTime time.Time
	UpdateTime time.Time
	// Revision counts changes to the editable fields; it is the etag. Recording
	// an interaction does not change it, so an agent editing tags does not lose
	// a race against incoming calls.
	Revision int64

	LastContactTime    time.Time // zero if no interaction was recorded
	LastContactChannel Channel
}

// LinkedIdentifier is an identifier linked to a customer, with where it
// came from.
type LinkedIdentifier struct {
	identity.Identifier
	LinkTime time.Time
	Source   string // the system or channel that supplied it; "" if unknown
	Verified bool   // the customer proved they hold it
	Label    string // "mobiel", "werk"; "" for none
	// MergedFrom is the merged customer this identifier came with
	// (MergeCustomers); UnmergeCustomers gives it back. "" otherwise.
	MergedFrom string
}

// IdentifierIndex returns the position of id in c.Identifiers, or -1.
func (c *Customer) IdentifierIndex(id identity.Identifier) int {
	for i, l := range c.Identifiers {
		if l.Identifier == id {
			return i
		}
	}
	return -1
}

// HasIdentifier reports whether c holds id.
func (c *Customer) HasIdentifier(id identity.Identifier) bool {
	for _, l := range c.Identifiers {
		if l.Identifier == id {
			return true
		}
	}
	return false
}

// Limits on customer fields. They are part of the API contract (documented
// in proto/herken/v1/customer.proto).
const (
	MaxDisplayNameRunes   = 200
	MaxHandoverNoteRunes  = 4000
	MaxTags               = 32
	MaxTagRunes           = 64
	MaxIdentifiers        = 32 // per customer, on create, link and merge
	MaxSourceRunes        = 32 // LinkedIdentifier.Source
	MaxLabelRunes         = 32 // LinkedIdentifier.Label
	MaxHoldersPerIdentity = 20 // customers sharing one shareable identifier
)

// IdentifierSet is the set of identifiers c lists: what the stores compare
// when a write changes them.
func (c Customer) IdentifierSet() map[identity.Identifier]bool {
	set := make(map[identity.Identifier]bool, len(c.Identifiers))
	for _, l := range c.Identifiers {
		set[l.Identifier] = true
	}
	return set
}

// Clone is c with slices of its own: an edit of the clone leaves c as it
// was (stores hand callbacks and callers copies).
func (c Customer) Clone() Customer {
	c.Tags = slices.Clone(c.Tags)
	c.Identifiers = slices.Clone(c.Identifiers)
	return c
}
