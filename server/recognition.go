package server

import (
	"context"
	"strconv"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

type recognitionServer struct {
	herkenv1.UnimplementedRecognitionServiceServer
	*Server
}

// normalize validates and normalises one API identifier at field path.
func (s *Server) normalize(pb *herkenv1.Identifier, field string, v *violations) identity.Normalized {
	in, ok := identifierInput(pb)
	if !ok {
		v.addf(herken.ReasonIdentifierMissing, field, "required: set exactly one identifier field")
		return identity.Normalized{}
	}
	n, err := s.svc.Normalize(in)
	v.add(err, field)
	return n
}

func interactionLimit(limit int32, v *violations) int {
	if limit < 0 {
		v.addf(herken.ReasonFieldInvalid, "interaction_limit", "must not be negative")
	}
	return int(limit) // the domain applies the default and the cap
}

func (s recognitionServer) Lookup(ctx context.Context, req *herkenv1.LookupRequest) (*herkenv1.LookupResponse, error) {
	var v violations
	in, ok := identifierInput(req.GetIdentifier())
	if !ok {
		v.addf(herken.ReasonIdentifierMissing, "identifier", "required: set exactly one identifier field")
	}
	if ok && req.GetInteractionLimit() < 0 {
		s.normalize(req.GetIdentifier(), "identifier", &v) // report every invalid field at once
	}
	limit := interactionLimit(req.GetInteractionLimit(), &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	res, err := s.svc.LookupInput(ctx, in, limit)
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "identifier")
	}
	return &herkenv1.LookupResponse{
		Outcome:             herkenv1.MatchOutcome(res.Outcome),
		CanonicalIdentifier: canonicalToPB(res.Input.Identifier),
		Withheld:            res.Input.Withheld,
		PhoneExtension:      res.Input.Extension,
		Customer:            recognizedToPB(res.Customer),
		Candidates:          summariesToPB(res.Candidates),
	}, nil
}

func (s recognitionServer) Resolve(ctx context.Context, req *herkenv1.ResolveRequest) (*herkenv1.ResolveResponse, error) {
	var v violations
	ids := req.GetIdentifiers()
	switch {
	case len(ids) == 0:
		v.addf(herken.ReasonFieldRequired, "identifiers", "at least one identifier is required")
	case len(ids) > herken.MaxResolveIdentifiers:
		v.addf(herken.ReasonTooManyValues, "identifiers", "at most "+strconv.Itoa(herken.MaxResolveIdentifiers)+" identifiers")
	}
	limit := interactionLimit(req.GetInteractionLimit(), &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	ns := make([]identity.Normalized, len(ids))
	for i, pb := range ids {
		ns[i] = s.normalize(pb, "identifiers["+strconv.Itoa(i)+"]", &v)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	res, err := s.svc.Resolve(ctx, ns, limit)
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	out := &herkenv1.ResolveResponse{
		Outcome:    herkenv1.ResolveOutcome(res.Outcome),
		Customer:   recognizedToPB(res.Customer),
		Candidates: summariesToPB(res.Candidates),
		Matches:    make([]*herkenv1.IdentifierMatch, len(res.Matches)),
	}
	for i, m := range res.Matches {
		names := make([]string, len(m.Customers))
		for j, id := range m.Customers {
			names[j] = customerName(id)
		}
		out.Matches[i] = &herkenv1.IdentifierMatch{
			CanonicalIdentifier: canonicalToPB(m.Input.Identifier),
			Withheld:            m.Input.Withheld,
			Outcome:             herkenv1.MatchOutcome(m.Outcome),
			Customers:           names,
		}
	}
	return out, nil
}
