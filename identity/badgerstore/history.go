package badgerstore

import (
	"context"
	"errors"
	"time"

	"github.com/herken/herken/identity"
)

// ListInteractions implements identity.Store.
func (s *Store) ListInteractions(ctx context.Context, q identity.InteractionQuery) ([]identity.Interaction, string, error) {
	return nil, "", errors.New("not implemented")
}

// UpdateInteraction implements identity.Store.
func (s *Store) UpdateInteraction(ctx context.Context, customerID, interactionID string, fn func(in *identity.Interaction) error) (identity.Interaction, error) {
	return identity.Interaction{}, errors.New("not implemented")
}

// PurgeInteractions implements identity.Store.
func (s *Store) PurgeInteractions(ctx context.Context, cutoff time.Time, limit int) (int, bool, error) {
	return 0, false, errors.New("not implemented")
}
