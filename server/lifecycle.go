package server

import (
	"context"
	"errors"
	"strconv"

	"github.com/herken/herken"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// A customer's life after creation on the CustomerService: update, list,
// link and unlink identifiers, merge and unmerge, erase and export. The
// handlers read the request and call the Service; every rule is the
// domain's.

func (s customerServer) UpdateCustomer(ctx context.Context, req *herkenv1.UpdateCustomerRequest) (*herkenv1.UpdateCustomerResponse, error) {
	var v violations
	pb := req.GetCustomer()
	id, err := parseCustomerName(pb.GetName(), "customer.name")
	v.add(err, "")
	fields := maskFields(req.GetUpdateMask().GetPaths(), "update_mask", true, &v)
	if len(req.GetUpdateMask().GetPaths()) == 0 {
		fields = populatedFields(pb) // AIP-134: no mask updates what the request sets
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	c, err := s.svc.UpdateCustomer(ctx, herken.CustomerUpdate{
		ID:                id,
		Fields:            fields,
		DisplayName:       pb.GetDisplayName(),
		PreferredLanguage: pb.GetPreferredLanguage(),
		Tags:              pb.GetTags(),
		HandoverNote:      pb.GetHandoverNote(),
		Etag:              pb.GetEtag(),
	}, write(ctx, ""))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.UpdateCustomerResponse{Customer: customerToPB(c)}, nil
}

// editablePaths is what maskFields' errors list.
const editablePaths = "display_name, preferred_language, tags or handover_note"

// populatedFields are the editable fields c sets (non-empty): what an update
// without a mask changes (AIP-134). Clearing a field needs the mask.
func populatedFields(c *herkenv1.Customer) herken.CustomerField {
	var f herken.CustomerField
	if c.GetDisplayName() != "" {
		f |= herken.FieldDisplayName
	}
	if c.GetPreferredLanguage() != "" {
		f |= herken.FieldPreferredLanguage
	}
	if len(c.GetTags()) > 0 {
		f |= herken.FieldTags
	}
	if c.GetHandoverNote() != "" {
		f |= herken.FieldHandoverNote
	}
	return f
}

// maskFields reads the paths of a field mask over a customer's editable
// fields (update_mask, take_from_merged). "*" alone means every field when
// all is set (AIP-134's full replacement). An unknown or output-only path
// is reported at field.paths[i].
func maskFields(paths []string, field string, all bool, v *violations) herken.CustomerField {
	if all && len(paths) == 1 && paths[0] == "*" {
		return herken.AllCustomerFields
	}
	var out herken.CustomerField
	for i, p := range paths {
		f, ok := herken.CustomerFieldForPath(p)
		if !ok {
			msg := "must be " + editablePaths
			if all {
				msg += `, or "*" alone`
			}
			v.addf(herken.ReasonFieldInvalid, field+".paths["+strconv.Itoa(i)+"]", msg)
			continue
		}
		out |= f
	}
	return out
}

func (s customerServer) ListCustomers(ctx context.Context, req *herkenv1.ListCustomersRequest) (*herkenv1.ListCustomersResponse, error) {
	var v violations
	since := timeField(req.GetUpdatedSince(), "updated_since", &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	list, next, err := s.svc.ListCustomers(ctx, herken.ListCustomersRequest{
		Tag:          req.GetTag(),
		UpdatedSince: since,
		NamePrefix:   req.GetDisplayNamePrefix(),
		PageSize:     int(req.GetPageSize()), // the domain refuses negatives, applies default and cap
		PageToken:    req.GetPageToken(),
	})
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.ListCustomersResponse{Customers: customersToPB(list), NextPageToken: next}, nil
}

func (s customerServer) AddIdentifier(ctx context.Context, req *herkenv1.AddIdentifierRequest) (*herkenv1.AddIdentifierResponse, error) {
	var v violations
	id, err := parseCustomerName(req.GetCustomer(), "customer")
	v.add(err, "")
	n := s.normalize(req.GetIdentifier(), "identifier", &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	c, err := s.svc.AddIdentifier(ctx, id, herken.IdentifierLink{
		Identifier: n, Source: req.GetSource(), Verified: req.GetVerified(), Label: req.GetLabel(),
	}, write(ctx, ""))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.AddIdentifierResponse{Customer: customerToPB(c)}, nil
}

func (s customerServer) RemoveIdentifier(ctx context.Context, req *herkenv1.RemoveIdentifierRequest) (*herkenv1.RemoveIdentifierResponse, error) {
	var v violations
	id, err := parseCustomerName(req.GetCustomer(), "customer")
	v.add(err, "")
	n := s.normalize(req.GetIdentifier(), "identifier", &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	c, err := s.svc.RemoveIdentifier(ctx, id, n, write(ctx, ""))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.RemoveIdentifierResponse{Customer: customerToPB(c)}, nil
}

func (s customerServer) MergeCustomers(ctx context.Context, req *herkenv1.MergeCustomersRequest) (*herkenv1.MergeCustomersResponse, error) {
	var v violations
	survivor, err := parseCustomerName(req.GetSurvivor(), "survivor")
	v.add(err, "")
	merged, err := parseCustomerName(req.GetMerged(), "merged")
	v.add(err, "")
	take := maskFields(req.GetTakeFromMerged().GetPaths(), "take_from_merged", false, &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	c, err := s.svc.MergeCustomers(ctx, survivor, merged, take, write(ctx, ""))
	if err != nil {
		// The domain's "into itself" is about the pair; the request field
		// that makes it so is merged.
		return nil, toStatus(ctx, s.log, onField(err, herken.ErrMergeIntoSelf, "merged"), "")
	}
	return &herkenv1.MergeCustomersResponse{Survivor: customerToPB(c)}, nil
}

func (s customerServer) UnmergeCustomers(ctx context.Context, req *herkenv1.UnmergeCustomersRequest) (*herkenv1.UnmergeCustomersResponse, error) {
	id, err := parseCustomerName(req.GetMerged(), "merged")
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	survivor, merged, err := s.svc.UnmergeCustomer(ctx, id, write(ctx, ""))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.UnmergeCustomersResponse{Merged: customerToPB(merged), Survivor: customerToPB(survivor)}, nil
}

func (s customerServer) EraseCustomer(ctx context.Context, req *herkenv1.EraseCustomerRequest) (*herkenv1.EraseCustomerResponse, error) {
	id, err := parseCustomerName(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	erased, err := s.svc.EraseCustomer(ctx, id, write(ctx, ""))
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	if erased.AuditErr != nil {
		// The erasure stands (a retry would answer CUSTOMER_ERASED); the
		// missing record of it is the operator's to know about.
		s.log.ErrorContext(ctx, "erasure done but its audit records were not stored", "erased", len(erased.IDs), "error", erased.AuditErr)
	}
	return erasedToPB(erased), nil
}

func (s customerServer) ExportCustomer(ctx context.Context, req *herkenv1.ExportCustomerRequest) (*herkenv1.ExportCustomerResponse, error) {
	id, err := parseCustomerName(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	ex, err := s.svc.ExportCustomer(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	out := exportToPB(ex)
	out.AuditRecords = auditRecordsToPB(ex.Audit)
	return out, nil
}

// onField places a domain error that concerns no field in particular on
// the request field that caused it, when err is target.
func onField(err error, target *herken.Error, field string) error {
	if !errors.Is(err, target) {
		return err
	}
	if de, ok := herken.AsError(err); ok && de.Field == "" {
		return de.WithField(field)
	}
	return err
}
