package badgerstore

import (
	"errors"
	"slices"
	"sort"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// The integrity check's part for the customer lifecycle (keys.go: listing,
// merges, erasures). The main pass in key order sees a/ b/ c/ d/ before
// e/, and everything else after it: so keys after e/ that name an erased id
// are reported as they are read, and c/, a/, b/ and d/ afterwards (c/ from
// the customers seen, the index families when they are localised). What it
// keeps in memory grows with merged and erased customers (an id and two
// more per merge, an id per erasure) and with identifiers that came with a
// merge.

// mergeState is what the check keeps of one g/ record.
type mergeState struct {
	survivor, target string
	undecodable      bool
	sealed, hasRef   bool      // the record is sealed, under ref; an x/ entry names a key
	ref              shred.Ref // the key the record is sealed under
}

// mergedFromRef is one identifier whose merged_from is set.
type mergedFromRef struct {
	holder, from string
	kind         identity.Kind
}

// customerIndexFamily is the family of one of customerIndexKeys' keys.
func customerIndexFamily(k []byte) family {
	switch prefixOf(k) {
	case prefixTag:
		return famTag
	case prefixTagTime:
		return famTagTime
	case prefixUpdate:
		return famUpdate
	}
	return famName
}

func (c *checker) isMerged(id string) bool {
	_, ok := c.merges[id]
	return ok
}

func (c *checker) isErased(id string) bool {
	_, ok := c.erased[id]
	return ok
}

// erasedInKey reports a key (parsed into k) that names an erased customer,
// as its customer or, in b/, as its merged name. Keys sorting before e/
// are read before any erased id is known, and are caught when their family
// is localised (erasedLate).
func (c *checker) erasedInKey(key []byte, k keyParts) {
	if c.isErased(k.cid) || prefixOf(key) == prefixTarget && c.isErased(k.id) {
		c.problem(ProblemErasedRemains, "the key names an erased customer", redactKey(key))
	}
}

// erasedLate reports whether a key names an erased customer; if the main
// pass read it before the erased ids (it sorts before e/), it reports it
// now. Localisers skip such keys either way.
func (c *checker) erasedLate(key []byte, k keyParts) bool {
	if !c.isErased(k.cid) && !(prefixOf(key) == prefixTarget && c.isErased(k.id)) {
		return false
	}
	if string(key[:2]) < prefixErased {
		c.problem(ProblemErasedRemains, "the key names an erased customer", redactKey(key))
	}
	return true
}

// erasedEntry reads e/{customer}: its data key is destroyed.
func (c *checker) erasedEntry(item *badger.Item) error {
	key := item.Key()
	id := string(key[len(prefixErased):])
	if !herken.ValidID(id) {
		c.problem(ProblemMalformedKey, "not an erased customer id", redactKey(key))
		return nil
	}
	c.rep.Counts.Erased++
	c.erased[cidKey(id)] = false
	return c.erasedKeyLive(item)
}

// journalEntry reads k/{erase}/{customer}: it names an erased id.
func (c *checker) journalEntry(key []byte) {
	k, ok := parseKey(key)
	if !ok {
		c.problem(ProblemMalformedKey, "not k/{erase}/{customer}", redactKey(key))
		return
	}
	c.rep.Counts.ErasureJournal++
	if !c.isErased(k.cid) {
		c.problem(ProblemJournalMismatch, "the journal names a customer that is not erased", string(key))
		return
	}
	c.erased[cidKey(k.cid)] = true
}

// mergeRecord reads g/{merged}: it decodes, matches its key, is not of an
// erased id, and adds its target's b/ entry to its family.
func (c *checker) mergeRecord(item *badger.Item) error {
	key := item.Key()
	id := string(key[len(prefixMerge):])
	if !herken.ValidID(id) {
		c.problem(ProblemMalformedKey, "not a merged customer id", redactKey(key))
		return nil
	}
	c.rep.Counts.MergeRecords++
	var (
		m      mergeRec
		derr   error
		ref    shred.Ref
		sealed bool
	)
	if err := item.Value(func(v []byte) error {
		ref, sealed = sealedRef(v)
		m, derr = decodeMergeRecord(c.txn, id, key, v)
		return nil
	}); err != nil {
		return err
	}
	if derr != nil {
		c.noteMerge(id, mergeState{undecodable: true, sealed: sealed, ref: ref})
		c.undecodableRecord(key, derr)
		return nil
	}
	c.sealedOrReported(key, sealed)
	if c.isErased(id) {
		c.problem(ProblemErasedRemains, "the merge record of an erased customer", string(key))
	}
	if m.Merged.ID != id {
		c.problem(ProblemRecordKeyMismatch, "the record's merged customer differs from its key", string(key))
	}
	if !herken.ValidID(m.target) || !herken.ValidID(m.SurvivorID) {
		c.problem(ProblemUndecodableRecord, "the target or survivor id has the wrong shape", string(key))
		c.noteMerge(id, mergeState{undecodable: true, sealed: sealed, ref: ref})
		return nil
	}
	c.noteMerge(id, mergeState{survivor: m.SurvivorID, target: m.target, sealed: sealed, ref: ref})
	c.add(&c.records[famTarget], string(targetKey(m.target, id)))
	return nil
}

// noteMerge records the g/ record of id, and the data key of id: its x/
// entry and the key the record is sealed under (when they differ, keyRef
// reports it, once). Records moved by a merge keep their origin's key
// (sealedUnder).
func (c *checker) noteMerge(id string, st mergeState) {
	c.merges[cidKey(id)] = st
	note := func(r shred.Ref) {
		if c.mergedRefs == nil {
			c.mergedRefs = map[shred.Ref]string{}
		}
		c.mergedRefs[r] = cidKey(id)
	}
	if st.sealed {
		note(st.ref)
	}
	if r, found, err := c.txn.readRef(id); err == nil && found {
		note(r)
	}
}

// lifecycle checks, after the main pass, what needs every key seen: merge
// pointers and chains, merged_from, and that no erased id has a record or
// lacks a journal entry.
func (c *checker) lifecycle() {
	merged := slices.Sorted(func(yield func(string) bool) {
		for id := range c.merges {
			if !yield(id) {
				return
			}
		}
	})
	for _, id := range merged {
		st := c.merges[id]
		key := string(mergeKey(id))
		if _, live := c.customers[id]; live {
			c.problem(ProblemMergedLive, "a merged customer still has a customer record", key, string(customerKey(id)))
		}
		if st.undecodable {
			continue
		}
		if _, live := c.customers[st.target]; !live {
			detail := "the target is not a customer"
			switch {
			case c.isMerged(st.target):
				detail = "the target was merged away itself: the pointer is not flat"
			case c.isErased(st.target):
				detail = "the target was erased"
			}
			c.problem(ProblemMergeTargetNotLive, detail, key, customerRef(st.target))
		}
		c.walkChain(id, st)
	}
	for _, r := range c.mergedFrom {
		st, ok := c.merges[r.from]
		switch {
		case !ok:
			c.problem(ProblemMergedFromMismatch, "identifier kind "+r.kind.String()+": merged_from names no merged customer",
				string(customerKey(r.holder)), customerRef(r.from))
		case !st.undecodable && st.survivor != r.holder:
			c.problem(ProblemMergedFromMismatch, "identifier kind "+r.kind.String()+": merged_from names a customer merged into another",
				string(customerKey(r.holder)), string(mergeKey(r.from)))
		}
	}
	erased := make([]string, 0, len(c.erased))
	for id := range c.erased {
		erased = append(erased, id)
	}
	sort.Strings(erased)
	for _, id := range erased {
		if _, live := c.customers[id]; live {
			c.problem(ProblemErasedRemains, "an erased customer has a customer record", string(customerKey(id)))
		}
		if !c.erased[id] {
			c.problem(ProblemJournalMismatch, "the erased customer has no journal entry", string(erasedKey(id)))
		}
	}
}

// walkChain follows the survivor links from the merged name id: through
// merged names, without a cycle, to a live customer, which must be the
// target.
func (c *checker) walkChain(id string, st mergeState) {
	key := string(mergeKey(id))
	seen := map[string]bool{id: true}
	for cur := st.survivor; ; {
		next, merged := c.merges[cur]
		_, live := c.customers[cur]
		switch {
		case merged && seen[cur]:
			c.problem(ProblemMergeChainBroken, "the survivor links form a cycle", key)
			return
		case merged && next.undecodable:
			return // reported as UNDECODABLE_RECORD
		case merged: // also live: reported as MERGED_CUSTOMER_LIVE
			seen[cur] = true
			cur = next.survivor
		case !live:
			c.problem(ProblemMergeChainBroken, "the survivor links lead to a customer that does not exist", key, customerRef(cur))
			return
		case cur != st.target:
			c.problem(ProblemMergeChainBroken, "the survivor links lead to another customer than the target", key, customerRef(cur))
			return
		default:
			return
		}
	}
}

// localiseCustomerIndexes names the customers whose a/ w/ u/ or s/
// entries are missing, and the entries no customer implies.
func (c *checker) localiseCustomerIndexes(differs [famCount]bool) error {
	kinds := map[family]string{famTag: ProblemTagIndexMismatch, famTagTime: ProblemTagIndexMismatch,
		famUpdate: ProblemUpdateIndexMismatch, famName: ProblemNameIndexMismatch}
	err := c.scan(prefixCustomer, func(item *badger.Item) error {
		id := string(item.Key()[len(prefixCustomer):])
		if !herken.ValidID(id) {
			return nil
		}
		cu, ok, err := c.getCustomer(id)
		if err != nil || !ok {
			return err
		}
		cu.ID = id
		for _, k := range c.txn.s.customerIndexKeys(cu) {
			f := customerIndexFamily(k)
			if !differs[f] {
				continue
			}
			if found, err := c.exists(k); err != nil {
				return err
			} else if !found {
				c.problem(kinds[f], "the customer has no "+string(k[:2])+" entry for its record", string(item.Key()), redactKey(k))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range []family{famTag, famTagTime, famUpdate, famName} {
		if !differs[f] {
			continue
		}
		prefix := map[family]string{famTag: prefixTag, famTagTime: prefixTagTime, famUpdate: prefixUpdate, famName: prefixName}[f]
		err := c.scan(prefix, func(item *badger.Item) error {
			key := item.Key()
			k, ok := parseKey(key)
			if !ok || c.erasedLate(key, k) {
				return nil // reported as MALFORMED_KEY or ERASED_REMAINS
			}
			if st, ok := c.customer(k.cid); ok && st.undecodable {
				return nil // reported as UNDECODABLE_RECORD
			}
			cu, found, err := c.getCustomer(k.cid)
			switch {
			case err != nil:
				return err
			case !found:
				c.problem(kinds[f], "names a customer that does not exist", redactKey(key))
			case !containsKey(c.txn.s.customerIndexKeys(cu), key):
				c.problem(kinds[f], "the customer's record implies no such entry", redactKey(key))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// localiseTargets names the g/ records without their b/ entry, and the b/
// entries that name no g/ record with that target.
func (c *checker) localiseTargets() error {
	err := c.scan(prefixMerge, func(item *badger.Item) error {
		id := string(item.Key()[len(prefixMerge):])
		st, ok := c.merges[id]
		if !ok || st.undecodable {
			return nil
		}
		if found, err := c.exists(targetKey(st.target, id)); err != nil || found {
			return err
		}
		c.problem(ProblemTargetIndexMismatch, "the merge record has no b/ entry for its target", string(item.Key()))
		return nil
	})
	if err != nil {
		return err
	}
	return c.scan(prefixTarget, func(item *badger.Item) error {
		key := item.Key()
		k, ok := parseKey(key)
		if !ok || c.erasedLate(key, k) {
			return nil
		}
		st, ok := c.merges[k.id]
		switch {
		case !ok:
			c.problem(ProblemTargetIndexMismatch, "names a merged customer without a merge record", string(key))
		case !st.undecodable && st.target != k.cid:
			c.problem(ProblemTargetIndexMismatch, "the merge record has another target", string(key))
		}
		return nil
	})
}

// localiseRequests names the r/ records without their y/ entry, and the
// y/ entries whose r/ record is gone or names another customer.
func (c *checker) localiseRequests() error {
	err := c.scan(prefixRequest, func(item *badger.Item) error {
		rid := string(item.Key()[len(prefixRequest):])
		var cid string
		ok := false
		if err := item.Value(func(v []byte) error { cid, ok = requestCustomer(v); return nil }); err != nil {
			return err
		}
		if !ok || !herken.ValidID(cid) {
			return nil // reported as UNDECODABLE_RECORD
		}
		if found, err := c.exists(requestIndexKey(cid, rid)); err != nil || found {
			return err
		}
		c.problem(ProblemRequestIndexMismatch, "the request record has no y/ entry", redactKey(item.Key()))
		return nil
	})
	if err != nil {
		return err
	}
	return c.scan(prefixReqIndex, func(item *badger.Item) error {
		key := item.Key()
		k, ok := parseKey(key)
		if !ok || c.erasedLate(key, k) {
			return nil
		}
		rid := key[len(requestIndexPrefix(k.cid)):]
		r, err := c.txn.Get(requestKey(string(rid)))
		if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		var cid string
		decoded := true
		if err == nil {
			if err := r.Value(func(v []byte) error { cid, decoded = requestCustomer(v); return nil }); err != nil {
				return err
			}
		}
		if decoded && cid != k.cid { // an undecodable record is reported as such
			c.problem(ProblemRequestIndexMismatch, "names a request record that is gone or names another customer", redactKey(key))
		}
		return nil
	})
}
