package pgstore

import (
	"context"
	"time"

	"github.com/herken/herken"
)

func (s *Store) AppendInteraction(ctx context.Context, t herken.Target, in herken.Interaction, w herken.WriteOptions) (herken.Interaction, error) {
	return herken.Interaction{}, errTODO
}
func (s *Store) ListInteractions(ctx context.Context, q herken.InteractionQuery) ([]herken.Interaction, string, error) {
	return nil, "", errTODO
}
func (s *Store) UpdateInteraction(ctx context.Context, customerID, interactionID string, fn func(in *herken.Interaction) error, w herken.WriteOptions) (herken.Interaction, error) {
	return herken.Interaction{}, errTODO
}
func (s *Store) PurgeInteractions(ctx context.Context, cutoff time.Time, limit int, w herken.WriteOptions) (int, bool, error) {
	return 0, false, errTODO
}
func (s *Store) CreatePromise(ctx context.Context, t herken.Target, p herken.Promise, w herken.WriteOptions) (herken.Promise, error) {
	return herken.Promise{}, errTODO
}
func (s *Store) GetPromise(ctx context.Context, customerID, promiseID string) (herken.Promise, error) {
	return herken.Promise{}, errTODO
}
func (s *Store) UpdatePromise(ctx context.Context, customerID, promiseID string, fn func(p *herken.Promise) error, w herken.WriteOptions) (herken.Promise, error) {
	return herken.Promise{}, errTODO
}
func (s *Store) ListPromises(ctx context.Context, q herken.PromiseQuery) ([]herken.Promise, string, error) {
	return nil, "", errTODO
}
func (s *Store) BreakOverdue(ctx context.Context, dueBefore time.Time, limit int, broken func(p herken.Promise) (herken.Promise, herken.Interaction, bool), w herken.WriteOptions) (int, bool, error) {
	return 0, false, errTODO
}
