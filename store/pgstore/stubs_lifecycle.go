package pgstore

import (
	"context"
	"time"

	"github.com/herken/herken"
)

func (s *Store) MergeCustomers(ctx context.Context, survivorID, mergedID string, plan func(survivor, merged herken.Customer) (herken.Customer, herken.Interaction, error), w herken.WriteOptions) (herken.Customer, error) {
	return herken.Customer{}, errTODO
}
func (s *Store) UnmergeCustomer(ctx context.Context, mergedID string, plan func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error), w herken.WriteOptions) (survivor, merged herken.Customer, err error) {
	return herken.Customer{}, herken.Customer{}, errTODO
}
func (s *Store) Merges(ctx context.Context, id string) ([]herken.MergeRecord, error) {
	return nil, errTODO
}
func (s *Store) EraseCustomer(ctx context.Context, id string, at time.Time, w herken.WriteOptions) ([]string, error) {
	return nil, errTODO
}
func (s *Store) Erasures(ctx context.Context, since time.Time, limit int) ([]herken.Erasure, error) {
	return nil, errTODO
}
