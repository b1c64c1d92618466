package badgerstore

import (
	"context"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken"
)

// sealedV5 is the format before the display-name index kept to words:
// sealed like format 6, its s/ index holds every prefix from each word's
// start across the words after it (herken.NamePrefixes before format 6).
const sealedV5 = "5"

// migratingV5 is stamped while migrateV5 runs: a build before format 6
// refuses it (it would search a half-rebuilt index), this one resumes.
const migratingV5 = "5-6"

// sealedFormat reports whether a store of format f seals its records (and
// so cannot be read without its key file).
func sealedFormat(f string) bool { return f == sealedV5 || f == migratingV5 || f == currentFormat }

// migrateV5 upgrades a format-5 store to format 6: the display-name index
// gets one key per prefix of each word (herken.NamePrefixes), a third of
// what prefixes across words took for a Dutch name with a tussenvoegsel. It
// deletes every s/ key, then writes every live customer's again from its
// record. It stamps migratingV5 first, which older builds refuse, and the
// new format last: an interrupted run starts over at the next open, and
// nothing is ever served from a half-rebuilt index. It
// reads every customer record once: about a minute per million customers.
func (s *Store) migrateV5() error {
	ctx := context.Background()
	start := time.Now()
	s.log.Info("migrating store format 5 to 6: rebuilding the display-name index by word (one-time)")
	if err := s.stamp(migratingV5); err != nil {
		return err
	}
	removed, err := s.migratePrefix(ctx, prefixName, func(_ *tx, item *badger.Item) (*badger.Entry, []byte, error) {
		return nil, item.KeyCopy(nil), nil
	})
	if err != nil {
		return err
	}
	customers, err := s.migratePrefix(ctx, prefixCustomer, func(txn *tx, item *badger.Item) (*badger.Entry, []byte, error) {
		id := strings.TrimPrefix(string(item.Key()), prefixCustomer)
		rec, err := liveCustomerRec(txn, id)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range herken.NamePrefixes(rec.DisplayName) {
			if err := txn.Set(s.namePrefixKey(p, id), nil); err != nil {
				return nil, nil, err
			}
		}
		return nil, nil, nil
	})
	if err != nil {
		return err
	}
	if err := s.stamp(currentFormat); err != nil {
		return err
	}
	s.log.Info("store migration finished", "name_keys_removed", removed, "customers_reindexed", customers,
		"took", time.Since(start).Round(time.Millisecond).String())
	return nil
}
