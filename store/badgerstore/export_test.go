package badgerstore

import badger "github.com/dgraph-io/badger/v4"

// DB gives this package's external tests the database, to damage a store on
// purpose; no other package can reach it.
func DB(s *Store) *badger.DB { return s.db }
