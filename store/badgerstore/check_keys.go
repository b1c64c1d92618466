package badgerstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// The integrity check's part for crypto-shredding (sealing.go): every
// record with personal data is sealed, under the key its customer's x/
// entry names; every live and merged customer has an x/ entry, and nothing
// else does; every key named is in the key file; the key file's slots read
// back; an erased customer's key is destroyed. The x/ entries sort after
// c/, g/, h/ and p/, so the main pass compares each with what the records
// were sealed under (custState.ref, mergeState.ref), and what has no x/
// entry is reported after the pass.

// openCheckKeys opens the key file of a store opened for checking. A store
// without one is checked as a plain (format 4) store, unless it is of a
// format that needs one.
func (s *Store) openCheckKeys(dir string) error {
	ok, err := keyFileExists(dir)
	if err != nil {
		return fmt.Errorf("badgerstore: key file: %w", err)
	}
	if ok {
		k, err := shred.Open(filepath.Join(dir, shred.FileName), shred.Options{ReadOnly: true})
		if err != nil {
			return fmt.Errorf("badgerstore: key file: %w", err)
		}
		s.keys = k
		return nil
	}
	var format string
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyFormat))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		format = string(v)
		return err
	})
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	if sealedFormat(format) {
		return fmt.Errorf("badgerstore: the key file of %s is missing: no sealed record can be read without it (restore it from the backup it was taken with)", dir)
	}
	s.plain = true
	return nil
}

// sealedOrReported reports a record with personal data at key that is not
// sealed, in a store that seals (a record that does not decode at all is
// reported as that instead).
func (c *checker) sealedOrReported(key []byte, sealed bool) {
	if !sealed && !c.txn.s.plain {
		c.problem(ProblemUnsealedRecord, "personal data in plain form", redactKey(key))
	}
}

// sealedUnder checks that an h/ or p/ record of customer cid that decoded
// is sealed (as ref, sealed from sealedRef), under the key its customer's
// record is sealed under, or under the key of a customer merged into it,
// directly or through others (a record keeps its origin's key when a merge
// moves it: tx.keptRef).
func (c *checker) sealedUnder(key []byte, cid string, ref shred.Ref, sealed bool) {
	c.sealedOrReported(key, sealed)
	if st, ok := c.customer(cid); ok && sealed && st.sealed && st.ref != ref && !c.mergedInto(ref, cid) {
		c.problem(ProblemKeyRefMismatch, "sealed under another data key than its customer's record or those of customers merged into it", redactKey(key))
	}
}

// mergedInto reports whether ref is the key of a customer merged into cid,
// directly or through others: its target is cid, or its survivor links
// pass cid (a broken chain or target is reported as such, once, not on
// every record it moved). A g/ record that did not decode is reported as
// such, and vouches for its key here.
func (c *checker) mergedInto(ref shred.Ref, cid string) bool {
	id, ok := c.mergedRefs[ref]
	if !ok {
		return false
	}
	m := c.merges[id]
	if m.undecodable || m.target == cid {
		return true
	}
	for steps := 0; steps <= len(c.merges); steps++ {
		if m.survivor == cid {
			return true
		}
		next, ok := c.merges[m.survivor]
		if !ok || next.undecodable {
			return next.undecodable
		}
		m = next
	}
	return false
}

// erasedSince reports whether the customer a record key names has been
// erased since the check's snapshot was taken (Check on a running store):
// its key was destroyed after the snapshot, which is no damage.
func (c *checker) erasedSince(key []byte) bool {
	cid := ownerOf(key)
	if cid == "" {
		return false
	}
	erased := false
	_ = c.txn.s.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(erasedKey(cid))
		erased = err == nil
		return nil
	})
	return erased
}

// ownerOf is the customer id in a c/, g/, h/, p/ or x/ key ("" for others).
func ownerOf(key []byte) string {
	switch prefixOf(key) {
	case prefixCustomer, prefixMerge, prefixKeyRef:
		return string(key[2:])
	case prefixHistory, prefixPromise:
		if k, ok := parseKey(key); ok {
			return k.cid
		}
	}
	return ""
}

// keyRef reads x/{customer}: a ref to a key the key file holds, of a live
// or merged customer whose records are sealed under it.
func (c *checker) keyRef(item *badger.Item) error {
	key := item.Key()
	id := string(key[len(prefixKeyRef):])
	if !herken.ValidID(id) {
		c.problem(ProblemMalformedKey, "not a customer id", redactKey(key))
		return nil
	}
	c.rep.Counts.KeyRefs++
	var ref shred.Ref
	var perr error
	if err := item.Value(func(v []byte) error { ref, perr = shred.ParseRef(v); return nil }); err != nil {
		return err
	}
	if perr != nil {
		c.undecodableRecord(key, errors.New("not a key reference"))
		return nil
	}
	if c.txn.s.keys != nil {
		switch err := c.txn.s.keys.Valid(ref); {
		case errors.Is(err, shred.ErrDamaged):
			// reported once per slot (keyFile)
		case err != nil && !c.erasedSince(key):
			c.problem(ProblemKeyDestroyed, "the customer's data key is not in the key file: its records cannot be read", string(key))
		}
	}
	st, live := c.customer(id)
	m, merged := c.merges[id]
	if live {
		st.hasRef = true
		c.customers[cidKey(id)] = st
		if st.sealed && st.ref != ref {
			c.problem(ProblemKeyRefMismatch, "the customer record is sealed under another data key", string(customerKey(id)), string(key))
		}
	}
	if merged {
		m.hasRef = true
		c.merges[cidKey(id)] = m
		if m.sealed && m.ref != ref {
			c.problem(ProblemKeyRefMismatch, "the merge record is sealed under another data key", string(mergeKey(id)), string(key))
		}
	}
	switch {
	case live || merged:
	case c.isErased(id):
		c.problem(ProblemErasedRemains, "the data-key record of an erased customer", string(key))
	case !c.orphans[id]: // orphaned records are reported as such, and need the key
		c.problem(ProblemKeyRefOrphan, "a data-key record of a customer that does not exist", string(key))
	}
	return nil
}

// orphanOwner notes an id that owns records but is no customer.
func (c *checker) orphanOwner(id string) {
	if c.orphans == nil {
		c.orphans = map[string]bool{}
	}
	c.orphans[cidKey(id)] = true
}

// erasedKeyLive reports an erased customer whose tombstone still names a
// key the key file holds: an erasure whose key destruction a crash
// interrupted (the next open destroys it).
func (c *checker) erasedKeyLive(item *badger.Item) error {
	if c.txn.s.keys == nil || item.ValueSize() == 0 {
		return nil
	}
	return item.Value(func(v []byte) error {
		if ref, err := shred.ParseRef(v); err == nil && c.txn.s.keys.Valid(ref) == nil {
			c.problem(ProblemErasedKeyLive, "the erased customer's data key is not destroyed yet: open the store once and it is", redactKey(item.Key()))
		}
		return nil
	})
}

// keyFile reports, after the main pass, the key file's damaged slots and
// the live and merged customers without an x/ entry.
func (c *checker) keyFile() {
	s := c.txn.s
	if s.plain {
		return
	}
	if s.keys != nil {
		for _, slot := range s.keys.Damaged() {
			c.problem(ProblemKeySlotDamaged, fmt.Sprintf("slot %d of the key file does not read back", slot), shred.FileName)
		}
	}
	// An erased id's record is reported as ERASED_REMAINS (its key is
	// meant to be gone).
	var missing []string
	for id, st := range c.customers {
		if !st.hasRef && !c.isErased(id) {
			missing = append(missing, string(customerKey(id)))
		}
	}
	for id, m := range c.merges {
		if !m.hasRef && !c.isErased(id) {
			missing = append(missing, string(mergeKey(id)))
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		c.problem(ProblemKeyRefMissing, "no x/ entry names the data key its records are sealed under", k)
	}
}

// parseIndexKey reads the part of an i/ key after "i/": the identifier's
// kind, and, for a readable key (a plain store's "{kind}:{value}"), the
// identifier; false when it is not the shape the store writes.
func (c *checker) parseIndexKey(k string) (identity.Kind, identity.Identifier, bool) {
	if c.txn.s.plain {
		id, ok := parsePlainIndexKey(k)
		return id.Kind, id, ok
	}
	if len(k) != 2+2*shred.IndexHashSize || k[1] != '#' || !isLowerHex(k[2:]) {
		return 0, identity.Identifier{}, false
	}
	kind, ok := kindByCode[k[0]]
	return kind, identity.Identifier{}, ok
}

// exclusive reports whether the identifier of the i/ entry rest (after
// "i/") may not be shared. A hashed key tells the kind only; for a social
// handle, shareable or not by platform, the holders' records tell
// (known false when none of them lists it: the pairs family reports that).
func (c *checker) exclusive(kind identity.Kind, id identity.Identifier, rest string, holders []string) (excl, known bool, err error) {
	if !id.IsZero() {
		return !id.Shareable(), true, nil
	}
	switch kind {
	case identity.KindPhone, identity.KindEmail, identity.KindPostalAddress:
		return false, true, nil
	case identity.KindSocial:
	default:
		return true, true, nil
	}
	for _, h := range holders {
		cu, ok, err := c.getCustomer(h)
		if err != nil {
			return false, false, err
		}
		if !ok {
			continue
		}
		i := slices.IndexFunc(cu.Identifiers, func(l herken.LinkedIdentifier) bool {
			return l.Kind.Valid() && c.txn.s.indexName(l.Identifier) == rest
		})
		if i >= 0 {
			return !cu.Identifiers[i].Shareable(), true, nil
		}
	}
	return false, false, nil
}
