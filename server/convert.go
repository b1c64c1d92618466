package server

import (
	"strings"
	"time"

	"github.com/herken/herken"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// The API enums and the domain enums share their numbering by design
// (checked in convert_test.go), so conversion is a cast plus a range check
// in the domain.

const customersPrefix = "customers/"

// customerName is the resource name of a customer.
func customerName(id string) string { return customersPrefix + id }

// parseCustomerName returns the id in "customers/{id}".
func parseCustomerName(name, field string) (string, error) {
	id, ok := strings.CutPrefix(name, customersPrefix)
	if !ok || !herken.ValidID(id) {
		if name == "" {
			return "", herken.Invalid(herken.ReasonFieldRequired, field, "required: customers/{customer}")
		}
		return "", herken.Invalid(herken.ReasonResourceNameInvalid, field, "must be customers/{customer}")
	}
	return id, nil
}

// identifierInput translates an API identifier. ok is false when no value
// is set.
func identifierInput(pb *herkenv1.Identifier) (in identity.Input, ok bool) {
	switch v := pb.GetValue().(type) {
	case *herkenv1.Identifier_PhoneNumber:
		return identity.Input{Kind: identity.KindPhone, Value: v.PhoneNumber}, true
	case *herkenv1.Identifier_Email:
		return identity.Input{Kind: identity.KindEmail, Value: v.Email}, true
	case *herkenv1.Identifier_SocialHandle:
		return identity.Input{Kind: identity.KindSocial, Platform: enumOf[identity.Platform](int32(v.SocialHandle.GetPlatform())), Value: v.SocialHandle.GetHandle()}, true
	case *herkenv1.Identifier_ExternalId:
		return identity.Input{Kind: identity.KindExternalID, Value: v.ExternalId}, true
	case *herkenv1.Identifier_PostalAddress:
		pa := v.PostalAddress
		return identity.Input{Kind: identity.KindPostalAddress, Postal: identity.PostalAddress{
			Postcode: pa.GetPostcode(), HouseNumber: int(pa.GetHouseNumber()), Addition: pa.GetHouseNumberAddition(),
		}}, true
	case *herkenv1.Identifier_Query:
		return identity.Input{Query: v.Query}, true
	}
	return identity.Input{}, false
}

func canonicalToPB(id identity.Identifier) *herkenv1.CanonicalIdentifier {
	if id.IsZero() {
		return nil
	}
	return &herkenv1.CanonicalIdentifier{
		Kind:     herkenv1.IdentifierKind(id.Kind),
		Value:    id.Value,
		Platform: herkenv1.SocialPlatform(id.Platform),
	}
}

func timeToPB(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func customerToPB(c herken.Customer) *herkenv1.Customer {
	pb := &herkenv1.Customer{
		Name:               customerName(c.ID),
		DisplayName:        c.DisplayName,
		PreferredLanguage:  c.PreferredLanguage,
		Tags:               c.Tags,
		HandoverNote:       c.HandoverNote,
		CreateTime:         timeToPB(c.CreateTime),
		UpdateTime:         timeToPB(c.UpdateTime),
		Etag:               c.Etag(),
		LastContactTime:    timeToPB(c.LastContactTime),
		LastContactChannel: herkenv1.Channel(c.LastContactChannel),
	}
	pb.Identifiers = make([]*herkenv1.LinkedIdentifier, len(c.Identifiers))
	for i, l := range c.Identifiers {
		pb.Identifiers[i] = linkedToPB(l)
	}
	return pb
}

// linkedToPB converts a linked identifier with its provenance; the merged
// customer it came with is named by resource name, as everywhere in the API.
func linkedToPB(l herken.LinkedIdentifier) *herkenv1.LinkedIdentifier {
	pb := &herkenv1.LinkedIdentifier{
		Identifier: canonicalToPB(l.Identifier),
		LinkTime:   timeToPB(l.LinkTime),
		Source:     l.Source,
		Verified:   l.Verified,
		Label:      l.Label,
	}
	if l.MergedFrom != "" {
		pb.MergedFrom = customerName(l.MergedFrom)
	}
	return pb
}

func customersToPB(cs []herken.Customer) []*herkenv1.Customer {
	if len(cs) == 0 {
		return nil
	}
	out := make([]*herkenv1.Customer, len(cs))
	for i, c := range cs {
		out[i] = customerToPB(c)
	}
	return out
}

// mergeToPB converts what a store keeps of a merge into what an export
// shows of it: who was merged, when, and their record as it was then.
func mergeToPB(m herken.MergeRecord) *herkenv1.Merge {
	return &herkenv1.Merge{
		Merged:         customerName(m.Merged.ID),
		MergeTime:      timeToPB(m.Time),
		MergedCustomer: customerToPB(m.Merged),
		SurvivorBefore: customerToPB(m.SurvivorBefore),
	}
}

// exportToPB converts an export. Promises are shown as at the export's
// time.
func exportToPB(ex herken.Export) *herkenv1.ExportCustomerResponse {
	out := &herkenv1.ExportCustomerResponse{Customer: customerToPB(ex.Customer), ExportTime: timeToPB(ex.Time)}
	for _, in := range ex.Interactions {
		out.Interactions = append(out.Interactions, interactionToPB(in))
	}
	for _, p := range ex.Promises {
		out.Promises = append(out.Promises, promiseToPB(p, ex.Time))
	}
	for _, m := range ex.Merges {
		out.Merges = append(out.Merges, mergeToPB(m))
	}
	return out
}

// erasedToPB converts an erasure: the first id is the customer asked for,
// the rest were merged into it and went with it.
func erasedToPB(e herken.Erased) *herkenv1.EraseCustomerResponse {
	out := &herkenv1.EraseCustomerResponse{EraseTime: timeToPB(e.Time)}
	for i, id := range e.IDs {
		if i > 0 {
			out.AlsoErased = append(out.AlsoErased, customerName(id))
		}
	}
	return out
}

func summaryToPB(c herken.Customer) *herkenv1.CustomerSummary {
	return &herkenv1.CustomerSummary{
		Name:               customerName(c.ID),
		DisplayName:        c.DisplayName,
		LastContactTime:    timeToPB(c.LastContactTime),
		LastContactChannel: herkenv1.Channel(c.LastContactChannel),
		Tags:               c.Tags,
	}
}

func summariesToPB(cs []herken.Customer) []*herkenv1.CustomerSummary {
	if len(cs) == 0 {
		return nil
	}
	out := make([]*herkenv1.CustomerSummary, len(cs))
	for i, c := range cs {
		out[i] = summaryToPB(c)
	}
	return out
}

func interactionName(in herken.Interaction) string {
	return customerName(in.CustomerID) + "/interactions/" + in.ID
}

func interactionToPB(in herken.Interaction) *herkenv1.Interaction {
	pb := &herkenv1.Interaction{
		Name:          interactionName(in),
		Channel:       herkenv1.Channel(in.Channel),
		Direction:     herkenv1.Direction(in.Direction),
		OccurTime:     timeToPB(in.OccurTime),
		Agent:         in.Agent,
		Summary:       in.Summary,
		Outcome:       herkenv1.InteractionOutcome(in.Outcome),
		CaseReference: in.CaseReference,
		Identifier:    canonicalToPB(in.Identifier),
		CreateTime:    timeToPB(in.CreateTime),
		Feedback:      feedbackToPB(in.Feedback),
		Promise:       promiseNameOf(in),
	}
	if in.Duration > 0 {
		pb.Duration = durationpb.New(in.Duration)
	}
	return pb
}

func recognizedToPB(r *herken.Recognized) *herkenv1.RecognizedCustomer {
	if r == nil {
		return nil
	}
	pb := &herkenv1.RecognizedCustomer{
		Customer: customerToPB(r.Customer),
		ContactSummary: &herkenv1.ContactSummary{
			ContactsLast_30Days: int32(r.Summary.ContactsLast30Days),
			OpenFollowUps:       int32(r.Summary.OpenFollowUps),
			OpenPromises:        int32(r.Summary.OpenPromises),
			OverduePromises:     int32(r.Summary.OverduePromises),
		},
	}
	if r.Summary.LastContact != nil {
		pb.ContactSummary.LastContact = interactionToPB(*r.Summary.LastContact)
	}
	pb.RecentInteractions = make([]*herkenv1.Interaction, len(r.Recent))
	for i, in := range r.Recent {
		pb.RecentInteractions[i] = interactionToPB(in)
	}
	pb.OpenPromises = make([]*herkenv1.Promise, len(r.OpenPromises))
	for i, p := range r.OpenPromises {
		pb.OpenPromises[i] = promiseToPB(p, r.AsOf)
	}
	return pb
}

// enumOf converts an API enum number to a domain enum. proto3 keeps unknown
// numbers intact, so a number outside the domain's byte range maps to 255,
// which no domain enum defines and every Valid() refuses.
func enumOf[T ~uint8](v int32) T {
	if v < 0 || v > 255 {
		return T(255)
	}
	return T(v)
}

// timeField converts an optional timestamp; zero when unset. Timestamps at
// or before the Unix epoch are refused: the domain reads zero as "unset", so
// year 1 must not become "now".
func timeField(ts *timestamppb.Timestamp, field string, v *violations) time.Time {
	if ts == nil {
		return time.Time{}
	}
	if err := ts.CheckValid(); err != nil || !ts.AsTime().After(time.Unix(0, 0)) {
		v.addf(herken.ReasonTimeInvalid, field, "must be a valid timestamp after 1970-01-01T00:00:00Z")
		return time.Time{}
	}
	return ts.AsTime()
}

// targetRequest is a write addressed to a customer by resource name
// ("parent") or by one of its identifiers: RecordInteraction and
// CreatePromise.
type targetRequest interface {
	GetParent() string
	GetIdentifier() *herkenv1.Identifier
}

// target reads the customer a targetRequest addresses.
func (s *Server) target(req targetRequest, v *violations) herken.InteractionTarget {
	if pb := req.GetIdentifier(); pb != nil {
		n := s.normalize(pb, "identifier", v)
		return herken.InteractionTarget{Identifier: &n}
	}
	if req.GetParent() == "" {
		v.addf(herken.ReasonFieldRequired, "parent", "required: set parent or identifier")
		return herken.InteractionTarget{}
	}
	id, err := parseCustomerName(req.GetParent(), "parent")
	v.add(err, "")
	return herken.InteractionTarget{CustomerID: id}
}
