package herken

import (
	"time"

	"github.com/herken/herken/identity"
)

// Channel is the channel a contact happened on. Values match the API enum.
type Channel uint8

const (
	ChannelUnspecified Channel = iota
	ChannelPhone
	ChannelEmail
	ChannelChat
	ChannelWhatsApp
	ChannelSocial
	ChannelSMS
	ChannelWeb
	ChannelStore
	ChannelLetter
	// ChannelSystem marks events herken records itself (a promise marked
	// broken). Never a contact: not accepted on input, not counted.
	ChannelSystem
	channelEnd
)

// Valid reports whether c is a defined channel.
func (c Channel) Valid() bool { return c > ChannelUnspecified && c < channelEnd }

// IsContact reports whether c is a channel a customer can contact us on
// (everything but ChannelSystem); only those are accepted on input.
func (c Channel) IsContact() bool { return c.Valid() && c != ChannelSystem }

// Direction says who started a contact.
type Direction uint8

const (
	DirectionUnspecified Direction = iota
	DirectionInbound
	DirectionOutbound
	directionEnd
)

// Valid reports whether d is a defined direction.
func (d Direction) Valid() bool { return d > DirectionUnspecified && d < directionEnd }

// Outcome is how a contact ended.
type Outcome uint8

const (
	OutcomeUnspecified Outcome = iota
	OutcomeResolved
	OutcomeFollowUp
	OutcomeEscalated
	OutcomeTransferred
	outcomeEnd
)

// Valid reports whether o is a defined outcome.
func (o Outcome) Valid() bool { return o > OutcomeUnspecified && o < outcomeEnd }

// Interaction is one contact with a customer.
type Interaction struct {
	ID            string // unique within the customer; opaque
	CustomerID    string
	Channel       Channel
	Direction     Direction
	OccurTime     time.Time
	Agent         string
	Summary       string // the handover note for the next agent
	Outcome       Outcome
	CaseReference string
	Identifier    identity.Identifier // the identifier the contact came in on; zero if none
	CreateTime    time.Time
	Duration      time.Duration
	Feedback      *Feedback // nil until the customer gives feedback
	PromiseID     string    // for ChannelSystem events about a promise
}

// Feedback is a customer's verdict on one contact and our answer to it.
type Feedback struct {
	Score      int // 1..5
	Comment    string
	SubmitTime time.Time
	Answer     string
	AnsweredBy string
	AnswerTime time.Time // zero until answered
}

// Answered reports whether someone answered the feedback.
func (f *Feedback) Answered() bool { return f != nil && !f.AnswerTime.IsZero() }

// Limits on interaction fields (documented in interaction.proto).
const (
	MaxAgentRunes         = 128
	MaxSummaryRunes       = 4000
	MaxCaseReferenceRunes = 128
	MaxDuration           = 24 * time.Hour
	MaxFutureSkew         = 5 * time.Minute
	DefaultRecentLimit    = 10
	MaxRecentLimit        = 100
)

// Clone is in with feedback of its own: caller and store share none.
func (in Interaction) Clone() Interaction {
	if in.Feedback != nil {
		fb := *in.Feedback
		in.Feedback = &fb
	}
	return in
}
