package server

import (
	"context"

	"github.com/herken/herken"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

type interactionServer struct {
	herkenv1.UnimplementedInteractionServiceServer
	*Server
}

func (s interactionServer) RecordInteraction(ctx context.Context, req *herkenv1.RecordInteractionRequest) (*herkenv1.RecordInteractionResponse, error) {
	var v violations
	target := s.target(req, &v)
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
		OccurTime:     timeField(pb.GetOccurTime(), "interaction.occur_time", &v),
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
		return nil, toStatus(ctx, s.log, err, "interaction")
	}
	return &herkenv1.RecordInteractionResponse{Interaction: interactionToPB(rec)}, nil
}
