package server

import (
	"context"
	"strings"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

type interactionServer struct {
	herkenv1.UnimplementedInteractionServiceServer
	*Server
}

func (s interactionServer) RecordInteraction(ctx context.Context, req *herkenv1.RecordInteractionRequest) (*herkenv1.RecordInteractionResponse, error) {
	var v violations
	var target identity.InteractionTarget
	switch c := req.GetCustomer().(type) {
	case *herkenv1.RecordInteractionRequest_Parent:
		id, err := parseCustomerName(c.Parent, "parent")
		v.add(err, "")
		target.CustomerID = id
	case *herkenv1.RecordInteractionRequest_Identifier:
		n := s.normalize(c.Identifier, "identifier", &v)
		target.Identifier = &n
	default:
		v.addf(identity.ReasonFieldRequired, "parent", "required: set parent or identifier")
	}
	pb := req.GetInteraction()
	if pb == nil {
		v.addf(identity.ReasonFieldRequired, "interaction", "required")
	}
	in := identity.Interaction{
		Channel:       enumOf[identity.Channel](int32(pb.GetChannel())),
		Direction:     enumOf[identity.Direction](int32(pb.GetDirection())),
		Outcome:       enumOf[identity.Outcome](int32(pb.GetOutcome())),
		Agent:         pb.GetAgent(),
		Summary:       pb.GetSummary(),
		CaseReference: pb.GetCaseReference(),
	}
	if ts := pb.GetOccurTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			v.addf(identity.ReasonTimeInvalid, "interaction.occur_time", "not a valid timestamp")
		} else {
			in.OccurTime = ts.AsTime()
		}
	}
	if d := pb.GetDuration(); d != nil {
		if err := d.CheckValid(); err != nil {
			v.addf(identity.ReasonTimeInvalid, "interaction.duration", "not a valid duration")
		} else {
			in.Duration = d.AsDuration()
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	rec, err := s.svc.RecordInteraction(ctx, target, in, req.GetRequestId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err, interactionFieldPrefix(err))
	}
	return &herkenv1.RecordInteractionResponse{Interaction: interactionToPB(rec)}, nil
}

// interactionFieldPrefix places a domain field of RecordInteraction in the
// request: interaction fields live under "interaction.".
func interactionFieldPrefix(err error) string {
	de, ok := identity.AsError(err)
	if !ok {
		return ""
	}
	switch f := de.Field; {
	case f == "", f == "request_id", f == "parent", strings.HasPrefix(f, "identifier"):
		return ""
	}
	return "interaction"
}
