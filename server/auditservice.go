package server

import (
	"context"

	"github.com/herken/herken"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// auditServer answers "who looked at my data?" (AuditService).
type auditServer struct {
	herkenv1.UnimplementedAuditServiceServer
	*Server
}

// ListAuditRecords lists one customer's trail, newest first. The name is
// not resolved: a customer merged away or erased keeps its own trail.
func (s auditServer) ListAuditRecords(ctx context.Context, req *herkenv1.ListAuditRecordsRequest) (*herkenv1.ListAuditRecordsResponse, error) {
	var v violations
	id, err := parseCustomerName(req.GetParent(), "parent")
	v.add(err, "")
	if req.GetPageSize() < 0 {
		v.addf(herken.ReasonFieldInvalid, "page_size", "must not be negative")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	recs, next, err := s.svc.ListAudit(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.ListAuditRecordsResponse{AuditRecords: auditRecordsToPB(recs), NextPageToken: next}, nil
}
