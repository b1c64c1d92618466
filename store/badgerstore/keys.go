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
// Ids (customer, interaction, promise) are the domain's opaque ids
// (herken.ValidID: lowercase letters and digits, never '/'); {time} parts
// are 16 hex digits of Unix nanoseconds, so keys sort by time.
//
//	m/format                     store format version (decimal); "4" since
//	                             customers are listed, merged and erased (Open
//	                             migrates "1", "2" and "3" stores)
//	c/{customer}                 CustomerRecord
//	i/{kind}:{canonical}         IndexRecord: the holders of one identifier, in link order
//	                             ({kind} is one byte: p phone, e email, s social,
//	                             x external id, a postal address; identifierKey)
//	h/{customer}/{newest}/{interaction}
//	                             InteractionRecord; {newest} is 16 hex digits of
//	                             (MaxInt64 - occur time in ns), so a prefix scan
//	                             over h/{customer}/ reads newest first (ties by
//	                             id) and stops after the limit
//	j/{customer}/{interaction}   the {newest} part of the interaction's h/ key:
//	                             finds an interaction by id
//	r/{request_id}               RequestRecord, with a Badger TTL (idempotency)
//	m/secret                     32 random bytes: the HMAC key of page tokens
//	p/{customer}/{due}/{promise} PromiseRecord: a customer's promises by due time
//	q/{customer}/{promise}       the {due} part of the promise's p/ key: finds a
//	                             promise by id
//	n/{customer}/{due}/{promise} (empty) the customer's OPEN promises by due time
//	d/{due}/{customer}/{promise} (empty) OPEN promises of all customers by due
//	                             time: the team lead's list and the sweeper read this
//	o/{owner}/{due}/{customer}/{promise}
//	                             (empty) OPEN promises by owner, then due time
//	t/{occur}/{customer}/{interaction}
//	                             (empty) every interaction by occur time, oldest
//	                             first: the retention sweeper reads this
//	f/{submit}/{customer}/{interaction}
//	                             (empty) interactions whose feedback awaits an
//	                             answer, oldest submission first
//	y/{customer}/{request_id}    (empty) the r/ records naming a customer (their
//	                             result id's customer part), with the same
//	                             expiry: erasure finds them here
//
// Listing customers (ListCustomers), for live customers only:
//
//	a/{tag}/{customer}           (empty) customers by tag, then id
//	w/{tag}/{update}/{customer}  (empty) customers by tag, then update time
//	                             and id: a tag with updated-since in its order
//	u/{update}/{customer}        (empty) customers by update time, then id
//	s/{name}/{customer}          (empty) one per herken.NamePrefixes of the
//	                             display name; {name} is built by
//	                             namePrefixKey only (today the prefix's hex)
//
// Merges and erasures:
//
//	g/{merged}                   MergeRecord: herken.MergeRecord of a customer
//	                             merged away and not unmerged, and its flat
//	                             target, the live customer its name resolves to
//	b/{target}/{merged}          (empty) the merged names whose target is
//	                             {target}: a merge or unmerge re-points them
//	e/{customer}                 erased tombstone (no personal data): the id
//	                             answers CUSTOMER_ERASED for good
//	k/{erase}/{customer}         (empty) the erasure journal, by erase time:
//	                             what a restored backup must erase again
//
// j/ exists exactly while its h/ record does, q/ while its p/ record does;
// the n/, d/ and o/ entries exactly while the promise is OPEN; t/ exactly
// while the interaction exists; f/ exactly while its feedback is
// unanswered; y/ exactly while its r/ record does (both carry the same
// expiry time). a/, w/, u/ and s/ exist exactly for the tags, update time
// and display name of a c/ record. An id is at most one of live (c/),
// merged (g/) and erased (e/); a g/ record's target is live, and its
// survivor links (MergeRecord.survivor_id, through other g/ records) lead
// to that target without a cycle; b/ exists exactly for each g/ and its
// target. Nothing else holds an erased id: no record, locator, index entry,
// holder or request names it; each e/ has a k/ entry and each k/ names an
// e/. A linked identifier's merged_from names a g/ record whose survivor is
// the customer holding it. Owners and tags cannot contain '/', so
// o/{owner}/ and a/{tag}/ never prefix another owner's or tag's keys, and
// "h/{customer}/" never prefixes another customer's keys.
//
// Format 2 (before the domain minted ids) keyed interactions and promises
// by store-made ids of 24 hex digits whose first 16 were the {newest} or
// {due} part: h/{customer}/{id}, p/{customer}/{id}, n/{customer}/{id}, and
// had no j/ or q/. migrateV2 moves them to this layout and keeps their ids.
const (
	prefixMeta     = "m/"
	prefixCustomer = "c/"
	prefixIndex    = "i/"
	prefixHistory  = "h/"
	prefixLocateIn = "j/"
	prefixLocateP  = "q/"
	prefixRequest  = "r/"
	prefixPromise  = "p/"
	prefixOpen     = "n/"
	prefixDue      = "d/"
	prefixOwner    = "o/"
	prefixTime     = "t/"
	prefixFeedback = "f/"
	prefixReqIndex = "y/"
	prefixTag      = "a/"
	prefixTagTime  = "w/"
	prefixUpdate   = "u/"
	prefixName     = "s/"
	prefixMerge    = "g/"
	prefixTarget   = "b/"
	prefixErased   = "e/"
	prefixJournal  = "k/"
	keySecret      = prefixMeta + "secret"
	keyFormat      = prefixMeta + "format"
	// 4: customer lifecycle (list indexes, merges, erasures, y/); 3: domain
	// ids, order in the keys; 2: customer records carry recent copies and
	// counts.
	currentFormat = "4"
)

func customerKey(id string) []byte { return []byte(prefixCustomer + id) }

// identifierKey is the i/ key of an identifier: the kind's one-byte code,
// ':' and the canonical value, unique across kinds. It is the only place
// an i/ key is built (a keyed hash may replace the value one day).
func identifierKey(id identity.Identifier) []byte {
	return []byte(prefixIndex + string(kindCode[id.Kind]) + ":" + id.Value)
}

// indexName is the part of an identifier's i/ key after "i/".
func indexName(id identity.Identifier) string {
	return string(identifierKey(id)[len(prefixIndex):])
}

// kindCode is the one-byte tag of each identity.Kind in i/ keys; never
// change a value.
var kindCode = [...]byte{identity.KindUnspecified: '?', identity.KindPhone: 'p', identity.KindEmail: 'e',
	identity.KindSocial: 's', identity.KindExternalID: 'x', identity.KindPostalAddress: 'a'}

func historyPrefix(customerID string) []byte {
	return []byte(prefixHistory + customerID + "/")
}

// newestHex is the {newest} part of an interaction's h/ key.
func newestHex(occur time.Time) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(math.MaxInt64-keyNanos(occur)))
	return hex.EncodeToString(b[:])
}

func historyKey(customerID, newest, interactionID string) []byte {
	return []byte(prefixHistory + customerID + "/" + newest + "/" + interactionID)
}

func interactionKey(in herken.Interaction) []byte {
	return historyKey(in.CustomerID, newestHex(in.OccurTime), in.ID)
}

func interactionLocator(customerID, interactionID string) []byte {
	return []byte(prefixLocateIn + customerID + "/" + interactionID)
}

func requestKey(requestID string) []byte { return []byte(prefixRequest + requestID) }

// timeHex is a time as 16 hex digits of Unix nanoseconds: fixed width, so
// keys sort by time. Times before 1970 never reach a key (validated).
func timeHex(t time.Time) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(keyNanos(t)))
	return hex.EncodeToString(b[:])
}

func promiseKeyAt(customerID, due, promiseID string) []byte {
	return []byte(prefixPromise + customerID + "/" + due + "/" + promiseID)
}

func promiseKey(p herken.Promise) []byte { return promiseKeyAt(p.CustomerID, timeHex(p.DueTime), p.ID) }

func promisePrefix(customerID string) []byte { return []byte(prefixPromise + customerID + "/") }

func promiseLocator(customerID, promiseID string) []byte {
	return []byte(prefixLocateP + customerID + "/" + promiseID)
}

func openKey(p herken.Promise) []byte {
	return []byte(prefixOpen + p.CustomerID + "/" + timeHex(p.DueTime) + "/" + p.ID)
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

// tail returns the last n '/'-separated parts of key, or nil if it has
// fewer: index keys end in {time}/{customer}/{id} or {customer}/{time}/{id}.
func tail(key []byte, n int) []string {
	s := string(key)
	parts := make([]string, n)
	for i := n - 1; i >= 0; i-- {
		j := strings.LastIndexByte(s, '/')
		if j < 0 {
			return nil
		}
		parts[i], s = s[j+1:], s[:j]
	}
	return parts
}

// splitTail returns the last two '/'-separated parts of key: the customer
// and record ids at the end of the d/, o/, t/ and f/ index keys.
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

// requestIndexKey is the y/ entry of a request record naming customerID.
func requestIndexKey(customerID, requestID string) []byte {
	return []byte(prefixReqIndex + customerID + "/" + requestID)
}

func requestIndexPrefix(customerID string) []byte { return []byte(prefixReqIndex + customerID + "/") }

func tagKey(tag, customerID string) []byte { return []byte(prefixTag + tag + "/" + customerID) }

func tagPrefix(tag string) []byte { return []byte(prefixTag + tag + "/") }

func tagTimeKey(tag string, update time.Time, customerID string) []byte {
	return []byte(prefixTagTime + tag + "/" + timeHex(update) + "/" + customerID)
}

func tagTimePrefix(tag string) []byte { return []byte(prefixTagTime + tag + "/") }

func updateKey(update time.Time, customerID string) []byte {
	return []byte(prefixUpdate + timeHex(update) + "/" + customerID)
}

// namePrefixKey is the s/ key saying that a folded display-name prefix
// (herken.NamePrefixes) belongs to customerID; with customerID "" it is the
// prefix every such key of that name prefix starts with, which
// ListCustomers scans. It is the only place an s/ key is built: the name
// part is the prefix's hex today, a keyed hash when names are shredded.
func namePrefixKey(prefix, customerID string) []byte {
	return []byte(prefixName + hex.EncodeToString([]byte(prefix)) + "/" + customerID)
}

// customerIndexKeys are the list-index entries of a live customer: its
// tags (both orders), its update time and every indexed prefix of its name.
func customerIndexKeys(c herken.Customer) [][]byte {
	keys := [][]byte{updateKey(c.UpdateTime, c.ID)}
	for _, t := range c.Tags {
		keys = append(keys, tagKey(t, c.ID), tagTimeKey(t, c.UpdateTime, c.ID))
	}
	for _, p := range herken.NamePrefixes(c.DisplayName) {
		keys = append(keys, namePrefixKey(p, c.ID))
	}
	return keys
}

func mergeKey(mergedID string) []byte { return []byte(prefixMerge + mergedID) }

func targetKey(targetID, mergedID string) []byte {
	return []byte(prefixTarget + targetID + "/" + mergedID)
}

func targetPrefix(targetID string) []byte { return []byte(prefixTarget + targetID + "/") }

func erasedKey(id string) []byte { return []byte(prefixErased + id) }

func journalKey(at time.Time, id string) []byte {
	return []byte(prefixJournal + timeHex(at) + "/" + id)
}

// lastPart is what follows the last '/' of key: the customer id at the
// end of the a/, w/, u/, s/, b/ and k/ keys.
func lastPart(key []byte) string {
	s := string(key)
	return s[strings.LastIndexByte(s, '/')+1:]
}
