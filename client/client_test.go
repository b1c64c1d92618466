package client_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/herken/herken"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/herken/herken/client"
	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/store/badgerstore"
)

// newClient serves a real herken (in-memory Badger) over bufconn.
func newClient(t *testing.T) *client.Client {
	t.Helper()
	store, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(herken.NewService(store, norm, herken.ServiceConfig{}), server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	srv.SetServing(true)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewFromConn(conn)
	t.Cleanup(func() {
		c.Close()
		srv.Shutdown()
		store.Close()
	})
	return c
}

func TestLookupAndTypedErrors(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	_, err := c.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
		Customer:    &herkenv1.Customer{DisplayName: "Jan de Vries"},
		Identifiers: []*herkenv1.Identifier{{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: "06-12345678"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.LookupQuery(ctx, "+31 6 1234 5678", 5)
	if err != nil || resp.Outcome != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND || resp.Customer.Customer.DisplayName != "Jan de Vries" {
		t.Fatalf("LookupQuery: %v %v", resp, err)
	}

	_, err = c.LookupPhone(ctx, "12")
	ce := client.AsError(err)
	if ce == nil || ce.Code != codes.InvalidArgument || ce.Reason != "PHONE_NUMBER_INVALID" {
		t.Fatalf("AsError = %+v", ce)
	}
	if len(ce.FieldViolations) != 1 || ce.FieldViolations[0].Field != "identifier.phone_number" {
		t.Fatalf("field violations = %+v", ce.FieldViolations)
	}
	if !errors.Is(ce, &client.Error{Reason: "PHONE_NUMBER_INVALID"}) || client.Reason(err) != "PHONE_NUMBER_INVALID" {
		t.Fatal("reason matching failed")
	}

	_, err = c.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: "customers/0000000000000000"})
	if client.Reason(err) != "CUSTOMER_NOT_FOUND" || client.AsError(err).Code != codes.NotFound {
		t.Fatalf("GetCustomer unknown: %v", err)
	}
	if client.AsError(nil) != nil || client.AsError(errors.New("plain")) != nil {
		t.Fatal("AsError of a non-status error must be nil")
	}
}
