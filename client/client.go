// Package client is the Go client for herken: a layer over the generated
// stubs that
//
//   - connects with the options a deployment needs (New: TLS, an API key,
//     a default per-call deadline, keepalive) and retries reads on
//     UNAVAILABLE with backoff (ServiceConfig);
//   - has a typed method for every RPC of every herken.v1 service
//     (recognition.go, customers.go, import.go, interactions.go,
//     promises.go, admin.go), with shorthands taking plain arguments where
//     a request has only a few fields, and iterators over paged lists
//     (AllCustomers, AllInteractions, AllPromises, AllAuditRecords);
//   - turns error statuses back into typed errors (*Error, errors.go) as
//     they arrive: errors.Is(err, client.ErrNotFound) and the ErrorInfo
//     reason need no extra call.
//
// The generated stubs stay available as fields (Client.Customers, ...) and
// share the defaults: the deadline and the typed errors apply to them too.
//
// It imports gRPC, genproto, protobuf and the generated API
// (proto/herken/v1) only, never the domain or a store: a client author
// needs nothing else.
package client

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// ServiceConfig is the gRPC service config New dials with: it retries the
// read-only calls (RecognitionService and MaintenanceService, and the Get,
// List and Export methods of the other services) on UNAVAILABLE (a restarting
// server, a store hiccup), up to three attempts with backoff; writes
// (ImportCustomers included) are retried only by the caller, with a
// request_id where the request has one (an import may simply be sent
// again: it is an upsert).
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
// service, sharing one connection, and the typed methods over them. It is
// safe for concurrent use.
type Client struct {
	conn         *grpc.ClientConn
	Recognition  herkenv1.RecognitionServiceClient
	Customers    herkenv1.CustomerServiceClient
	Interactions herkenv1.InteractionServiceClient
	Promises     herkenv1.PromiseServiceClient
	Maintenance  herkenv1.MaintenanceServiceClient
	Audit        herkenv1.AuditServiceClient  // admin: who read or changed a customer
	Backup       herkenv1.BackupServiceClient // admin: online backup stream
	// ScreenPop signs links to the agents' screen pop (lookup scope).
	ScreenPop herkenv1.ScreenPopServiceClient
}

// New makes a client of the server at target ("localhost:50051", or any
// gRPC target such as "dns:///herken.internal:50051"). Without options it
// uses a plaintext connection, fit for loopback and a trusted network;
// pass WithTLS (or WithTLSConfig) for TLS and WithAPIKey for a server that
// requires a key. Calls without a deadline get DefaultTimeout (10s;
// WithTimeout), the connection is kept alive with pings every 30s
// (WithKeepalive), and reads are retried on UNAVAILABLE (ServiceConfig).
//
// New does not connect: the first call does, so New succeeds while the
// server is down, and ctx is not used, unless WithWaitForReady is given:
// then New connects at once and waits for the connection, for as long as
// ctx allows (DefaultTimeout, or WithTimeout's, if ctx has no deadline).
// ctx is never kept: every call takes its own.
//
// Close the client when done with it.
func New(ctx context.Context, target string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.tlsErr != nil {
		return nil, o.tlsErr
	}
	creds := o.creds
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(ServiceConfig),
	}
	if o.apiKey != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(apiKey(o.apiKey)))
	}
	if o.keepalive.Time > 0 {
		dial = append(dial, grpc.WithKeepaliveParams(o.keepalive))
	}
	conn, err := grpc.NewClient(target, append(dial, o.dial...)...)
	if err != nil {
		return nil, fmt.Errorf("server address %q: %w", target, err)
	}
	if o.waitForReady {
		if err := waitForReady(ctx, conn, o); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return newClient(conn, o), nil
}

// waitForReady connects conn and waits until it is ready or ctx (with the
// default timeout if it has no deadline) ends.
func waitForReady(ctx context.Context, conn *grpc.ClientConn, o options) error {
	if _, ok := ctx.Deadline(); !ok && o.unaryTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.unaryTimeout)
		defer cancel()
	}
	conn.Connect()
	for {
		s := conn.GetState()
		if s == connectivity.Ready {
			return nil
		}
		if !conn.WaitForStateChange(ctx, s) {
			return &Error{Code: codes.Unavailable, Message: fmt.Sprintf("no connection to %s: %v, connection %s", conn.Target(), ctx.Err(), s)}
		}
	}
}

// NewFromConn wraps an existing connection (bufconn in tests, a shared
// connection in a larger program). Close closes conn. Of the options only
// WithTimeout and WithStreamTimeout apply (the defaults as in New); the
// rest (TLS, the key, keepalive, retries) are the connection's and its
// maker's business: a connection made elsewhere retries reads only if its
// maker passed grpc.WithDefaultServiceConfig(ServiceConfig), and sends a
// key only with grpc.WithPerRPCCredentials(APIKeyCredentials(key)).
func NewFromConn(conn *grpc.ClientConn, opts ...Option) *Client {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return newClient(conn, o)
}

func newClient(conn *grpc.ClientConn, o options) *Client {
	cc := &callConn{cc: conn, unaryTimeout: o.unaryTimeout, streamTimeout: o.streamTimeout}
	return &Client{
		conn:         conn,
		Recognition:  herkenv1.NewRecognitionServiceClient(cc),
		ScreenPop:    herkenv1.NewScreenPopServiceClient(cc),
		Customers:    herkenv1.NewCustomerServiceClient(cc),
		Interactions: herkenv1.NewInteractionServiceClient(cc),
		Promises:     herkenv1.NewPromiseServiceClient(cc),
		Maintenance:  herkenv1.NewMaintenanceServiceClient(cc),
		Audit:        herkenv1.NewAuditServiceClient(cc),
		Backup:       herkenv1.NewBackupServiceClient(cc),
	}
}

// Conn is the underlying connection, for services herken serves beside
// its own (grpc.health.v1, reflection). Calls on it bypass the client's
// defaults.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close closes the connection; calls in flight fail with CANCELLED.
func (c *Client) Close() error { return c.conn.Close() }
