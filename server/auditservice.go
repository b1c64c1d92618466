package server

import (
	"context"

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
	id, err := parseCustomerName(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	// The domain refuses a negative page size, applies default and cap.
	recs, next, err := s.svc.ListAudit(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.ListAuditRecordsResponse{AuditRecords: auditRecordsToPB(recs), NextPageToken: next}, nil
}
