package herken

import (
	"context"
	"errors"
	"time"
)

// followMerges is the Store the Service uses: every call that addresses a
// customer by id goes to the live customer that id names now (Store.Resolve),
// so that the name of a customer merged into another keeps working for
// reads and writes. Stores stay simple — a merged id is not a customer to
// them — and the rule lives here once.
//
// A merge can land between the resolve and the call; the call then finds no
// customer and is tried once more against the new survivor.
type followMerges struct{ Store }

// maxFollow bounds the retries when merges keep landing between resolve
// and call: each retry means another merge committed, so this is rare.
const maxFollow = 3

func (f followMerges) follow(ctx context.Context, id string, call func(live string) error) error {
	return f.followChild(ctx, id, nil, call)
}

// followChild is follow for a call about a record under the customer
// (a promise, an interaction): an unknown customer is reported as that
// record not found, as the API documents.
func (f followMerges) followChild(ctx context.Context, id string, notFound *Error, call func(live string) error) error {
	var err error
	for try := 0; try < maxFollow; try++ {
		live, rerr := f.Store.Resolve(ctx, id)
		if notFound != nil && errors.Is(rerr, ErrCustomerNotFound) {
			return notFound
		}
		if rerr != nil {
			return rerr
		}
		if err = call(live); !errors.Is(err, ErrCustomerNotFound) {
			return err
		}
		if again, rerr := f.Store.Resolve(ctx, id); rerr != nil || again == live {
			return err // not a merge in between: the customer is really gone
		}
	}
	return err
}

func (f followMerges) GetCustomer(ctx context.Context, id string) (c Customer, err error) {
	err = f.follow(ctx, id, func(live string) error {
		c, err = f.Store.GetCustomer(ctx, live)
		return err
	})
	return c, err
}

func (f followMerges) UpdateCustomer(ctx context.Context, id string, fn func(c *Customer) error, w WriteOptions) (c Customer, err error) {
	err = f.follow(ctx, id, func(live string) error {
		c, err = f.Store.UpdateCustomer(ctx, live, fn, w)
		return err
	})
	return c, err
}

func (f followMerges) AppendInteraction(ctx context.Context, t Target, in Interaction, w WriteOptions) (out Interaction, err error) {
	if t.CustomerID == "" {
		return f.Store.AppendInteraction(ctx, t, in, w)
	}
	err = f.follow(ctx, t.CustomerID, func(live string) error {
		out, err = f.Store.AppendInteraction(ctx, Target{CustomerID: live}, in, w)
		return err
	})
	return out, err
}

func (f followMerges) CreatePromise(ctx context.Context, t Target, p Promise, w WriteOptions) (out Promise, err error) {
	if t.CustomerID == "" {
		return f.Store.CreatePromise(ctx, t, p, w)
	}
	err = f.follow(ctx, t.CustomerID, func(live string) error {
		out, err = f.Store.CreatePromise(ctx, Target{CustomerID: live}, p, w)
		return err
	})
	return out, err
}

func (f followMerges) GetPromise(ctx context.Context, customerID, promiseID string) (p Promise, err error) {
	err = f.followChild(ctx, customerID, ErrPromiseNotFound, func(live string) error {
		p, err = f.Store.GetPromise(ctx, live, promiseID)
		return err
	})
	return p, err
}

func (f followMerges) UpdatePromise(ctx context.Context, customerID, promiseID string, fn func(p *Promise) error, w WriteOptions) (p Promise, err error) {
	err = f.followChild(ctx, customerID, ErrPromiseNotFound, func(live string) error {
		p, err = f.Store.UpdatePromise(ctx, live, promiseID, fn, w)
		return err
	})
	return p, err
}

func (f followMerges) ListPromises(ctx context.Context, q PromiseQuery) (ps []Promise, next string, err error) {
	if q.CustomerID == "" {
		return f.Store.ListPromises(ctx, q)
	}
	err = f.follow(ctx, q.CustomerID, func(live string) error {
		q.CustomerID = live
		ps, next, err = f.Store.ListPromises(ctx, q)
		return err
	})
	return ps, next, err
}

func (f followMerges) ListInteractions(ctx context.Context, q InteractionQuery) (ins []Interaction, next string, err error) {
	if q.CustomerID == "" {
		return f.Store.ListInteractions(ctx, q)
	}
	err = f.follow(ctx, q.CustomerID, func(live string) error {
		q.CustomerID = live
		ins, next, err = f.Store.ListInteractions(ctx, q)
		return err
	})
	return ins, next, err
}

func (f followMerges) UpdateInteraction(ctx context.Context, customerID, interactionID string, fn func(in *Interaction) error, w WriteOptions) (in Interaction, err error) {
	err = f.followChild(ctx, customerID, ErrInteractionNotFound, func(live string) error {
		in, err = f.Store.UpdateInteraction(ctx, live, interactionID, fn, w)
		return err
	})
	return in, err
}

func (f followMerges) EraseCustomer(ctx context.Context, id string, at time.Time, w WriteOptions) (ids []string, err error) {
	err = f.follow(ctx, id, func(live string) error {
		ids, err = f.Store.EraseCustomer(ctx, live, at, w)
		return err
	})
	return ids, err
}
