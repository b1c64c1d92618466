package server

import (
	"context"
	"strconv"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

type customerServer struct {
	herkenv1.UnimplementedCustomerServiceServer
	*Server
}

func (s customerServer) CreateCustomer(ctx context.Context, req *herkenv1.CreateCustomerRequest) (*herkenv1.CreateCustomerResponse, error) {
	var v violations
	ids := req.GetIdentifiers()
	if len(ids) > herken.MaxIdentifiers {
		v.addf(herken.ReasonTooManyValues, "identifiers", "at most "+strconv.Itoa(herken.MaxIdentifiers)+" identifiers")
		return nil, v.err()
	}
	nc := herken.NewCustomer{
		DisplayName:       req.GetCustomer().GetDisplayName(),
		PreferredLanguage: req.GetCustomer().GetPreferredLanguage(),
		Tags:              req.GetCustomer().GetTags(),
		HandoverNote:      req.GetCustomer().GetHandoverNote(),
		Identifiers:       make([]identity.Normalized, len(ids)),
		IdentifierSource:  req.GetIdentifierSource(),
	}
	for i, pb := range ids {
		nc.Identifiers[i] = s.normalize(pb, "identifiers["+strconv.Itoa(i)+"]", &v)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	c, err := s.svc.CreateCustomer(ctx, nc, write(ctx, req.GetRequestId()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "customer")
	}
	return &herkenv1.CreateCustomerResponse{Customer: customerToPB(c)}, nil
}

func (s customerServer) GetCustomer(ctx context.Context, req *herkenv1.GetCustomerRequest) (*herkenv1.GetCustomerResponse, error) {
	id, err := parseCustomerName(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	c, err := s.svc.GetCustomer(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	out := &herkenv1.GetCustomerResponse{Customer: customerToPB(c)}
	// The Service follows a merged name to its survivor; say so.
	if c.ID != id {
		out.MergedName = req.GetName()
	}
	return out, nil
}
