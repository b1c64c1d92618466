package identity

import "time"

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
	channelEnd
)

// Valid reports whether c is a defined channel.
func (c Channel) Valid() bool { return c > ChannelUnspecified && c < channelEnd }

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
	Identifier    Identifier // the identifier the contact came in on; zero if none
	CreateTime    time.Time
	Duration      time.Duration
}

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
