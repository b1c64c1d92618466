package client

import (
	"context"
	"iter"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// InteractionService: a customer's contact history.

// RecordInteraction appends req.Interaction to the history of the customer
// req names (by name, or by an identifier exactly one customer holds) and
// returns it as recorded. Set req.RequestId to make a retry safe.
func (c *Client) RecordInteraction(ctx context.Context, req *herkenv1.RecordInteractionRequest) (*herkenv1.Interaction, error) {
	resp, err := c.Interactions.RecordInteraction(ctx, req)
	return resp.GetInteraction(), err
}

// ListInteractions returns one page of a customer's history, newest first;
// AllInteractions walks every page.
func (c *Client) ListInteractions(ctx context.Context, req *herkenv1.ListInteractionsRequest) (*herkenv1.ListInteractionsResponse, error) {
	return c.Interactions.ListInteractions(ctx, req)
}

// AllInteractions yields every interaction req's filters match, page after
// page (req's page_size; its page_token is ignored). It stops at the first
// error, which it yields.
func (c *Client) AllInteractions(ctx context.Context, req *herkenv1.ListInteractionsRequest) iter.Seq2[*herkenv1.Interaction, error] {
	req = cloneOf(req)
	return pages(func(token string) ([]*herkenv1.Interaction, string, error) {
		page := cloneOf(req)
		page.PageToken = token
		resp, err := c.Interactions.ListInteractions(ctx, page)
		return resp.GetInteractions(), resp.GetNextPageToken(), err
	})
}

// SubmitFeedback attaches the customer's feedback (score 1..5, an optional
// comment) to the interaction named name
// ("customers/{c}/interactions/{i}"), once.
func (c *Client) SubmitFeedback(ctx context.Context, name string, score int32, comment string) (*herkenv1.Interaction, error) {
	resp, err := c.Interactions.SubmitFeedback(ctx, &herkenv1.SubmitFeedbackRequest{Name: name, Score: score, Comment: comment})
	return resp.GetInteraction(), err
}

// AnswerFeedback records the answer to the feedback on the interaction
// named name, and who gave it.
func (c *Client) AnswerFeedback(ctx context.Context, name, answer, answeredBy string) (*herkenv1.Interaction, error) {
	resp, err := c.Interactions.AnswerFeedback(ctx, &herkenv1.AnswerFeedbackRequest{Name: name, Answer: answer, AnsweredBy: answeredBy})
	return resp.GetInteraction(), err
}
