package memstore

import (
	"context"
	"errors"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// ImportCustomers implements herken.Store: op after op, each through
// CreateCustomer or UpdateCustomer (the reference store needs no batching:
// its writes are map updates under one lock).
func (s *Store) ImportCustomers(ctx context.Context, ops []herken.ImportOp, w herken.WriteOptions) ([]herken.ImportOpResult, error) {
	out := make([]herken.ImportOpResult, len(ops))
	for i, op := range ops {
		r, err := s.importOne(ctx, op, w)
		if err != nil {
			return out, err
		}
		out[i] = r
	}
	return out, nil
}

// opError carries an op's own error through UpdateCustomer.
type opError struct{ err error }

func (e opError) Error() string { return e.err.Error() }

var errUnchanged = errors.New("memstore: unchanged")

func (s *Store) importOne(ctx context.Context, op herken.ImportOp, w herken.WriteOptions) (herken.ImportOpResult, error) {
	// Between the read of Key's holder and the write another writer may
	// link or unlink Key: then read again.
	for {
		snap, err := s.Match(ctx, []identity.Identifier{op.Key}, herken.MatchOptions{}, func([][]string) string { return "" })
		if err != nil {
			return herken.ImportOpResult{}, err
		}
		if len(snap.Holders[0]) == 0 {
			c, err := s.CreateCustomer(ctx, op.New, w)
			var ie *herken.IdentifierError
			switch {
			case err == nil:
				return herken.ImportOpResult{CustomerID: c.ID, Created: true, Changed: true}, nil
			case errors.As(err, &ie):
				if ie.Index >= 0 && ie.Index < len(op.New.Identifiers) && op.New.Identifiers[ie.Index].Identifier == op.Key {
					continue // Key was linked meanwhile: update its holder
				}
				return herken.ImportOpResult{Created: true, Err: err}, nil
			}
			return herken.ImportOpResult{}, err
		}
		holder := snap.Holders[0][0]
		var changed bool
		c, err := s.UpdateCustomer(ctx, holder, func(c *herken.Customer) error {
			ch, err := op.Update(c)
			changed = ch
			switch {
			case err != nil:
				return opError{err}
			case !ch:
				return errUnchanged
			}
			return nil
		}, w)
		var oe opError
		var ie *herken.IdentifierError
		switch {
		case err == nil:
			return herken.ImportOpResult{CustomerID: c.ID, Changed: changed}, nil
		case errors.Is(err, errUnchanged):
			return herken.ImportOpResult{CustomerID: holder}, nil
		case errors.As(err, &oe):
			return herken.ImportOpResult{Err: oe.err}, nil
		case errors.As(err, &ie):
			return herken.ImportOpResult{Err: err}, nil
		case errors.Is(err, herken.ErrCustomerNotFound), errors.Is(err, herken.ErrCustomerErased):
			continue // the holder was merged or erased meanwhile
		}
		return herken.ImportOpResult{}, err
	}
}
