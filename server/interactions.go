package server

import (
	"context"
	"strings"
	"time"

	"github.com/herken/herken"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

type interactionServer struct {
	herkenv1.UnimplementedInteractionServiceServer
	*Server
}

func (s interactionServer) RecordInteraction(ctx context.Context, req *herkenv1.RecordInteractionRequest) (*herkenv1.RecordInteractionResponse, error) {
	var v violations
	var target herken.InteractionTarget
	switch c := req.GetCustomer().(type) {
	case *herkenv1.RecordInteractionRequest_Parent:
		id, err := parseCustomerName(c.Parent, "parent")
		v.add(err, "")
		target.CustomerID = id
	case *herkenv1.RecordInteractionRequest_Identifier:
		n := s.normalize(c.Identifier, "identifier", &v)
		target.Identifier = &n
	default:
		v.addf(herken.ReasonFieldRequired, "parent", "required: set parent or identifier")
	}
	pb := req.GetInteraction()
	if pb == nil {
		v.addf(herken.ReasonFieldRequired, "interaction", "required")
	}
	in := herken.Interaction{
		Channel:       enumOf[herken.Channel](int32(pb.GetChannel())),
		Direction:     enumOf[herken.Direction](int32(pb.GetDirection())),
		Outcome:       enumOf[herken.Outcome](int32(pb.GetOutcome())),
		Agent:         pb.GetAgent(),
		Summary:       pb.GetSummary(),
		CaseReference: pb.GetCaseReference(),
	}
	if ts := pb.GetOccurTime(); ts != nil {
		// The domain reads a zero time as "unset"; year 1 must not become "now".
		if err := ts.CheckValid(); err != nil || !ts.AsTime().After(time.Unix(0, 0)) {
			v.addf(herken.ReasonTimeInvalid, "interaction.occur_time", "must be a valid timestamp after 1970-01-01T00:00:00Z")
		} else {
			in.OccurTime = ts.AsTime()
		}
	}
	if d := pb.GetDuration(); d != nil {
		if err := d.CheckValid(); err != nil {
			v.addf(herken.ReasonTimeInvalid, "interaction.duration", "not a valid duration")
		} else {
			in.Duration = d.AsDuration()
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	rec, err := s.svc.RecordInteraction(ctx, target, in, write(ctx, req.GetRequestId()))
	if err != nil {
		if st := invalidFields(err, interactionFieldPrefix); st != nil {
			return nil, st
		}
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.RecordInteractionResponse{Interaction: interactionToPB(rec)}, nil
}

// interactionFieldPrefix places a domain field of RecordInteraction in the
// request: interaction fields live under "interaction.".
func interactionFieldPrefix(field string) string {
	if field == "" || field == "request_id" || field == "parent" || strings.HasPrefix(field, "identifier") {
		return ""
	}
	return "interaction"
}
