package badgerstore

import (
	"encoding/hex"
	"math"
	"time"

	"github.com/herken/herken/identity"
)

// Key layout. Every key herken writes is listed here; nothing else builds keys.
//
//	m/format                     store format version (uint32 decimal); written once
//	c/{customer}                 CustomerRecord
//	i/{kind}:{canonical}         IndexRecord: the holders of one identifier, in link order
//	                             ({kind} is one byte: p phone, e email, s social,
//	                             x external id, a postal address)
//	h/{customer}/{interaction}   InteractionRecord; {interaction} is 16 hex digits
//	                             of (MaxInt64 - occur time in ns) and 8 hex random
//	                             digits, so a prefix scan over h/{customer}/ reads
//	                             newest first and stops after the limit
//	r/{request_id}               RequestRecord, with a Badger TTL (idempotency)
//
// Customer ids are 16 lowercase base32 characters (identity.ValidID), so
// "h/{customer}/" never prefixes another customer's keys.
const (
	prefixMeta        = "m/"
	prefixCustomer    = "c/"
	prefixIndex       = "i/"
	prefixHistory     = "h/"
	prefixRequest     = "r/"
	keyFormat         = prefixMeta + "format"
	currentFormat     = "1"
	interactionIDSize = 24
)

func customerKey(id string) []byte { return []byte(prefixCustomer + id) }

func indexKey(id identity.Identifier) []byte { return []byte(prefixIndex + id.Key()) }

func historyPrefix(customerID string) []byte {
	return []byte(prefixHistory + customerID + "/")
}

func historyKey(customerID, interactionID string) []byte {
	return []byte(prefixHistory + customerID + "/" + interactionID)
}

func requestKey(requestID string) []byte { return []byte(prefixRequest + requestID) }

// newInteractionID makes an id that sorts newest first under its customer.
func newInteractionID(occur time.Time, random uint32) string {
	var b [12]byte
	rev := uint64(math.MaxInt64 - occur.UnixNano())
	for i := 0; i < 8; i++ {
		b[i] = byte(rev >> (56 - 8*i))
	}
	b[8], b[9], b[10], b[11] = byte(random>>24), byte(random>>16), byte(random>>8), byte(random)
	return hex.EncodeToString(b[:])
}

// ValidInteractionID reports whether id has the shape newInteractionID makes.
func ValidInteractionID(id string) bool {
	if len(id) != interactionIDSize {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
