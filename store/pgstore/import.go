package pgstore

import (
	"context"
	"errors"
	"maps"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
)

// importChunk is how many ops one transaction applies: an import commits
// once per chunk instead of once per record, and a chunk stays small
// enough to retry whole on a serialization failure.
const importChunk = 200

// importLock is the advisory lock import chunks take one after another.
const importLock = 0x6865726b656e0003 // "herken" 0003

// ImportCustomers implements herken.Store, a chunk of ops per transaction.
// A chunk reads what its ops need in a few statements, decides every op
// in memory against the state the ops before it staged (each op sees the
// ones before it), and writes the outcome in one batch. An op is decided
// completely before it stages anything (as CreateCustomer and
// UpdateCustomer decide every link before they write), and a refused op
// has its staged links put back, so it writes nothing and the others go
// on.
func (s *Store) ImportCustomers(ctx context.Context, ops []herken.ImportOp, _ herken.WriteOptions) ([]herken.ImportOpResult, error) {
	out := make([]herken.ImportOpResult, len(ops))
	// One import at a time, on every replica: chunks of hundreds of
	// records read and write the same index pages, and side by side under
	// SERIALIZABLE they failed each other over and over (an import of
	// 100,000 rows from 4 streams gave up after 24 retries of a chunk).
	// Queued behind each other, a chunk conflicts only with ordinary
	// writes. The lock is a session lock taken before the transaction
	// begins: a lock taken inside it would come after its snapshot, which
	// would then miss the chunk it waited for.
	err := withLock(ctx, s.pool, importLock, func(conn *pgxpool.Conn) error {
		for lo := 0; lo < len(ops); lo += importChunk {
			hi := min(lo+importChunk, len(ops))
			err := s.writeOn(ctx, conn, func(t *tx) error {
				return t.importOps(ops[lo:hi], out[lo:hi])
			})
			if err != nil {
				clear(out[lo:]) // that chunk was not committed
				return err
			}
		}
		return nil
	})
	return out, err
}

// importer is one chunk's staged state.
type importer struct {
	t     *tx
	links *links
	recs  map[string]herken.Customer // live customers as staged: read, created or updated
	taken map[string]bool            // ids that name something: not free for a new customer
	b     *pgx.Batch
}

// importOps applies ops in t, writing each op's result into out.
func (t *tx) importOps(ops []herken.ImportOp, out []herken.ImportOpResult) error {
	im := &importer{t: t, links: t.stageLinks(), recs: map[string]herken.Customer{}, taken: map[string]bool{}, b: &pgx.Batch{}}
	if err := im.preload(ops); err != nil {
		return err
	}
	for i, op := range ops {
		r, err := im.apply(op)
		if err != nil {
			return err
		}
		out[i] = r
	}
	im.links.commit(im.b)
	return t.send(im.b)
}

// preload reads in a few statements what the ops will look at: the
// holders of every key and every identifier a new customer lists, the
// records of the keys' holders and their identifiers' holders, and which
// new ids are taken.
func (im *importer) preload(ops []herken.ImportOp) error {
	var ids []identity.Identifier
	var newIDs []string
	for _, op := range ops {
		ids = append(append(ids, op.Key), identifiersOf(op.New)...)
		newIDs = append(newIDs, op.New.ID)
	}
	if err := im.links.load(ids...); err != nil {
		return err
	}
	var holders []string
	for _, op := range ops {
		if hs := im.links.read[op.Key]; len(hs) > 0 {
			holders = append(holders, hs[0])
		}
	}
	if err := im.loadRecords(holders); err != nil {
		return err
	}
	ids = ids[:0]
	for _, c := range im.recs {
		ids = append(ids, identifiersOf(c)...)
	}
	if err := im.links.load(ids...); err != nil {
		return err
	}
	rows, err := im.t.Query(im.t.ctx, `SELECT id FROM customers WHERE id = ANY($1) UNION ALL SELECT id FROM names WHERE id = ANY($1)`, newIDs)
	if err != nil {
		return err
	}
	var id string
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
		im.taken[id] = true
		return nil
	})
	return err
}

// loadRecords reads the records of the live customers ids names.
func (im *importer) loadRecords(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := im.t.Query(im.t.ctx, `SELECT data FROM customers WHERE id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	var data []byte
	_, err = pgx.ForEachRow(rows, []any{&data}, func() error {
		c, err := decode[herken.Customer](data)
		im.recs[c.ID] = c
		return err
	})
	return err
}

// apply decides one op and stages its writes; an error fails the chunk,
// an op's own failure is in its result.
func (im *importer) apply(op herken.ImportOp) (herken.ImportOpResult, error) {
	hs, err := im.links.holders(op.Key)
	if err != nil {
		return herken.ImportOpResult{}, err
	}
	if len(hs) == 0 {
		return im.create(op.New)
	}
	return im.update(hs[0], op.Update)
}

// create stages c as CreateCustomer stores it.
func (im *importer) create(c herken.Customer) (herken.ImportOpResult, error) {
	switch {
	case !herken.ValidID(c.ID):
		return herken.ImportOpResult{}, corrupt("customer id has the wrong shape")
	case im.taken[c.ID]:
		return herken.ImportOpResult{}, corrupt("customer id collision")
	}
	saved := maps.Clone(im.links.staged)
	for i, l := range c.Identifiers {
		if err := im.links.link(l.Identifier, c.ID, i); err != nil {
			im.links.staged = saved
			return opFailed(herken.ImportOpResult{Created: true}, err)
		}
	}
	im.t.putCustomer(im.b, nil, c)
	im.recs[c.ID], im.taken[c.ID] = c, true
	return herken.ImportOpResult{CustomerID: c.ID, Created: true, Changed: true}, nil
}

// update applies fn to the holder's record as UpdateCustomer does, and
// writes nothing when fn reports no change.
func (im *importer) update(id string, fn func(c *herken.Customer) (bool, error)) (herken.ImportOpResult, error) {
	old, ok := im.recs[id]
	if !ok {
		if err := im.loadRecords([]string{id}); err != nil {
			return herken.ImportOpResult{}, err
		}
		if old, ok = im.recs[id]; !ok {
			return herken.ImportOpResult{}, corrupt("identifier index names a missing customer")
		}
	}
	var changed bool
	next, err := editedCustomer(old, func(c *herken.Customer) error {
		var err error
		changed, err = fn(c)
		return err
	})
	switch {
	case err != nil:
		return herken.ImportOpResult{Err: err}, nil
	case !changed:
		return herken.ImportOpResult{CustomerID: id}, nil
	}
	saved := maps.Clone(im.links.staged)
	if err := im.links.relink(id, old, next); err != nil {
		im.links.staged = saved
		return opFailed(herken.ImportOpResult{}, err)
	}
	im.t.putCustomer(im.b, &old, next)
	im.recs[id] = next
	return herken.ImportOpResult{CustomerID: id, Changed: true}, nil
}

// opFailed is r with an *IdentifierError as the op's own error; any other
// error fails the chunk.
func opFailed(r herken.ImportOpResult, err error) (herken.ImportOpResult, error) {
	var ie *herken.IdentifierError
	if !errors.As(err, &ie) {
		return herken.ImportOpResult{}, err
	}
	r.Err = err
	return r, nil
}
