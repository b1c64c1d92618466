package badgerstore

import (
	"encoding/binary"
	"encoding/hex"
	"math"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken"
)

// The integrity check's part for the audit trail (audit.go): every l/
// record decodes, matches its key, and has its v/ entry, and every v/ entry
// has its l/ record. Audit keys may name any id (erased ones included:
// erasure keeps the trail), so none of the lifecycle rules apply to them.
// The two sides are compared as one more digest pair (16 bytes whatever the
// trail's size) and re-scanned only when they differ.

// ProblemAuditIndexMismatch: v/ disagrees with l/.
const ProblemAuditIndexMismatch = "AUDIT_INDEX_MISMATCH"

// auditCheck is what the check keeps of the trail.
type auditCheck struct {
	records, index digest // v/ keys the l/ records imply; v/ keys found
}

// auditAgeOf is the v/ key an l/ key implies: the {newest} part turned
// back into the {time} part (from the key alone, so a record that does not
// decode still has, and needs, its entry).
func auditAgeOf(k keyParts) ([]byte, bool) {
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(k.at)); err != nil {
		return nil, false
	}
	binary.BigEndian.PutUint64(b[:], uint64(math.MaxInt64)-binary.BigEndian.Uint64(b[:]))
	return []byte(prefixAuditAge + hex.EncodeToString(b[:]) + "/" + k.cid + "/" + k.id), true
}

// auditLogOf is the l/ key a v/ key implies.
func auditLogOf(k keyParts) ([]byte, bool) {
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(k.at)); err != nil {
		return nil, false
	}
	binary.BigEndian.PutUint64(b[:], uint64(math.MaxInt64)-binary.BigEndian.Uint64(b[:]))
	return []byte(prefixAudit + k.cid + "/" + hex.EncodeToString(b[:]) + "/" + k.id), true
}

// auditRecord reads l/{customer}/{newest}/{record}.
func (c *checker) auditRecord(item *badger.Item) error {
	key := item.Key()
	k, ok := parseKey(key)
	age, aok := auditAgeOf(k)
	if !ok || !aok {
		c.problem(ProblemMalformedKey, "not l/{customer}/{newest}/{record}", redactKey(key))
		return nil
	}
	c.rep.Counts.AuditRecords++
	c.add(&c.audit.records, string(age))
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
	c.add(&c.audit.index, string(key))
}

// auditReconcile names the l/ records without their v/ entry and the v/
// entries without their record, when the two sides' digests differ.
func (c *checker) auditReconcile() error {
	if c.audit.records == c.audit.index {
		return nil
	}
	named := false
	pair := func(prefix string, other func(keyParts) ([]byte, bool), detail string) error {
		return c.scan(prefix, func(item *badger.Item) error {
			k, ok := parseKey(item.Key())
			want, wok := other(k)
			if !ok || !wok {
				return nil // reported as malformed by the main pass
			}
			found, err := c.exists(want)
			if err != nil || found {
				return err
			}
			named = true
			c.problem(ProblemAuditIndexMismatch, detail, string(item.Key()), string(want))
			return nil
		})
	}
	if err := pair(prefixAudit, auditAgeOf, "an audit record without its time index entry"); err != nil {
		return err
	}
	if err := pair(prefixAuditAge, auditLogOf, "an audit time index entry without its record"); err != nil {
		return err
	}
	if !named {
		c.problem(ProblemIndexDigestMismatch, ProblemAuditIndexMismatch+": the index and its records disagree, but no single key could be named")
	}
	return nil
}
