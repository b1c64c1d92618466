package client

import (
	"context"
	"iter"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// CustomerService: a customer's life. Methods whose request has a few
// plain fields take them as arguments; the others take the request. Those
// whose response is one customer return the customer.

// CreateCustomer creates a customer with the identifiers of req and
// returns it. Set req.RequestId to make a retry safe.
func (c *Client) CreateCustomer(ctx context.Context, req *herkenv1.CreateCustomerRequest) (*herkenv1.Customer, error) {
	resp, err := c.Customers.CreateCustomer(ctx, req)
	return resp.GetCustomer(), err
}

// GetCustomer returns the customer named name ("customers/{id}"). For a
// customer merged into another it returns the survivor: its Name then
// differs from name. NOT_FOUND: ErrCustomerNotFound, ErrCustomerErased.
func (c *Client) GetCustomer(ctx context.Context, name string) (*herkenv1.Customer, error) {
	resp, err := c.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: name})
	return resp.GetCustomer(), err
}

// UpdateCustomer changes the fields of cust named by paths (display_name,
// preferred_language, tags, handover_note; "*" all four; none means the
// fields cust sets, AIP-134) on the customer cust.Name names. With
// cust.Etag set (as read) the update is refused with ABORTED /
// ETAG_MISMATCH (ErrEtagMismatch) when the customer changed since.
func (c *Client) UpdateCustomer(ctx context.Context, cust *herkenv1.Customer, paths ...string) (*herkenv1.Customer, error) {
	req := &herkenv1.UpdateCustomerRequest{Customer: cust}
	if len(paths) > 0 {
		req.UpdateMask = &fieldmaskpb.FieldMask{Paths: paths}
	}
	resp, err := c.Customers.UpdateCustomer(ctx, req)
	return resp.GetCustomer(), err
}

// ListCustomers returns one page of the customers req's filters match;
// AllCustomers walks every page.
func (c *Client) ListCustomers(ctx context.Context, req *herkenv1.ListCustomersRequest) (*herkenv1.ListCustomersResponse, error) {
	return c.Customers.ListCustomers(ctx, req)
}

// AllCustomers yields every customer the filters of req match, fetching
// page after page (req's page_size; its page_token is ignored). It stops
// at the first error, which it yields. Each page is a call of its own,
// with its own default deadline.
func (c *Client) AllCustomers(ctx context.Context, req *herkenv1.ListCustomersRequest) iter.Seq2[*herkenv1.Customer, error] {
	req = cloneOf(req)
	return pages(func(token string) ([]*herkenv1.Customer, string, error) {
		page := cloneOf(req)
		page.PageToken = token
		resp, err := c.Customers.ListCustomers(ctx, page)
		return resp.GetCustomers(), resp.GetNextPageToken(), err
	})
}

// Provenance says where an identifier linked by AddIdentifier came from.
type Provenance struct {
	Source   string // the system or channel: "crm", "phone", "chat"
	Verified bool   // the customer proved they hold it
	Label    string // for agents: "mobiel", "werk"
}

// AddIdentifier links id to the customer named customer
// ("customers/{id}"), or updates its provenance if the customer holds it.
func (c *Client) AddIdentifier(ctx context.Context, customer string, id *herkenv1.Identifier, p Provenance) (*herkenv1.Customer, error) {
	resp, err := c.Customers.AddIdentifier(ctx, &herkenv1.AddIdentifierRequest{
		Customer: customer, Identifier: id, Source: p.Source, Verified: p.Verified, Label: p.Label,
	})
	return resp.GetCustomer(), err
}

// RemoveIdentifier unlinks id from the customer named customer.
func (c *Client) RemoveIdentifier(ctx context.Context, customer string, id *herkenv1.Identifier) (*herkenv1.Customer, error) {
	resp, err := c.Customers.RemoveIdentifier(ctx, &herkenv1.RemoveIdentifierRequest{Customer: customer, Identifier: id})
	return resp.GetCustomer(), err
}

// MergeCustomers merges the customer named merged into the one named
// survivor and returns the survivor. takeFromMerged names the fields whose
// value is taken from the merged customer even where the survivor has one.
func (c *Client) MergeCustomers(ctx context.Context, survivor, merged string, takeFromMerged ...string) (*herkenv1.Customer, error) {
	req := &herkenv1.MergeCustomersRequest{Survivor: survivor, Merged: merged}
	if len(takeFromMerged) > 0 {
		req.TakeFromMerged = &fieldmaskpb.FieldMask{Paths: takeFromMerged}
	}
	resp, err := c.Customers.MergeCustomers(ctx, req)
	return resp.GetSurvivor(), err
}

// UnmergeCustomers splits the customer named merged back out of the one it
// was merged into, and returns both.
func (c *Client) UnmergeCustomers(ctx context.Context, merged string) (back, survivor *herkenv1.Customer, err error) {
	resp, err := c.Customers.UnmergeCustomers(ctx, &herkenv1.UnmergeCustomersRequest{Merged: merged})
	return resp.GetMerged(), resp.GetSurvivor(), err
}

// EraseCustomer erases the customer named name, and those merged into it,
// for real (AVG/GDPR art. 17).
func (c *Client) EraseCustomer(ctx context.Context, name string) (*herkenv1.EraseCustomerResponse, error) {
	return c.Customers.EraseCustomer(ctx, &herkenv1.EraseCustomerRequest{Name: name})
}

// ExportCustomer returns everything herken holds about the customer named
// name (AVG/GDPR art. 15).
func (c *Client) ExportCustomer(ctx context.Context, name string) (*herkenv1.ExportCustomerResponse, error) {
	return c.Customers.ExportCustomer(ctx, &herkenv1.ExportCustomerRequest{Name: name})
}

// ExportCustomerJSON is ExportCustomer rendered as indented JSON (protojson,
// the proto field names), fit to hand to the person it is about.
func (c *Client) ExportCustomerJSON(ctx context.Context, name string) ([]byte, error) {
	ex, err := c.ExportCustomer(ctx, name)
	if err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(ex)
}
