// Package client is the Go client for herken: a thin layer over the
// generated stubs that sets sensible defaults (retries of idempotent reads on
// UNAVAILABLE), turns error statuses back into typed errors and offers
// shorthands for common calls (customers.go). It imports gRPC, genproto,
// protobuf and the generated API (proto/herken/v1) only, never the domain or
// a store: a client author needs nothing else.
package client

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// ServiceConfig is the gRPC service config New dials with: it retries the
// read-only calls (RecognitionService and MaintenanceService, and the Get,
// List and Export methods of the other services) on UNAVAILABLE (a restarting
// server, a store hiccup); writes are retried only by the caller, with a
// request_id.
const ServiceConfig = `{
  "methodConfig": [{
    "name": [
      {"service": "herken.v1.RecognitionService"},
      {"service": "herken.v1.MaintenanceService"},
      {"service": "herken.v1.CustomerService", "method": "GetCustomer"},
      {"service": "herken.v1.CustomerService", "method": "ListCustomers"},
      {"service": "herken.v1.CustomerService", "method": "ExportCustomer"},
      {"service": "herken.v1.InteractionService", "method": "ListInteractions"},
      {"service": "herken.v1.PromiseService", "method": "GetPromise"},
      {"service": "herken.v1.PromiseService", "method": "ListPromises"},
      {"service": "herken.v1.AuditService", "method": "ListAuditRecords"}
    ],
    "retryPolicy": {
      "maxAttempts": 3,
      "initialBackoff": "0.01s",
      "maxBackoff": "0.1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`

// Client talks to one herken server: one generated stub per herken.v1
// service, sharing one connection.
type Client struct {
	conn         *grpc.ClientConn
	Recognition  herkenv1.RecognitionServiceClient
	Customers    herkenv1.CustomerServiceClient
	Interactions herkenv1.InteractionServiceClient
	Promises     herkenv1.PromiseServiceClient
	Maintenance  herkenv1.MaintenanceServiceClient
	Audit        herkenv1.AuditServiceClient  // admin: who read or changed a customer
	Backup       herkenv1.BackupServiceClient // admin: online backup stream
}

// New connects to target ("localhost:50051"). Without options it uses a
// plaintext connection, fit for loopback and a trusted network; pass
// WithTLS (or WithTLSConfig) for TLS and WithAPIKey for a server that
// requires a key (security.go).
func New(target string, opts ...grpc.DialOption) (*Client, error) {
	base := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(ServiceConfig),
	}
	conn, err := grpc.NewClient(target, append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("herken client: %w", err)
	}
	return NewFromConn(conn), nil
}

// NewFromConn wraps an existing connection (bufconn in tests, a shared
// connection in a larger program). Close closes conn. The retries of
// idempotent reads are part of the connection's service config, which New
// sets: a connection made elsewhere retries only if its maker passed
// grpc.WithDefaultServiceConfig(ServiceConfig).
func NewFromConn(conn *grpc.ClientConn) *Client {
	return &Client{
		conn:         conn,
		Recognition:  herkenv1.NewRecognitionServiceClient(conn),
		Customers:    herkenv1.NewCustomerServiceClient(conn),
		Interactions: herkenv1.NewInteractionServiceClient(conn),
		Promises:     herkenv1.NewPromiseServiceClient(conn),
		Maintenance:  herkenv1.NewMaintenanceServiceClient(conn),
		Audit:        herkenv1.NewAuditServiceClient(conn),
		Backup:       herkenv1.NewBackupServiceClient(conn),
	}
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// LookupPhone looks up a caller's number as the PBX delivers it.
func (c *Client) LookupPhone(ctx context.Context, number string) (*herkenv1.LookupResponse, error) {
	return c.Recognition.Lookup(ctx, &herkenv1.LookupRequest{
		Identifier: &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: number}},
	})
}

// LookupQuery looks up a free-form string whose kind herken detects.
func (c *Client) LookupQuery(ctx context.Context, query string, interactionLimit int32) (*herkenv1.LookupResponse, error) {
	return c.Recognition.Lookup(ctx, &herkenv1.LookupRequest{
		Identifier:       &herkenv1.Identifier{Value: &herkenv1.Identifier_Query{Query: query}},
		InteractionLimit: interactionLimit,
	})
}

// Error is a herken error status in typed form.
type Error struct {
	Code            codes.Code
	Reason          string // ErrorInfo reason, e.g. "PHONE_NUMBER_INVALID"
	Message         string
	Metadata        map[string]string
	FieldViolations []FieldViolation
}

// FieldViolation names one invalid request field.
type FieldViolation struct {
	Field, Reason, Description string
}

func (e *Error) Error() string {
	return fmt.Sprintf("herken: %s (%s): %s", e.Code, e.Reason, e.Message)
}

// Is matches a *Error target on Reason, so errors.Is(err, &client.Error{Reason: "CUSTOMER_NOT_FOUND"}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

// AsError converts an error returned by a herken RPC into *Error. It returns
// nil for nil and for errors that are not gRPC statuses.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	e := &Error{Code: st.Code(), Message: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Metadata = d.GetReason(), d.GetMetadata()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{Field: v.GetField(), Reason: v.GetReason(), Description: v.GetDescription()})
			}
		}
	}
	return e
}

// Reason returns the ErrorInfo reason of err, or "" if it has none.
func Reason(err error) string {
	if e := AsError(err); e != nil {
		return e.Reason
	}
	return ""
}
