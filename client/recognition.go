package client

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// RecognitionService: who is calling.

// Lookup recognises the holder of one identifier. An unknown identifier is
// not an error: the outcome is MATCH_OUTCOME_NOT_FOUND. Invalid input is
// INVALID_ARGUMENT with the identifier's reason (ErrPhoneNumberInvalid,
// ErrQueryUnrecognized, ...).
func (c *Client) Lookup(ctx context.Context, req *herkenv1.LookupRequest) (*herkenv1.LookupResponse, error) {
	return c.Recognition.Lookup(ctx, req)
}

// LookupPhone looks up a caller's number as the PBX delivers it.
func (c *Client) LookupPhone(ctx context.Context, number string) (*herkenv1.LookupResponse, error) {
	return c.Lookup(ctx, &herkenv1.LookupRequest{Identifier: Phone(number)})
}

// LookupQuery looks up a free-form string whose kind herken detects (a
// number, an e-mail address, a handle, a postcode with house number),
// with at most interactionLimit recent interactions (0: the server's
// default).
func (c *Client) LookupQuery(ctx context.Context, query string, interactionLimit int32) (*herkenv1.LookupResponse, error) {
	return c.Lookup(ctx, &herkenv1.LookupRequest{Identifier: Query(query), InteractionLimit: interactionLimit})
}

// Resolve recognises a contact from everything known about it (the
// caller's number and the e-mail address they give, 1..10 identifiers).
func (c *Client) Resolve(ctx context.Context, req *herkenv1.ResolveRequest) (*herkenv1.ResolveResponse, error) {
	return c.Recognition.Resolve(ctx, req)
}

// ScreenPopLink asks for a short-lived link to the screen pop of a
// caller's number, for the agent's browser to open as the phone rings (ttl
// 0: the server's default, 2 minutes unless configured).
func (c *Client) ScreenPopLink(ctx context.Context, number string, ttl time.Duration) (*herkenv1.CreateScreenPopLinkResponse, error) {
	req := &herkenv1.CreateScreenPopLinkRequest{Identifier: Phone(number)}
	if ttl != 0 {
		req.Ttl = durationpb.New(ttl)
	}
	return c.ScreenPop.CreateScreenPopLink(ctx, req)
}

// Identifiers for requests, as a caller has them: herken normalises them
// (06-12345678 and +31 6 1234 5678 are the same number).

// Phone is a phone number.
func Phone(number string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: number}}
}

// Email is an e-mail address.
func Email(address string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_Email{Email: address}}
}

// ExternalID is an id in another system, such as the CRM's customer number.
func ExternalID(id string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_ExternalId{ExternalId: id}}
}

// SocialHandle is a handle on a social platform.
func SocialHandle(platform herkenv1.SocialPlatform, handle string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_SocialHandle{SocialHandle: &herkenv1.SocialHandle{Platform: platform, Handle: handle}}}
}

// PostalAddress is a Dutch address as postcode and house number (with an
// optional addition: "A", "bis", "2h").
func PostalAddress(postcode string, houseNumber int32, addition string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_PostalAddress{PostalAddress: &herkenv1.PostalAddress{
		Postcode: postcode, HouseNumber: houseNumber, HouseNumberAddition: addition}}}
}

// Query is a free-form string whose kind herken detects; only Lookup and
// Resolve take it.
func Query(query string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_Query{Query: query}}
}
