package server

import (
	"github.com/herken/herken"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// auditRecordToPB converts an audit record; the API and domain actions
// share their numbering (TestAuditActionNumbers checks).
func auditRecordToPB(r herken.AuditRecord) *herkenv1.AuditRecord {
	return &herkenv1.AuditRecord{
		Customer:  customerName(r.CustomerID),
		Time:      timeToPB(r.Time),
		Actor:     r.Actor,
		Method:    r.Method,
		Action:    herkenv1.AuditAction(r.Action),
		RequestId: r.RequestID,
	}
}

func auditRecordsToPB(rs []herken.AuditRecord) []*herkenv1.AuditRecord {
	if len(rs) == 0 {
		return nil
	}
	out := make([]*herkenv1.AuditRecord, len(rs))
	for i, r := range rs {
		out[i] = auditRecordToPB(r)
	}
	return out
}
