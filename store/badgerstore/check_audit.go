package badgerstore

import (
	"fmt"
	"math"
	"strconv"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken"
)

// The integrity check's part for the audit trail (audit.go): every l/
// record decodes, matches its key, and has its v/ entry, and every v/ entry
// has its l/ record — one more family (famAudit) of the check's digests,
// localised only when its two sides differ. Audit keys may name any id
// (erased ones included: erasure keeps the trail), so none of the
// lifecycle rules apply to them.

// ProblemAuditIndexMismatch: v/ disagrees with l/.
const ProblemAuditIndexMismatch = "AUDIT_INDEX_MISMATCH"

// flipTime turns the {newest} part of a key into the {time} part and back
// (math.MaxInt64 minus the value, as newestHex writes it); at is 16
// lowercase hex digits (parseKey checked it).
func flipTime(at string) string {
	v, _ := strconv.ParseUint(at, 16, 64)
	return fmt.Sprintf("%016x", uint64(math.MaxInt64)-v)
}

// auditAgeOf is the v/ key an l/ key implies (from the key alone, so a
// record that does not decode still has, and needs, its entry).
func auditAgeOf(k keyParts) []byte {
	return []byte(prefixAuditAge + flipTime(k.at) + "/" + k.cid + "/" + k.id)
}

// auditLogOf is the l/ key a v/ key implies.
func auditLogOf(k keyParts) []byte {
	return []byte(prefixAudit + k.cid + "/" + flipTime(k.at) + "/" + k.id)
}

// auditRecord reads l/{customer}/{newest}/{record}.
func (c *checker) auditRecord(item *badger.Item) error {
	key := item.Key()
	k, ok := parseKey(key)
	if !ok {
		c.problem(ProblemMalformedKey, "not l/{customer}/{newest}/{record}", redactKey(key))
		return nil
	}
	c.rep.Counts.AuditRecords++
	c.add(&c.records[famAudit], string(auditAgeOf(k)))
	var (
		r    herken.AuditRecord
		derr error
	)
	if err := item.Value(func(v []byte) error { r, derr = decodeAudit(v); return nil }); err != nil {
		return err
	}
	switch {
	case derr != nil:
		c.undecodableRecord(key, derr)
	case r.ID != k.id || r.CustomerID != k.cid:
		c.problem(ProblemRecordKeyMismatch, "the audit record's customer or id differs from its key", string(key))
	case newestHex(r.Time) != k.at:
		c.problem(ProblemIDTimeMismatch, "the key does not encode the audit record's time (trail order is wrong)", string(key))
	case r.Action < herken.AuditRead || r.Action > herken.AuditErase:
		c.problem(ProblemUndecodableRecord, "an audit record with an unknown action", string(key))
	}
	return nil
}

// auditAgeEntry reads v/{time}/{customer}/{record}.
func (c *checker) auditAgeEntry(key []byte) {
	if _, ok := parseKey(key); !ok {
		c.problem(ProblemMalformedKey, "not v/{time}/{customer}/{record}", redactKey(key))
		return
	}
	c.rep.Counts.AuditTimeIndex++
	c.add(&c.index[famAudit], string(key))
}

// localiseAudit names the l/ records without their v/ entry and the v/
// entries without their record.
func (c *checker) localiseAudit() error {
	pair := func(prefix string, other func(keyParts) []byte, detail string) error {
		return c.scan(prefix, func(item *badger.Item) error {
			k, ok := parseKey(item.Key())
			if !ok {
				return nil // reported as malformed by the main pass
			}
			want := other(k)
			found, err := c.exists(want)
			if err == nil && !found {
				c.problem(ProblemAuditIndexMismatch, detail, string(item.Key()), string(want))
			}
			return err
		})
	}
	if err := pair(prefixAudit, auditAgeOf, "an audit record without its time index entry"); err != nil {
		return err
	}
	return pair(prefixAuditAge, auditLogOf, "an audit time index entry without its record")
}
