package server

import (
	"context"

	"github.com/herken/herken"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// History: ListInteractions, SubmitFeedback and AnswerFeedback on the
// InteractionService.

func (s interactionServer) ListInteractions(ctx context.Context, req *herkenv1.ListInteractionsRequest) (*herkenv1.ListInteractionsResponse, error) {
	var v violations
	q := herken.InteractionQuery{
		PageSize:           int(req.GetPageSize()), // the domain refuses negatives, applies default and cap
		PageToken:          req.GetPageToken(),
		UnansweredFeedback: req.GetUnansweredFeedbackOnly(),
	}
	if parent := req.GetParent(); parent != allCustomers {
		id, err := parseCustomerName(parent, "parent")
		v.add(err, "")
		q.CustomerID = id
	}
	q.Start = timeField(req.GetStartTime(), "start_time", &v)
	q.End = timeField(req.GetEndTime(), "end_time", &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	if chans := req.GetChannels(); len(chans) > 0 {
		q.Channels = make([]herken.Channel, len(chans))
		for i, c := range chans {
			q.Channels[i] = enumOf[herken.Channel](int32(c))
		}
	}
	list, next, err := s.svc.ListInteractions(ctx, q)
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	out := &herkenv1.ListInteractionsResponse{NextPageToken: next}
	if len(list) > 0 {
		out.Interactions = make([]*herkenv1.Interaction, len(list))
		for i, in := range list {
			out.Interactions[i] = interactionToPB(in)
		}
	}
	return out, nil
}

func (s interactionServer) SubmitFeedback(ctx context.Context, req *herkenv1.SubmitFeedbackRequest) (*herkenv1.SubmitFeedbackResponse, error) {
	cid, iid, err := parseInteractionName(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	in, err := s.svc.SubmitFeedback(ctx, cid, iid, int(req.GetScore()), req.GetComment(), write(ctx, ""))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.SubmitFeedbackResponse{Interaction: interactionToPB(in)}, nil
}

func (s interactionServer) AnswerFeedback(ctx context.Context, req *herkenv1.AnswerFeedbackRequest) (*herkenv1.AnswerFeedbackResponse, error) {
	cid, iid, err := parseInteractionName(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	in, err := s.svc.AnswerFeedback(ctx, cid, iid, req.GetAnswer(), req.GetAnsweredBy(), write(ctx, ""))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.AnswerFeedbackResponse{Interaction: interactionToPB(in)}, nil
}

// parseInteractionName splits "customers/{customer}/interactions/{interaction}".
func parseInteractionName(name, field string) (customerID, interactionID string, err error) {
	return parseChildName(name, "interactions", field)
}

// feedbackToPB converts feedback; nil for none.
func feedbackToPB(f *herken.Feedback) *herkenv1.Feedback {
	if f == nil {
		return nil
	}
	return &herkenv1.Feedback{
		Score:      int32(f.Score),
		Comment:    f.Comment,
		SubmitTime: timeToPB(f.SubmitTime),
		Answered:   f.Answered(),
		Answer:     f.Answer,
		AnsweredBy: f.AnsweredBy,
		AnswerTime: timeToPB(f.AnswerTime),
	}
}

// promiseNameOf is the name of the promise a system event is about; "" for
// none.
func promiseNameOf(in herken.Interaction) string {
	if in.PromiseID == "" {
		return ""
	}
	return customerName(in.CustomerID) + "/promises/" + in.PromiseID
}
