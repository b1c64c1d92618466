package client

import (
	"context"
	"iter"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// PromiseService: what was promised to a customer.

// CreatePromise records req.Promise for the customer req names (by name,
// or by an identifier exactly one customer holds) and returns it. Set
// req.RequestId to make a retry safe.
func (c *Client) CreatePromise(ctx context.Context, req *herkenv1.CreatePromiseRequest) (*herkenv1.Promise, error) {
	resp, err := c.Promises.CreatePromise(ctx, req)
	return resp.GetPromise(), err
}

// GetPromise returns the promise named name
// ("customers/{c}/promises/{p}").
func (c *Client) GetPromise(ctx context.Context, name string) (*herkenv1.Promise, error) {
	resp, err := c.Promises.GetPromise(ctx, &herkenv1.GetPromiseRequest{Name: name})
	return resp.GetPromise(), err
}

// KeepPromise marks the promise named name KEPT by actor (who kept it),
// with an optional note. Keeping a kept promise again is a no-op.
func (c *Client) KeepPromise(ctx context.Context, name, actor, note string) (*herkenv1.Promise, error) {
	resp, err := c.Promises.KeepPromise(ctx, &herkenv1.KeepPromiseRequest{Name: name, Actor: actor, Note: note})
	return resp.GetPromise(), err
}

// CancelPromise marks the promise named name CANCELLED by actor, with an
// optional note. Cancelling a cancelled promise again is a no-op.
func (c *Client) CancelPromise(ctx context.Context, name, actor, note string) (*herkenv1.Promise, error) {
	resp, err := c.Promises.CancelPromise(ctx, &herkenv1.CancelPromiseRequest{Name: name, Actor: actor, Note: note})
	return resp.GetPromise(), err
}

// ListPromises returns one page of promises (one customer's, or with
// parent "customers/-" the open promises of all); AllPromises walks every
// page.
func (c *Client) ListPromises(ctx context.Context, req *herkenv1.ListPromisesRequest) (*herkenv1.ListPromisesResponse, error) {
	return c.Promises.ListPromises(ctx, req)
}

// AllPromises yields every promise req's filters match, page after page
// (req's page_size; its page_token is ignored). It stops at the first
// error, which it yields.
func (c *Client) AllPromises(ctx context.Context, req *herkenv1.ListPromisesRequest) iter.Seq2[*herkenv1.Promise, error] {
	req = cloneOf(req)
	return pages(func(token string) ([]*herkenv1.Promise, string, error) {
		page := cloneOf(req)
		page.PageToken = token
		resp, err := c.Promises.ListPromises(ctx, page)
		return resp.GetPromises(), resp.GetNextPageToken(), err
	})
}
