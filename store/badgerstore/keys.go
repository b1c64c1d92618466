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
//	m/format                     store format version (decimal); "6" since
//	                             the name index keeps to words, "5" since
//	                             personal data is sealed per customer (Open
//	                             migrates "1" to "5" stores)
//	c/{customer}                 CustomerRecord, sealed
//	i/{kind}#{hash}              IndexRecord: the holders of one identifier, in
//	                             link order ({kind} is one byte: p phone, e
//	                             email, s social, x external id, a postal
//	                             address; {hash} is 32 hex digits of the keyed
//	                             hash of kind and canonical value; built by
//	                             identifierKey, and by the migration from
//	                             format 4 through the same hashedIdentifierKey)
//	h/{customer}/{newest}/{interaction}
//	                             InteractionRecord, sealed; {newest} is 16 hex digits of
//	                             (MaxInt64 - occur time in ns), so a prefix scan
//	                             over h/{customer}/ reads newest first (ties by
//	                             id) and stops after the limit
//	j/{customer}/{interaction}   the {newest} part of the interaction's h/ key:
//	                             finds an interaction by id
//	r/{request_id}               RequestRecord, with a Badger TTL (idempotency)
//	m/secret                     32 random bytes: the HMAC key of page tokens
//	p/{customer}/{due}/{promise} PromiseRecord, sealed: a customer's promises by due time
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
//	s/#{hash}/{customer}         (empty) one per herken.NamePrefixes (each word's prefixes) of the
//	                             display name; {hash} is 32 hex digits of the
//	                             prefix's keyed hash (built by namePrefixKey only)
//
// Merges and erasures:
//
//	g/{merged}                   MergeRecord, sealed under the merged customer's
//	                             key: herken.MergeRecord of a customer merged
//	                             away and not unmerged, and its flat target,
//	                             the live customer its name resolves to
//	b/{target}/{merged}          (empty) the merged names whose target is
//	                             {target}: a merge or unmerge re-points them
//	e/{customer}                 erased tombstone (no personal data): the id
//	                             answers CUSTOMER_ERASED for good; its value is
//	                             the erased customer's data-key ref until that
//	                             key is destroyed, then empty
//	k/{erase}/{customer}         (empty) the erasure journal, by erase time:
//	                             what a restored backup must erase again
//
// Audit trail (audit.go), plain: ids, times and the names of API keys and
// methods, nothing personal, so erasure keeps it:
//
//	l/{customer}/{newest}/{record}
//	                             AuditRecord: the customer's trail, newest
//	                             first (ties by id), {newest} as in h/
//	v/{time}/{customer}/{record} (empty) every audit record by time, oldest
//	                             first: the audit sweeper reads this
//
// Crypto-shredding (sealing.go):
//
//	x/{customer}                 the ref (slot, generation) of the customer's
//	                             data key in the key file "keys" beside
//	                             Badger's files; of every live and merged
//	                             customer, of no one else
//
// v/ exists exactly while its l/ record does (an erased id's included).
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
// holder or request names it (the audit trail aside: l/ and v/ keep it);
// each e/ has a k/ entry and each k/ names an
// e/. A linked identifier's merged_from names a g/ record whose survivor is
// the customer holding it. Every c/ and g/ record is sealed under the key
// the x/ entry of its customer (for g/, the merged customer) names; every
// h/ and p/ record under that of its customer or of a customer merged into
// it, directly or through others (its origin's: see below); and that key
// is in the key file. Owners and tags cannot contain '/', so
// o/{owner}/ and a/{tag}/ never prefix another owner's or tag's keys, and
// "h/{customer}/" never prefixes another customer's keys.
//
// # What is sealed, what stays plain
//
// Sealed, each under a customer's own data key (AES-256-GCM, bound to the
// customer id and the record's key): every value that holds personal
// data — the customer record (display name, handover note, identifiers
// with their provenance, preferred language, and its copies of the newest
// interactions), every interaction (summary, agent, case reference, the
// identifier it came through, feedback comment, answer and who answered),
// every promise (description, contact identifier, state note and actor)
// and every merge record (both customers as they were). Customer records
// are sealed under their customer's key, merge records under the merged
// customer's — except the survivor's record from before the merge inside
// it, which is sealed (again, separately) under the survivor's, so that
// erasing the survivor after an unmerge leaves nothing of it openable in
// the merged customer's old versions of the record. An interaction or promise is sealed under the key of the
// customer it was recorded for (its origin), for good: a merge moves the
// merged customer's records to the survivor sealed under the key they
// were sealed under (the merged customer's, or that of a customer merged
// into it before), an update keeps the key, and an unmerge moves them
// back under it; what is recorded on the survivor while merged is the
// survivor's (tx.keptRef). So every version of a record, including those
// written while it was merged into another customer, dies with its
// origin's key. Hashed with a
// store-wide key (shred.IndexHash): every key that would hold an
// identifier or a name (i/, s/).
//
// Plain, because they are not personal data and the store must read them
// without a customer's key: ids (customers, interactions, promises; random,
// minted by herken), times (creation, update, occurrence, due, erasure),
// identifier kinds, tags (labels chosen by the operator, such as "vip" —
// not about one person), promise owners (o/: a team or agent, not the
// customer), states, the request ids clients choose for idempotency (r/,
// y/, kept a day; a client that puts personal data in them puts it in a
// key: they should be opaque, e.g. a UUID) with their fingerprints
// (SHA-256 of the whole request: it cannot be read back, only confirmed by
// someone who holds the whole request), index records (customer ids),
// locators, and the shape of the data: how many interactions and promises
// a customer has and when, who shares an identifier with whom (by id),
// who was merged into whom.
//
// Erasure destroys the keys of the customer and of every name merged into
// it, in place in the key file, before EraseCustomer returns: every copy
// of their sealed values, wherever Badger still keeps one, is noise from
// then on, and their index keys are hashes of nothing readable.
//
// # Limits
//
//   - The key file is overwritten in place; what a filesystem or a device
//     keeps of the old bytes is beyond it: copy-on-write filesystems and
//     their snapshots (Btrfs, ZFS, APFS, reflinked copies), ext4 with
//     data=journal, and SSDs, which remap writes and keep the old page
//     until they erase it. Put the data directory on an encrypted volume
//     where that matters (internal/shred's package comment says more).
//   - Backups and copies of the data directory taken before an erasure
//     hold the key, and with it every value sealed under it: a restore must
//     replay the erasure journal (k/), which destroys those keys again.
//   - Process memory: a destroyed key is wiped from the key file's memory,
//     but the Go runtime may have copied it (the AES key schedule of a
//     cached cipher), swap may hold pages of it, and decrypted records live
//     in memory while they are served.
//   - The index hashes are pseudonyms, not anonymity: whoever holds the key
//     file and an old i/ key can test guesses (phone numbers are few enough
//     to test all), until compaction drops the old key.
//   - What a merge copies into the survivor's customer record (the
//     identifiers and fields the plan takes from the merged customer, and
//     copies of its newest interactions among the survivor's) is the
//     survivor's record, under the survivor's key. After an unmerge, the
//     old versions of that record written while they were merged keep
//     those copies, until compaction drops them: erasing the merged
//     customer after an unmerge leaves them readable with the survivor's
//     key. (Its interactions and promises themselves keep its key through
//     the merge and the unmerge.)
//   - A store migrated from format 4 sealed the records a merge had moved
//     under the survivor's key (their origin was not recorded); an unmerge
//     re-seals those under the merged customer's key (movedRef), but the
//     versions written before stay under the survivor's.
//   - A store migrated from format 4 or older keeps the plain old versions
//     of its records in Badger's files until compaction and value-log
//     garbage collection drop them (migrateV4): the guarantee holds for
//     what was written, or rewritten, in format 5.
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
	prefixKeyRef   = "x/"
	prefixAudit    = "l/"
	prefixAuditAge = "v/"
	keySecret      = prefixMeta + "secret"
	keyFormat      = prefixMeta + "format"
	// 6: the display-name index (s/) by word; 5: personal data sealed per
	// customer, index keys hashed (x/, the key file); 4: customer lifecycle (list indexes, merges, erasures, y/); 3:
	// domain ids, order in the keys; 2: customer records carry recent
	// copies and counts.
	currentFormat = "6"
	// plainFormat is what a plain store (no sealing, readable index keys:
	// the test hook that proves the sealing, and every store before format
	// 5) is: format 4.
	plainFormat = "4"
)

func customerKey(id string) []byte { return []byte(prefixCustomer + id) }

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

func mergeKey(mergedID string) []byte { return []byte(prefixMerge + mergedID) }

func targetKey(targetID, mergedID string) []byte {
	return []byte(prefixTarget + targetID + "/" + mergedID)
}

func targetPrefix(targetID string) []byte { return []byte(prefixTarget + targetID + "/") }

func erasedKey(id string) []byte { return []byte(prefixErased + id) }

// keyRefKey is the x/ record of a customer: the ref of its data key.
func keyRefKey(id string) []byte { return []byte(prefixKeyRef + id) }

func journalKey(at time.Time, id string) []byte {
	return []byte(prefixJournal + timeHex(at) + "/" + id)
}

// lastPart is what follows the last '/' of key: the customer id at the
// end of the a/, w/, u/, s/, b/ and k/ keys.
func lastPart(key []byte) string {
	s := string(key)
	return s[strings.LastIndexByte(s, '/')+1:]
}
