package badgerstore

import (
	"context"
	"errors"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken"

	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// ImportCustomers implements herken.Store: all ops in one transaction
// (halved while Badger finds it too big), so that an import commits, syncs
// and waits for Badger's read watermark once per batch instead of once
// per record. Each op checks every identifier it would link before it
// writes a key, so an op the rules refuse fails without touching the
// transaction. An op that fails after writing (which a Badger transaction
// cannot undo) has the transaction dropped and run again without it.
func (s *Store) ImportCustomers(ctx context.Context, ops []herken.ImportOp, _ herken.WriteOptions) ([]herken.ImportOpResult, error) {
	out := make([]herken.ImportOpResult, len(ops))
	return out, s.importOps(ctx, ops, out, make([]bool, len(ops)))
}

// opFailed ends a transaction attempt at op i, whose own error is err.
type opFailed struct {
	i       int
	created bool
	err     error
}

func (e *opFailed) Error() string { return "import op failed: " + e.err.Error() }

// importOps applies ops but those done says failed for good.
func (s *Store) importOps(ctx context.Context, ops []herken.ImportOp, out []herken.ImportOpResult, done []bool) error {
	for {
		var refs []shred.Ref
		var used, fnOK bool
		err := s.update(ctx, func(txn *tx) error {
			s.returnRefs(refs...) // an earlier attempt's: nothing sealed under them was committed
			refs, used, fnOK = refs[:0], false, false
			for i, op := range ops {
				if done[i] {
					continue
				}
				r, err := importOp(txn, i, op, &refs, &used)
				if err != nil {
					return err
				}
				out[i] = r
			}
			fnOK = true
			return nil
		})
		var f *opFailed
		switch {
		case errors.As(err, &f):
			s.returnRefs(refs...)
			done[f.i], out[f.i] = true, herken.ImportOpResult{Created: f.created, Err: f.err}
			continue
		case err == nil:
			return nil // every ref taken sealed a committed customer
		case errors.Is(err, badger.ErrTxnTooBig) && len(ops) > 1:
			s.returnRefs(refs...)
			half := len(ops) / 2
			if err := s.importOps(ctx, ops[:half], out[:half], done[:half]); err != nil {
				return err
			}
			return s.importOps(ctx, ops[half:], out[half:], done[half:])
		case !used || !fnOK:
			s.returnRefs(refs...) // nothing under them reached a commit
		}
		// A failed commit may have happened all the same: its keys are
		// left to Reclaim, which knows from x/ whether they are in use.
		return err
	}
}

// importOp applies one op inside txn; an error of the op's own is an
// *opFailed (the caller runs the transaction again without it).
func importOp(txn *tx, i int, op herken.ImportOp, refs *[]shred.Ref, used *bool) (herken.ImportOpResult, error) {
	hs, err := holders(txn, op.Key)
	if err != nil {
		return herken.ImportOpResult{}, err
	}
	if len(hs) == 0 {
		if err := checkLinks(txn, op.New.ID, nil, op.New.Identifiers); err != nil {
			return herken.ImportOpResult{Created: true, Err: err}, nil
		}
		ref, err := txn.s.takeRef()
		if err != nil {
			return herken.ImportOpResult{}, storeError(err)
		}
		*refs = append(*refs, ref)
		var out herken.Customer
		err = createCustomer(txn, op.New, herken.Idempotency{}, ref, used, &out)
		var ie *herken.IdentifierError
		if errors.As(err, &ie) {
			return herken.ImportOpResult{}, &opFailed{i: i, created: true, err: err}
		}
		if err != nil {
			return herken.ImportOpResult{}, err
		}
		return herken.ImportOpResult{CustomerID: out.ID, Created: true, Changed: true}, nil
	}
	id := hs[0]
	old, err := liveCustomerRec(txn, id)
	if err != nil {
		return herken.ImportOpResult{}, err
	}
	c := old.Customer.Clone()
	changed, err := op.Update(&c)
	if err != nil {
		return herken.ImportOpResult{Err: err}, nil // nothing of this op written yet
	}
	if !changed {
		return herken.ImportOpResult{CustomerID: id}, nil
	}
	c.ID, c.CreateTime = old.ID, old.CreateTime
	c.LastContactTime, c.LastContactChannel = old.LastContactTime, old.LastContactChannel
	if err := checkLinks(txn, id, old.Identifiers, c.Identifiers); err != nil {
		return herken.ImportOpResult{Err: err}, nil
	}
	if err := relink(txn, id, old.Identifiers, c.Identifiers); err != nil {
		var ie *herken.IdentifierError
		if errors.As(err, &ie) {
			return herken.ImportOpResult{}, &opFailed{i: i, err: err}
		}
		return herken.ImportOpResult{}, err
	}
	if err := reindexCustomer(txn, &old.Customer, &c); err != nil {
		return herken.ImportOpResult{}, err
	}
	rec := old
	rec.Customer = c
	if err := putCustomer(txn, rec); err != nil {
		return herken.ImportOpResult{}, err
	}
	return herken.ImportOpResult{CustomerID: id, Changed: true}, nil
}

// checkLinks runs herken.LinkHolder for every identifier in after that
// before lacks, reading only: the first it refuses is the op's error.
func checkLinks(txn *tx, customerID string, before, after []herken.LinkedIdentifier) error {
	for i, l := range after {
		if holds(before, l.Identifier) {
			continue
		}
		hs, err := holders(txn, l.Identifier)
		if err != nil {
			return err
		}
		if _, err := herken.LinkHolder(l.Identifier, hs, customerID, i); err != nil {
			return err
		}
	}
	return nil
}
