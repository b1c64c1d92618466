package pgstore

import (
	"bytes"
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
)

// CreateCustomer implements herken.Store.
func (s *Store) CreateCustomer(ctx context.Context, c herken.Customer, w herken.WriteOptions) (herken.Customer, error) {
	if !herken.ValidID(c.ID) {
		return herken.Customer{}, corrupt("customer id has the wrong shape")
	}
	var out herken.Customer
	err := s.write(ctx, func(t *tx) error {
		if r, ok, err := t.recall(w.Idempotency); err != nil || ok {
			if err != nil {
				return err
			}
			// A customer merged away since: the name answers with its survivor.
			to, err := t.follow(r.customer)
			if err != nil {
				return err
			}
			prior, ok, err := t.customer(to)
			switch {
			case err != nil:
				return err
			case !ok:
				return herken.ErrCustomerNotFound
			}
			out = prior
			return nil
		}
		if known, err := t.known(c.ID); err != nil || known {
			if err == nil {
				err = corrupt("customer id collision")
			}
			return err
		}
		links := t.stageLinks()
		if err := links.load(identifiersOf(c)...); err != nil {
			return err
		}
		for i, l := range c.Identifiers {
			if err := links.link(l.Identifier, c.ID, i); err != nil {
				return err
			}
		}
		b := &pgx.Batch{}
		links.commit(b)
		t.putCustomer(b, nil, c)
		t.remember(b, w.Idempotency, c.ID, "")
		if err := t.send(b); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return herken.Customer{}, err
	}
	return out, nil
}

// GetCustomer implements herken.Store.
func (s *Store) GetCustomer(ctx context.Context, id string) (herken.Customer, error) {
	var c herken.Customer
	err := s.read(ctx, func(t *tx) error {
		var err error
		c, err = t.live(id)
		return err
	})
	return c, err
}

// Resolve implements herken.Store: one statement reads the name's state.
func (s *Store) Resolve(ctx context.Context, id string) (string, error) {
	var live bool
	var survivor *string
	var erased *bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1),
		(SELECT survivor FROM names WHERE id = $1), (SELECT erased FROM names WHERE id = $1)`, id).Scan(&live, &survivor, &erased)
	switch {
	case err != nil:
		return "", storeError(err)
	case live:
		return id, nil
	case survivor != nil:
		return *survivor, nil
	case erased != nil && *erased:
		return "", herken.ErrCustomerErased
	}
	return "", herken.ErrCustomerNotFound
}

// customer reads a live customer's record; ok false when id is not live.
func (t *tx) customer(id string) (herken.Customer, bool, error) {
	var b []byte
	err := t.QueryRow(t.ctx, `SELECT data FROM customers WHERE id = $1`, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return herken.Customer{}, false, nil
	}
	if err != nil {
		return herken.Customer{}, false, err
	}
	c, err := decode[herken.Customer](b)
	return c, err == nil, err
}

// live returns the live customer id, or why there is none:
// ErrCustomerErased for an erased id, ErrCustomerNotFound for an unknown
// or merged one (callers Resolve a merged name first).
func (t *tx) live(id string) (herken.Customer, error) {
	c, ok, err := t.customer(id)
	if err != nil || ok {
		return c, err
	}
	var erased bool
	err = t.QueryRow(t.ctx, `SELECT EXISTS (SELECT 1 FROM names WHERE id = $1 AND erased)`, id).Scan(&erased)
	switch {
	case err != nil:
		return herken.Customer{}, err
	case erased:
		return herken.Customer{}, herken.ErrCustomerErased
	}
	return herken.Customer{}, herken.ErrCustomerNotFound
}

// follow returns the live survivor of a merged name, else id itself.
func (t *tx) follow(id string) (string, error) {
	var to string
	err := t.QueryRow(t.ctx, `SELECT survivor FROM names WHERE id = $1 AND survivor IS NOT NULL`, id).Scan(&to)
	if errors.Is(err, pgx.ErrNoRows) {
		return id, nil
	}
	return to, err
}

// known reports whether id names anything: a live, merged or erased
// customer.
func (t *tx) known(id string) (bool, error) {
	var known bool
	err := t.QueryRow(t.ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1) OR EXISTS (SELECT 1 FROM names WHERE id = $1)`, id).Scan(&known)
	return known, err
}

// target finds the customer a write addresses (herken.TargetHolder for an
// identifier).
func (t *tx) target(tg herken.Target) (herken.Customer, error) {
	id := tg.CustomerID
	if id == "" {
		hs, err := t.holders(tg.Identifier)
		if err != nil {
			return herken.Customer{}, err
		}
		if id, err = herken.TargetHolder(hs); err != nil {
			return herken.Customer{}, err
		}
	}
	c, err := t.live(id)
	if err != nil && tg.CustomerID == "" && !isUnavailable(err) {
		return herken.Customer{}, corrupt("identifier index names a missing customer")
	}
	return c, err
}

// isUnavailable reports a storage failure (as opposed to a domain answer).
func isUnavailable(err error) bool {
	var he *herken.Error
	return !errors.As(err, &he) || he.Code == herken.CodeUnavailable || he.Code == herken.CodeInternal
}

// holders reads one identifier's holders in link order.
func (t *tx) holders(id identity.Identifier) ([]string, error) {
	var hs []string
	err := t.QueryRow(t.ctx, `SELECT holders FROM holders WHERE ident = $1`, identKey(id)).Scan(&hs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return hs, err
}

// send runs a batch of statements in one round trip.
func (t *tx) send(b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return t.SendBatch(t.ctx, b).Close()
}

// putCustomer queues the writes that store next as a live customer's
// record and keep the tag and name indexes in step; old is the record as
// stored (nil for a new customer). The identifier index is the caller's.
func (t *tx) putCustomer(b *pgx.Batch, old *herken.Customer, next herken.Customer) {
	b.Queue(`INSERT INTO customers (id, update_ns, data) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET update_ns = excluded.update_ns, data = excluded.data`,
		next.ID, ns(next.UpdateTime), encode(next))
	if old == nil || !slices.Equal(old.Tags, next.Tags) || !old.UpdateTime.Equal(next.UpdateTime) {
		if old != nil {
			b.Queue(`DELETE FROM customer_tags WHERE customer_id = $1`, next.ID)
		}
		if len(next.Tags) > 0 {
			b.Queue(`INSERT INTO customer_tags (tag, customer_id, update_ns) SELECT DISTINCT unnest($1::text[]), $2::text, $3::bigint`,
				next.Tags, next.ID, ns(next.UpdateTime))
		}
	}
	if old == nil || old.DisplayName != next.DisplayName {
		if old != nil {
			b.Queue(`DELETE FROM customer_names WHERE customer_id = $1`, next.ID)
		}
		if ps := herken.NamePrefixes(next.DisplayName); len(ps) > 0 {
			b.Queue(`INSERT INTO customer_names (prefix, customer_id) SELECT DISTINCT unnest($1::text[]), $2::text`, ps, next.ID)
		}
	}
}

// deleteCustomer queues the deletion of a live customer's record; its
// tag and name rows go with it (ON DELETE CASCADE).
func (t *tx) deleteCustomer(b *pgx.Batch, id string) {
	b.Queue(`DELETE FROM customers WHERE id = $1`, id)
}

func identifiersOf(c herken.Customer) []identity.Identifier {
	out := make([]identity.Identifier, len(c.Identifiers))
	for i, l := range c.Identifiers {
		out[i] = l.Identifier
	}
	return out
}

// request is what an idempotency key remembers.
type request struct {
	customer, id string
}

// recall looks up an idempotency key: ok with what the same request made,
// ErrRequestIDReused for another request, neither when the key is new,
// expired or idem is off.
func (t *tx) recall(idem herken.Idempotency) (request, bool, error) {
	if idem.Key == "" {
		return request{}, false, nil
	}
	var fp []byte
	var r request
	var expires int64
	err := t.QueryRow(t.ctx, `SELECT fingerprint, customer_id, item_id, expires_ns FROM requests WHERE key = $1`, idem.Key).
		Scan(&fp, &r.customer, &r.id, &expires)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return request{}, false, nil
	case err != nil:
		return request{}, false, err
	case ns(t.s.now()) >= expires:
		return request{}, false, nil
	case !bytes.Equal(fp, idem.Fingerprint):
		return request{}, false, herken.ErrRequestIDReused
	}
	return r, true, nil
}

// remember queues storing what a request made under its idempotency key
// for idem.TTL (replacing an expired entry of the same key). Expired keys
// are deleted by forgetRequests, outside the writes: deleting them here
// made unrelated writes conflict over the same expired rows.
func (t *tx) remember(b *pgx.Batch, idem herken.Idempotency, customerID, id string) {
	if idem.Key == "" || idem.TTL <= 0 {
		return
	}
	now := t.s.now()
	b.Queue(`INSERT INTO requests (key, fingerprint, customer_id, item_id, expires_ns) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, customer_id = excluded.customer_id,
		item_id = excluded.item_id, expires_ns = excluded.expires_ns`,
		idem.Key, idem.Fingerprint, customerID, id, ns(now.Add(idem.TTL)))
}
