package pgstore

import (
	"context"
	"time"

	"github.com/herken/herken"
)

func (s *Store) UpdateCustomer(ctx context.Context, id string, fn func(c *herken.Customer) error, w herken.WriteOptions) (herken.Customer, error) {
	return herken.Customer{}, errTODO
}
func (s *Store) ListCustomers(ctx context.Context, q herken.CustomerQuery) ([]herken.Customer, string, error) {
	return nil, "", errTODO
}
func (s *Store) ImportCustomers(ctx context.Context, ops []herken.ImportOp, w herken.WriteOptions) ([]herken.ImportOpResult, error) {
	return nil, errTODO
}
func (s *Store) AppendAudit(ctx context.Context, recs []herken.AuditRecord) error { return errTODO }
func (s *Store) ListAudit(ctx context.Context, q herken.AuditQuery) ([]herken.AuditRecord, string, error) {
	return nil, "", errTODO
}
func (s *Store) PurgeAudit(ctx context.Context, cutoff time.Time, limit int) (int, bool, error) {
	return 0, false, errTODO
}
