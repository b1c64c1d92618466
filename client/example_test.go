package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"slices"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/client"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/internal/demo"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/store/memstore"
)

// demoServer serves herken with the demo data (internal/demo: Jan de
// Vries at 06-12345678, the Bakkers, ...) on a loopback port, as
// `herken serve --demo` does, and returns its address.
func demoServer() (addr string, stop func()) {
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		log.Fatal(err)
	}
	svc := herken.NewService(memstore.New(memstore.Options{}), norm, herken.ServiceConfig{})
	if _, err := demo.Seed(context.Background(), svc, 0, 1, time.Now()); err != nil {
		log.Fatal(err)
	}
	srv, err := server.New(svc, server.Config{})
	if err != nil {
		log.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(lis)
	srv.SetServing(true)
	return lis.Addr().String(), srv.Shutdown
}

// New makes a client; LookupPhone recognises a caller by the number the
// PBX delivers, in whatever notation.
func ExampleNew() {
	addr, stop := demoServer() // "localhost:50051" for a real server
	defer stop()

	ctx := context.Background()
	c, err := client.New(ctx, addr,
		client.WithTimeout(2*time.Second), // calls without a deadline of their own
		// client.WithTLS("ca.pem", "", ""), client.WithAPIKey(os.Getenv("HERKEN_API_KEY")),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.LookupPhone(ctx, "+31 6 1234 5678")
	if err != nil {
		log.Fatal(err)
	}
	cust := resp.GetCustomer().GetCustomer()
	fmt.Println(resp.GetOutcome(), resp.GetCanonicalIdentifier().GetValue())
	fmt.Println(cust.GetDisplayName(), cust.GetTags())

	// An unknown number is an answer, not an error.
	resp, err = c.Lookup(ctx, &herkenv1.LookupRequest{Identifier: client.Phone(demo.UnknownPhone)})
	fmt.Println(resp.GetOutcome(), err)
	// Output:
	// MATCH_OUTCOME_FOUND +31612345678
	// Jan de Vries [vip]
	// MATCH_OUTCOME_NOT_FOUND <nil>
}

// Errors come back as *client.Error, matched with errors.Is against a code
// (client.ErrNotFound) or a reason (client.ErrCustomerNotFound).
func ExampleError() {
	addr, stop := demoServer()
	defer stop()
	ctx := context.Background()
	c, err := client.New(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.GetCustomer(ctx, "customers/0000000000000000")
	fmt.Println(err)
	fmt.Println(errors.Is(err, client.ErrNotFound), errors.Is(err, client.ErrCustomerNotFound), errors.Is(err, client.ErrCustomerErased))

	_, err = c.LookupPhone(ctx, "12")
	var ce *client.Error
	if errors.As(err, &ce) {
		fmt.Println(client.CodeName(ce.Code), ce.Reason, ce.FieldViolations[0].Field, ce.Retryable())
	}
	// Output:
	// customer not found (NOT_FOUND / CUSTOMER_NOT_FOUND)
	// true true false
	// INVALID_ARGUMENT PHONE_NUMBER_INVALID identifier.phone_number false
}

// AllCustomers walks a list page after page.
func ExampleClient_AllCustomers() {
	addr, stop := demoServer()
	defer stop()
	ctx := context.Background()
	c, err := client.New(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	var names []string
	for cust, err := range c.AllCustomers(ctx, &herkenv1.ListCustomersRequest{PageSize: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		names = append(names, cust.GetDisplayName())
	}
	slices.Sort(names) // listed by id, which is random
	fmt.Println(names)
	// Output:
	// [Anna Bakker Jan de Vries Mehmet Yılmaz Pieter Bakker Sophie Jansen]
}

// ImportCustomers upserts CRM records keyed by their external id: a second
// run of the same records changes nothing.
func ExampleClient_ImportCustomers() {
	addr, stop := demoServer()
	defer stop()
	ctx := context.Background()
	c, err := client.New(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	records := []*herkenv1.ImportRecord{
		{ExternalId: "K-200001", DisplayName: "Fatima el Amrani", Tags: []string{"zakelijk"},
			Identifiers: []*herkenv1.ImportIdentifier{{Identifier: client.Phone("06-55501234"), Label: "mobiel"}}},
		{ExternalId: "K-200002", DisplayName: "Kees Smit",
			Identifiers: []*herkenv1.ImportIdentifier{{Identifier: client.Phone("12")}}}, // not a number: dropped
	}
	for range 2 {
		resp, err := c.ImportCustomers(ctx, &herkenv1.ImportSettings{Source: "crm"}, records)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("created %d, updated %d, unchanged %d, failed %d, identifiers dropped %d\n",
			resp.GetCreated(), resp.GetUpdated(), resp.GetUnchanged(), resp.GetFailed(), resp.GetIdentifiersDropped())
	}
	found, err := c.LookupPhone(ctx, "06-55501234")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(found.GetCustomer().GetCustomer().GetDisplayName())
	// Output:
	// created 2, updated 0, unchanged 0, failed 0, identifiers dropped 1
	// created 0, updated 0, unchanged 2, failed 0, identifiers dropped 1
	// Fatima el Amrani
}
