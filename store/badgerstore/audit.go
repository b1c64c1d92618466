package badgerstore

import (
	"context"
	"errors"
	"time"

	"github.com/herken/herken"
)

// PLACEHOLDER: the audit helper replaces this file.
var errTODOAudit = errors.New("audit not implemented yet")

func (s *Store) AppendAudit(ctx context.Context, recs []herken.AuditRecord) error { return errTODOAudit }
func (s *Store) ListAudit(ctx context.Context, q herken.AuditQuery) ([]herken.AuditRecord, string, error) {
	return nil, "", errTODOAudit
}
func (s *Store) PurgeAudit(ctx context.Context, cutoff time.Time, limit int) (int, bool, error) {
	return 0, false, errTODOAudit
}
