package badgerstore

import badger "github.com/dgraph-io/badger/v4"

// DB gives this package's external tests the database, to damage a store on
// purpose; no other package can reach it.
func DB(s *Store) *badger.DB { return s.db }

// testUpdate runs fn in one read-write transaction, as the store's own
// functions see one: no retry, no free-space check.
func (s *Store) testUpdate(fn func(txn *tx) error) error { return s.db.Update(s.wrap(fn)) }

// testView runs fn in one read-only transaction.
func (s *Store) testView(fn func(txn *tx) error) error { return s.db.View(s.wrap(fn)) }

// sealAsNew makes records written for id in txn sealed under a fresh key
// that no x/ entry names: the damage tests write records of customers that
// are not live (erased, or never there), which a working store would have
// sealed under a key of their own.
func sealAsNew(txn *tx, id string) error {
	r, err := txn.s.keys.Alloc()
	if err != nil {
		return err
	}
	txn.cacheRef(id, r)
	return nil
}

// giveKey gives id a data key of its own (x/), as CreateCustomer does.
func giveKey(txn *tx, id string) error {
	r, err := txn.s.keys.Alloc()
	if err != nil {
		return err
	}
	return txn.setRef(id, r)
}
