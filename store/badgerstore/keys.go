package badgerstore

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// Key layout. Every key herken writes is listed here, and built by the
// functions below (scans also build seek and stop bounds inside a prefix).
//
//	m/format                     store format version (decimal); "2" since customer
//	                             records carry recent copies and counts (Open
//	                             migrates a "1" store)
//	c/{customer}                 CustomerRecord
//	i/{kind}:{canonical}         IndexRecord: the holders of one identifier, in link order
//	                             ({kind} is one byte: p phone, e email, s social,
//	                             x external id, a postal address)
//	h/{customer}/{interaction}   InteractionRecord; {interaction} is 16 hex digits
//	                             of (MaxInt64 - occur time in ns) and 8 hex random
//	                             digits, so a prefix scan over h/{customer}/ reads
//	                             newest first and stops after the limit
//	r/{request_id}               RequestRecord, with a Badger TTL (idempotency)
//	m/secret                     32 random bytes: the HMAC key of page tokens
//	p/{customer}/{promise}       PromiseRecord; {promise} is 16 hex digits of the
//	                             due time in ns and 8 hex random digits, so a
//	                             customer's promises read by due time
//	n/{customer}/{promise}       (empty) the customer's OPEN promises
//	d/{due}/{customer}/{promise} (empty) OPEN promises of all customers by due
//	                             time ({due}: 16 hex digits, ns): the team
//	                             lead's list and the sweeper read this
//	o/{owner}/{due}/{customer}/{promise}
//	                             (empty) OPEN promises by owner, then due time
//	t/{occur}/{customer}/{interaction}
//	                             (empty) every interaction by occur time, oldest
//	                             first: the retention sweeper reads this
//	f/{submit}/{customer}/{interaction}
//	                             (empty) interactions whose feedback awaits an
//	                             answer, oldest submission first
//
// The n/, d/ and o/ entries exist exactly while the promise is OPEN; t/ exactly
// while the interaction exists; f/ exactly while its feedback is unanswered.
// Owners cannot contain '/', so o/{owner}/ never prefixes another owner's keys.
//
// Customer ids are 16 lowercase base32 characters (herken.ValidID), so
// "h/{customer}/" never prefixes another customer's keys.
const (
	prefixMeta     = "m/"
	prefixCustomer = "c/"
	prefixIndex    = "i/"
	prefixHistory  = "h/"
	prefixRequest  = "r/"
	prefixPromise  = "p/"
	prefixOpen     = "n/"
	prefixDue      = "d/"
	prefixOwner    = "o/"
	prefixTime     = "t/"
	prefixFeedback = "f/"
	keySecret      = prefixMeta + "secret"
	keyFormat      = prefixMeta + "format"
	currentFormat  = "2" // 2: customer records carry recent copies and counts
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
	binary.BigEndian.PutUint64(b[:8], uint64(math.MaxInt64-occur.UnixNano()))
	binary.BigEndian.PutUint32(b[8:], random)
	return hex.EncodeToString(b[:])
}

// timeHex is a time as 16 hex digits of Unix nanoseconds: fixed width, so
// keys sort by time. Times before 1970 never reach a key (validated).
func timeHex(t time.Time) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano()))
	return hex.EncodeToString(b[:])
}

func promiseKey(customerID, promiseID string) []byte {
	return []byte(prefixPromise + customerID + "/" + promiseID)
}

func promisePrefix(customerID string) []byte { return []byte(prefixPromise + customerID + "/") }

func openKey(customerID, promiseID string) []byte {
	return []byte(prefixOpen + customerID + "/" + promiseID)
}

func openPrefix(customerID string) []byte { return []byte(prefixOpen + customerID + "/") }

func dueKey(p herken.Promise) []byte {
	return []byte(prefixDue + timeHex(p.DueTime) + "/" + p.CustomerID + "/" + p.ID)
}

func ownerPrefix(owner string) []byte { return []byte(prefixOwner + owner + "/") }

func ownerKey(p herken.Promise) []byte {
	return []byte(prefixOwner + p.Owner + "/" + timeHex(p.DueTime) + "/" + p.CustomerID + "/" + p.ID)
}

func timeKey(in herken.Interaction) []byte {
	return []byte(prefixTime + timeHex(in.OccurTime) + "/" + in.CustomerID + "/" + in.ID)
}

func feedbackKey(in herken.Interaction) []byte {
	return []byte(prefixFeedback + timeHex(in.Feedback.SubmitTime) + "/" + in.CustomerID + "/" + in.ID)
}

// splitTail returns the last two '/'-separated parts of key: the customer
// and record ids at the end of every index key.
func splitTail(key []byte) (customerID, id string, ok bool) {
	s := string(key)
	j := strings.LastIndexByte(s, '/')
	if j < 0 {
		return "", "", false
	}
	i := strings.LastIndexByte(s[:j], '/')
	if i < 0 {
		return "", "", false
	}
	return s[i+1 : j], s[j+1:], true
}

// newPromiseID makes an id that sorts by due time under its customer.
func newPromiseID(due time.Time, random uint32) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(due.UnixNano()))
	binary.BigEndian.PutUint32(b[8:], random)
	return hex.EncodeToString(b[:])
}
