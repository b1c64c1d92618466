package badgerstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"
	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/recordpb"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// Integrity check: every invariant of the key layout (keys.go), verified in
// one consistent read transaction.
//
// How it scales. One pass over the whole keyspace, keys only, reading a
// value only for record and locator keys (c/ i/ h/ j/ p/ q/ r/ g/ m/ x/).
// What it keeps in memory (the lifecycle's part: check_lifecycle.go):
//   - per customer id a small fixed-size state (map[string]custState: two
//     times, the record's summary counts, a hash of its recent copies and
//     the data-key ref its record is sealed under; about 80 bytes a slot
//     plus the id, and the map doubles; before the ref it was 64): measured
//     143 MB live for 1M customers when the key was a 16-byte array (70-140
//     MB depending on where the count falls between powers of two); the id
//     string adds its header and its bytes, some 32 bytes a customer with
//     today's 16-character ids — the only structure that grows with the
//     data, and it grows with customers, not with interactions or promises;
//   - Badger's block and index caches, bounded (CheckDir: 64 + 32 MB).
//
// Measured: a bulk-loaded store of 100k customers and 1M interactions
// (270 MB on disk) checks in about 7 s on two cores with a live heap under
// 100 MB, most of it Badger's caches. At 1M customers and 10M interactions
// expect about 10x the time and 250-300 MB of heap: comfortable next to a
// server that needs more to serve the same store.
//   - for every pair "records ⇄ index" a 64-bit sum of hashes of the keys
//     each side implies (16 bytes a family, whatever the size of the store).
//     When both sides of a family agree, the index matches its records (a
//     random hash seed per run makes an accidental match about 2^-64 likely);
//   - at most maxProblems problems (the counts per kind stay complete).
//
// Only when a family's sums disagree does the check re-scan that family's
// prefixes with point reads to name the records involved, so a clean store
// costs one scan and a broken one at most a few more.
//
// Nothing personal reaches the report: identifier keys (i/, hashed or
// not), owners (o/ keys), request ids (r/ and y/ keys), tags (a/ w/) and
// name prefixes (s/) are redacted, so a report can be pasted into a ticket.
// The check opens sealed records with the key file (check_keys.go checks
// the sealing itself) and compares index keys with the hashes it computes
// from the records, never by reading an identifier back from a key.
// Customer, interaction and promise ids, times and identifier kinds are
// shown.

// Problem kinds: each names one broken invariant.
const (
	ProblemIndexMissingCustomer       = "INDEX_MISSING_CUSTOMER"          // an i/ holder does not exist
	ProblemIndexHolderMismatch        = "INDEX_HOLDER_MISMATCH"           // an i/ holder exists but does not list the identifier
	ProblemIndexDuplicateHolder       = "INDEX_DUPLICATE_HOLDER"          // an i/ entry lists a customer twice
	ProblemIndexEmpty                 = "INDEX_EMPTY"                     // an i/ entry without holders
	ProblemHoldersOverLimit           = "HOLDERS_OVER_LIMIT"              // more than herken.MaxHoldersPerIdentity holders
	ProblemExclusiveShared            = "EXCLUSIVE_IDENTIFIER_SHARED"     // a non-shareable identifier with several holders
	ProblemIdentifierNotIndexed       = "CUSTOMER_IDENTIFIER_NOT_INDEXED" // a customer lists an identifier whose i/ entry does not name it
	ProblemIdentifierDuplicate        = "CUSTOMER_IDENTIFIER_DUPLICATE"   // a customer lists one identifier twice
	ProblemHistoryOrphan              = "HISTORY_ORPHAN"                  // an h/ interaction of a customer that does not exist
	ProblemPromiseOrphan              = "PROMISE_ORPHAN"                  // a p/ promise of a customer that does not exist
	ProblemPromiseInteractionMissing  = "PROMISE_INTERACTION_MISSING"     // a promise names an interaction that does not exist
	ProblemRequestOrphan              = "REQUEST_ORPHAN"                  // an r/ record names a result that does not exist
	ProblemTimeIndexMismatch          = "TIME_INDEX_MISMATCH"             // t/ disagrees with h/
	ProblemFeedbackIndexMismatch      = "FEEDBACK_INDEX_MISMATCH"         // f/ disagrees with unanswered feedback in h/
	ProblemOpenIndexMismatch          = "OPEN_INDEX_MISMATCH"             // n/ disagrees with the OPEN promises
	ProblemDueIndexMismatch           = "DUE_INDEX_MISMATCH"              // d/ disagrees with the OPEN promises
	ProblemOwnerIndexMismatch         = "OWNER_INDEX_MISMATCH"            // o/ disagrees with the OPEN promises
	ProblemInteractionLocatorMismatch = "INTERACTION_LOCATOR_MISMATCH"    // j/ disagrees with h/: missing, stray, or holding another {newest} part
	ProblemPromiseLocatorMismatch     = "PROMISE_LOCATOR_MISMATCH"        // q/ disagrees with p/: missing, stray, or holding another {due} part
	ProblemIndexDigestMismatch        = "INDEX_DIGEST_MISMATCH"           // an index and its records disagree, but no single key could be named
	ProblemRecordKeyMismatch          = "RECORD_KEY_MISMATCH"             // a record's own ids differ from its key
	ProblemIDTimeMismatch             = "ID_TIME_MISMATCH"                // an h/ or p/ key's time part is not the record's occur or due time (wrong order)
	ProblemUndecodableRecord          = "UNDECODABLE_RECORD"              // a value that does not decode (or holds impossible values)
	ProblemLastContactBehind          = "LAST_CONTACT_BEHIND"             // a customer's last contact is older than a contact in its history
	ProblemInteractionCountMismatch   = "INTERACTION_COUNT_MISMATCH"      // a customer record's interaction count differs from its h/ records
	ProblemOpenCountMismatch          = "OPEN_PROMISE_COUNT_MISMATCH"     // a customer record's open-promise count differs from its OPEN p/ records
	ProblemRecentMismatch             = "RECENT_MISMATCH"                 // a customer record's copies of its newest interactions differ from h/
	ProblemUnknownKey                 = "UNKNOWN_KEY"                     // a key with a prefix keys.go does not define
	ProblemMalformedKey               = "MALFORMED_KEY"                   // a known prefix, but not the documented shape
	ProblemFormatMissing              = "FORMAT_MISSING"                  // no m/format
	ProblemFormatUnsupported          = "FORMAT_UNSUPPORTED"              // m/format is not the version this build writes
	ProblemSecretMissing              = "SECRET_MISSING"                  // no m/secret, or not 32 bytes
	ProblemTagIndexMismatch           = "TAG_INDEX_MISMATCH"              // a/ or w/ disagrees with the customers' tags (and update times)
	ProblemUpdateIndexMismatch        = "UPDATE_INDEX_MISMATCH"           // u/ disagrees with the customers' update times
	ProblemNameIndexMismatch          = "NAME_INDEX_MISMATCH"             // s/ disagrees with the customers' display names
	ProblemRequestIndexMismatch       = "REQUEST_INDEX_MISMATCH"          // y/ disagrees with the r/ records
	ProblemMergeTargetNotLive         = "MERGE_TARGET_NOT_LIVE"           // a g/ record's target is not a live customer (a chain, or nothing)
	ProblemMergeChainBroken           = "MERGE_CHAIN_BROKEN"              // survivor links form a cycle or do not lead to the target
	ProblemMergedLive                 = "MERGED_CUSTOMER_LIVE"            // a merged id still has a customer record
	ProblemTargetIndexMismatch        = "MERGE_TARGET_INDEX_MISMATCH"     // b/ disagrees with the g/ records
	ProblemMergedFromMismatch         = "MERGED_FROM_MISMATCH"            // an identifier's merged_from names no merge into its holder
	ProblemErasedRemains              = "ERASED_REMAINS"                  // a record, locator, index entry, holder or request names an erased id
	ProblemJournalMismatch            = "ERASURE_JOURNAL_MISMATCH"        // a k/ entry names no erased id, or an erased id has no k/ entry
	ProblemUnsealedRecord             = "UNSEALED_RECORD"                 // a record with personal data stored in plain form (format 5 seals every one)
	ProblemKeyDestroyed               = "KEY_DESTROYED"                   // a live record (or x/ entry) whose data key was destroyed: its data is lost
	ProblemKeySlotDamaged             = "KEY_SLOT_DAMAGED"                // a slot of the key file that does not read back (the records sealed under it are lost)
	ProblemKeyRefMissing              = "KEY_REF_MISSING"                 // a live or merged customer without its x/ data-key record
	ProblemKeyRefMismatch             = "KEY_REF_MISMATCH"                // a record sealed under another data key than its customer's x/ names
	ProblemKeyRefOrphan               = "KEY_REF_ORPHAN"                  // an x/ entry of an id that is neither live nor merged
	ProblemErasedKeyLive              = "ERASED_KEY_LIVE"                 // an erased customer's data key is not destroyed yet (open the store once: it is then)
	// ProblemAuditIndexMismatch (check_audit.go): v/ disagrees with l/.
)

// maxProblems bounds the problems a report lists; ProblemCounts stays
// complete, so a store broken everywhere still yields a small report.
const maxProblems = 1000

// Counts are the records and index entries the check read, per kind.
type Counts struct {
	Customers           int64 `json:"customers"`            // c/
	IdentifierIndex     int64 `json:"identifier_index"`     // i/ entries, one per identifier
	IdentifierLinks     int64 `json:"identifier_links"`     // holders listed in i/ entries
	Interactions        int64 `json:"interactions"`         // h/
	InteractionLocators int64 `json:"interaction_locators"` // j/
	TimeIndex           int64 `json:"time_index"`           // t/
	FeedbackIndex       int64 `json:"feedback_index"`       // f/
	Promises            int64 `json:"promises"`             // p/
	PromiseLocators     int64 `json:"promise_locators"`     // q/
	OpenPromises        int64 `json:"open_promises"`        // n/ (open-promise index entries)
	DueIndex            int64 `json:"due_index"`            // d/
	OwnerIndex          int64 `json:"owner_index"`          // o/
	Requests            int64 `json:"requests"`             // r/ (live idempotency records)
	RequestIndex        int64 `json:"request_index"`        // y/
	TagIndex            int64 `json:"tag_index"`            // a/
	TagTimeIndex        int64 `json:"tag_time_index"`       // w/
	UpdateIndex         int64 `json:"update_index"`         // u/
	NameIndex           int64 `json:"name_index"`           // s/
	MergeRecords        int64 `json:"merge_records"`        // g/
	MergeTargets        int64 `json:"merge_targets"`        // b/
	Erased              int64 `json:"erased"`               // e/
	ErasureJournal      int64 `json:"erasure_journal"`      // k/
	KeyRefs             int64 `json:"key_refs"`             // x/
	AuditRecords        int64 `json:"audit_records"`        // l/
	AuditTimeIndex      int64 `json:"audit_time_index"`     // v/
	Meta                int64 `json:"meta"`                 // m/
	Other               int64 `json:"other"`                // keys with an unknown prefix
}

// Problem is one broken invariant. Keys are redacted (see the package
// comment above); Detail never holds personal data.
type Problem struct {
	Kind   string   `json:"kind"`
	Keys   []string `json:"keys"`
	Detail string   `json:"detail,omitempty"`
}

func (p Problem) String() string {
	s := p.Kind + " " + strings.Join(p.Keys, " → ")
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// Report is what Check found.
type Report struct {
	Counts        Counts         `json:"counts"`
	Problems      []Problem      `json:"problems"`
	ProblemCounts map[string]int `json:"problem_counts"`
	// Omitted is how many problems were counted but not listed (beyond
	// the first maxProblems).
	Omitted int `json:"problems_omitted,omitempty"`
}

// OK reports whether the check found nothing wrong.
func (r Report) OK() bool { return r.Total() == 0 }

// Total is the number of problems found, listed or not.
func (r Report) Total() int { return len(r.Problems) + r.Omitted }

// WriteText prints the report for people: the counts, then one line per
// problem.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	c := r.Counts
	rows := []struct {
		name string
		n    int64
	}{
		{"customers (c/)", c.Customers},
		{"identifier index entries (i/)", c.IdentifierIndex},
		{"identifier links", c.IdentifierLinks},
		{"interactions (h/)", c.Interactions},
		{"interaction locators (j/)", c.InteractionLocators},
		{"time index entries (t/)", c.TimeIndex},
		{"feedback index entries (f/)", c.FeedbackIndex},
		{"promises (p/)", c.Promises},
		{"promise locators (q/)", c.PromiseLocators},
		{"open-promise index entries (n/)", c.OpenPromises},
		{"due index entries (d/)", c.DueIndex},
		{"owner index entries (o/)", c.OwnerIndex},
		{"request records (r/)", c.Requests},
		{"request index entries (y/)", c.RequestIndex},
		{"tag index entries (a/)", c.TagIndex},
		{"tag-by-time index entries (w/)", c.TagTimeIndex},
		{"update-time index entries (u/)", c.UpdateIndex},
		{"name index entries (s/)", c.NameIndex},
		{"merge records (g/)", c.MergeRecords},
		{"merge target entries (b/)", c.MergeTargets},
		{"erased customers (e/)", c.Erased},
		{"erasure journal entries (k/)", c.ErasureJournal},
		{"data-key records (x/)", c.KeyRefs},
		{"audit records (l/)", c.AuditRecords},
		{"audit time index entries (v/)", c.AuditTimeIndex},
		{"meta keys (m/)", c.Meta},
		{"unknown keys", c.Other},
	}
	for _, row := range rows {
		fmt.Fprintf(&b, "  %-32s %d\n", row.name, row.n)
	}
	if r.OK() {
		b.WriteString("no problems\n")
	} else {
		if r.Total() == 1 {
			b.WriteString("1 problem:\n")
		} else {
			fmt.Fprintf(&b, "%d problems:\n", r.Total())
		}
		kinds := make([]string, 0, len(r.ProblemCounts))
		for k := range r.ProblemCounts {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(&b, "  %-32s %d\n", k, r.ProblemCounts[k])
		}
		for _, p := range r.Problems {
			b.WriteString("  " + p.String() + "\n")
		}
		if r.Omitted > 0 {
			fmt.Fprintf(&b, "  ... and %d more (counted above, not listed)\n", r.Omitted)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Check verifies every invariant documented in keys.go in one read
// transaction. It reads a consistent snapshot, so it can run on a live
// store; the report lists what is wrong. The error is for a check that could
// not run (store closed, context cancelled), not for problems found.
func (s *Store) Check(ctx context.Context) (Report, error) {
	c := &checker{
		oldest:    math.MaxInt64,
		ctx:       ctx,
		seed:      maphash.MakeSeed(),
		customers: map[string]custState{},
		erased:    map[string]bool{},
		merges:    map[string]mergeState{},
		rep:       Report{ProblemCounts: map[string]int{}, Problems: []Problem{}},
	}
	err := s.db.View(func(txn *badger.Txn) error {
		c.txn = s.newTx(txn)
		defer c.txn.release()
		return c.run()
	})
	if err != nil {
		return Report{}, err
	}
	return c.rep, nil
}

// CheckDir opens the store in dir read-only and checks it (CheckDirContext
// with a background context).
func CheckDir(dir string) (Report, error) { return CheckDirContext(context.Background(), dir) }

// CheckDirContext opens the store in dir read-only, checks it and closes it.
//
// Badger's read-only mode takes a shared lock on the directory, so it fails
// while a herken serve (which holds the exclusive lock) runs on dir: stop
// the server first, or call Check on the open store. It also refuses a store
// that was not closed cleanly (a crash left log entries Badger must replay
// and truncate, which read-only mode cannot do): start and stop herken serve
// once so it recovers the store, then check.
func CheckDirContext(ctx context.Context, dir string) (Report, error) {
	return CheckDirKey(ctx, dir, nil)
}

// CheckDirKey is CheckDirContext for a store encrypted under key (nil: not
// encrypted); the wrong key is ErrEncryptionKey.
func CheckDirKey(ctx context.Context, dir string, key []byte) (Report, error) {
	if _, err := os.Stat(filepath.Join(dir, badger.ManifestFilename)); err != nil {
		return Report{}, fmt.Errorf("badgerstore: no store in %s: %w", dir, err)
	}
	db, err := openReadOnly(dir, key)
	switch {
	case errors.Is(err, badger.ErrTruncateNeeded) || err != nil && strings.Contains(err.Error(), badger.ErrTruncateNeeded.Error()):
		return Report{}, fmt.Errorf("badgerstore: %s was not closed cleanly; start and stop herken serve on it once so it recovers, then check again: %w", dir, err)
	case err != nil && strings.Contains(err.Error(), "directory lock"):
		return Report{}, fmt.Errorf("badgerstore: %s is in use (is herken serve running on it? stop it, or check the running store): %w", dir, err)
	case errors.Is(err, ErrEncryptionKey):
		return Report{}, err
	case err != nil:
		return Report{}, fmt.Errorf("badgerstore: open %s read-only: %w", dir, err)
	}
	s := &Store{db: db}
	if err := s.openCheckKeys(dir); err != nil {
		db.Close()
		return Report{}, err
	}
	rep, err := s.Check(ctx)
	if cerr := s.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return rep, err
}

// custState is what the check keeps per customer: what its record says
// about its history and promises, and what the scan found.
type custState struct {
	lastContact   int64  // the record's last contact, Unix ns (0: none)
	newestContact int64  // the newest contact interaction in h/, Unix ns
	recentHash    uint64 // hash of the record's copies of its newest interactions
	count         int32  // interactions the record counts
	seen          int32  // h/ records found
	open          int32  // OPEN promises the record counts
	openSeen      int32  // OPEN p/ records found
	recentLen     uint8  // copies the record carries
	recentDone    bool   // the copies were compared with h/
	openUnknown   bool   // a promise could not be read
	undecodable   bool
	sealed        bool      // the record is sealed, under ref
	hasRef        bool      // an x/ entry names the customer's key
	ref           shred.Ref // the key the record is sealed under
}

// digest is an order-independent fingerprint of a set of keys: the count
// and the wrapping sum of their hashes.
type digest struct {
	n   int64
	sum uint64
}

// family names the two sides of one "records ⇄ index" invariant.
type family int

const (
	famPairs    family = iota // customers' identifiers ⇄ i/ holders
	famTime                   // h/ ⇄ t/
	famFeedback               // h/ with unanswered feedback ⇄ f/
	famOpen                   // OPEN p/ ⇄ n/
	famDue                    // OPEN p/ ⇄ d/
	famOwner                  // OPEN p/ with an owner ⇄ o/
	famLocateIn               // h/ ⇄ j/ (and the {newest} part j/ holds)
	famLocateP                // p/ ⇄ q/ (and the {due} part q/ holds)
	famTag                    // c/ tags ⇄ a/
	famTagTime                // c/ tags and update time ⇄ w/
	famUpdate                 // c/ update time ⇄ u/
	famName                   // c/ display-name prefixes ⇄ s/
	famTarget                 // g/ targets ⇄ b/
	famRequest                // r/ ⇄ y/
	famAudit                  // l/ ⇄ v/ (check_audit.go)
	famCount
)

type checker struct {
	ctx       context.Context
	txn       *tx
	seed      maphash.Seed
	rep       Report
	customers map[string]custState
	// records[f] is what the records imply for family f, index[f] what the
	// index holds.
	records, index [famCount]digest
	// undecodable counts records that could not be read, per prefix byte:
	// a family whose records could not all be read cannot be reconciled.
	undecodable map[byte]int
	// The h/ scan of the current customer, for its recent copies.
	hCID  string
	hN    int
	hBad  bool
	hHash maphash.Hash
	// oldest is the occur time (Unix ns) of the oldest interaction stored.
	oldest    int64
	sawFormat bool
	sawSecret bool
	keys      int
	// erased holds every e/ id, true once a k/ entry names it; merges
	// every g/ record's links; mergedFrom every identifier's merged_from.
	erased     map[string]bool
	merges     map[string]mergeState
	mergedRefs map[shred.Ref]string // the key of each sealed g/ record: its merged id
	mergedFrom []mergedFromRef
	// orphans holds the ids that own h/ or p/ records but are no customer:
	// their x/ entry keeps those records readable, and is no problem of its
	// own.
	orphans map[string]bool
}

func (c *checker) problem(kind, detail string, keys ...string) {
	c.rep.ProblemCounts[kind]++
	if len(c.rep.Problems) >= maxProblems {
		c.rep.Omitted++
		return
	}
	c.rep.Problems = append(c.rep.Problems, Problem{Kind: kind, Keys: keys, Detail: detail})
}

func (c *checker) add(d *digest, parts ...string) {
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, p := range parts {
		h.WriteString(p)
		h.WriteByte(0)
	}
	d.n++
	d.sum += h.Sum64()
}

func (c *checker) tick() error {
	if c.keys++; c.keys%4096 == 0 {
		return c.ctx.Err()
	}
	return nil
}

func (c *checker) undecodableRecord(key []byte, err error) {
	if c.undecodable == nil {
		c.undecodable = map[byte]int{}
	}
	c.undecodable[key[0]]++
	if keyGone(err) {
		if !c.erasedSince(key) {
			c.problem(ProblemKeyDestroyed, "the record's data key is gone: it cannot be read any more", redactKey(key))
		}
		return
	}
	detail := "value does not decode"
	if err != nil && strings.Contains(err.Error(), "unknown record format") {
		detail = "unknown record format"
	}
	c.problem(ProblemUndecodableRecord, detail, redactKey(key))
}

// cidKey is the customers map's key: the whole id (ids are opaque, up to
// herken.MaxIDLen characters; a fixed-size prefix would merge customers).
func cidKey(id string) string { return strings.Clone(id) }

// customer reports whether the customer with id exists (a c/ key was seen).
func (c *checker) customer(id string) (custState, bool) {
	if !herken.ValidID(id) {
		return custState{}, false
	}
	st, ok := c.customers[cidKey(id)]
	return st, ok
}

// run is the main pass, then the reconciliation of every family.
func (c *checker) run() error {
	it := c.txn.NewIterator(badger.IteratorOptions{PrefetchValues: false})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if err := c.tick(); err != nil {
			return err
		}
		item := it.Item()
		key := item.Key()
		var err error
		switch prefixOf(key) {
		case prefixMeta:
			err = c.meta(item)
		case prefixCustomer:
			err = c.customerRecord(item)
		case prefixIndex:
			err = c.indexEntry(item)
		case prefixHistory:
			err = c.interaction(item)
		case prefixLocateIn:
			c.rep.Counts.InteractionLocators++
			err = c.locator(famLocateIn, item)
		case prefixTime:
			c.rep.Counts.TimeIndex++
			c.indexKey(famTime, key)
		case prefixFeedback:
			c.rep.Counts.FeedbackIndex++
			c.indexKey(famFeedback, key)
		case prefixPromise:
			err = c.promise(item)
		case prefixLocateP:
			c.rep.Counts.PromiseLocators++
			err = c.locator(famLocateP, item)
		case prefixOpen:
			c.rep.Counts.OpenPromises++
			c.indexKey(famOpen, key)
		case prefixDue:
			c.rep.Counts.DueIndex++
			c.indexKey(famDue, key)
		case prefixOwner:
			c.rep.Counts.OwnerIndex++
			c.indexKey(famOwner, key)
		case prefixRequest:
			err = c.request(item)
		case prefixReqIndex:
			c.rep.Counts.RequestIndex++
			c.indexKey(famRequest, key)
		case prefixTag:
			c.rep.Counts.TagIndex++
			c.indexKey(famTag, key)
		case prefixTagTime:
			c.rep.Counts.TagTimeIndex++
			c.indexKey(famTagTime, key)
		case prefixUpdate:
			c.rep.Counts.UpdateIndex++
			c.indexKey(famUpdate, key)
		case prefixName:
			c.rep.Counts.NameIndex++
			if !c.txn.s.plain && !bytes.HasPrefix(key, []byte(prefixName+"#")) {
				c.problem(ProblemMalformedKey, "a readable name-prefix key (format 4) in a store that hashes them", redactKey(key))
				break
			}
			c.indexKey(famName, key)
		case prefixTarget:
			c.rep.Counts.MergeTargets++
			c.indexKey(famTarget, key)
		case prefixMerge:
			err = c.mergeRecord(item)
		case prefixErased:
			err = c.erasedEntry(item)
		case prefixJournal:
			c.journalEntry(key)
		case prefixKeyRef:
			err = c.keyRef(item)
		case prefixAudit:
			err = c.auditRecord(item)
		case prefixAuditAge:
			c.auditAgeEntry(key)
		default:
			c.rep.Counts.Other++
			c.problem(ProblemUnknownKey, "prefix not defined in keys.go", redactKey(key))
		}
		if err != nil {
			return err
		}
	}
	it.Close()
	c.finishHistory()
	if !c.sawFormat {
		c.problem(ProblemFormatMissing, "the store format version is missing", keyFormat)
	}
	if !c.sawSecret {
		c.problem(ProblemSecretMissing, "the page-token key is missing", keySecret)
	}
	c.summaries()
	c.lifecycle()
	c.keyFile()
	return c.reconcile()
}

func prefixOf(key []byte) string {
	if len(key) < 2 || key[1] != '/' {
		return ""
	}
	switch p := string(key[:2]); p {
	case prefixMeta, prefixCustomer, prefixIndex, prefixHistory, prefixLocateIn, prefixTime, prefixFeedback,
		prefixPromise, prefixLocateP, prefixOpen, prefixDue, prefixOwner, prefixRequest, prefixReqIndex,
		prefixTag, prefixTagTime, prefixUpdate, prefixName, prefixMerge, prefixTarget, prefixErased, prefixJournal, prefixKeyRef,
		prefixAudit, prefixAuditAge:
		return p
	}
	return ""
}

func (c *checker) meta(item *badger.Item) error {
	c.rep.Counts.Meta++
	key := string(item.Key())
	switch key {
	case keyFormat:
		c.sawFormat = true
		want := currentFormat
		if c.txn.s.plain {
			want = plainFormat
		}
		return item.Value(func(v []byte) error {
			if string(v) != want {
				c.problem(ProblemFormatUnsupported, fmt.Sprintf("format %q, this build writes %q", clip(v), want), keyFormat)
			}
			return nil
		})
	case keySecret:
		c.sawSecret = true
		return item.Value(func(v []byte) error {
			if len(v) != 32 {
				c.problem(ProblemSecretMissing, fmt.Sprintf("%d bytes, want 32", len(v)), keySecret)
			}
			return nil
		})
	}
	c.problem(ProblemUnknownKey, "meta key not defined in keys.go", redactKey(item.Key()))
	return nil
}

// clip shows a short, printable meta value (the format version).
func clip(v []byte) string {
	if len(v) > 8 {
		return fmt.Sprintf("<%d bytes>", len(v))
	}
	return string(v)
}

// customerRecord reads c/{id}: notes the customer and adds every identifier
// it lists to the pairs family.
func (c *checker) customerRecord(item *badger.Item) error {
	key := item.Key()
	id := string(key[len(prefixCustomer):])
	if !herken.ValidID(id) {
		c.problem(ProblemMalformedKey, "not a customer id", redactKey(key))
		return nil
	}
	c.rep.Counts.Customers++
	var (
		cu     customerRec
		derr   error
		ref    shred.Ref
		sealed bool
	)
	if err := item.Value(func(v []byte) error {
		ref, sealed = sealedRef(v)
		cu, derr = decodeCustomer(c.txn, id, key, v)
		return nil
	}); err != nil {
		return err
	}
	if derr != nil {
		c.customers[cidKey(id)] = custState{undecodable: true, sealed: sealed, ref: ref}
		c.undecodableRecord(key, derr)
		return nil
	}
	c.sealedOrReported(key, sealed)
	if cu.ID != id {
		c.problem(ProblemRecordKeyMismatch, "the record's id differs from its key", string(key))
	}
	st := custState{lastContact: unixNano(cu.LastContactTime), count: int32(cu.count), open: int32(cu.openPromises),
		recentLen: uint8(min(len(cu.recent), 255)), sealed: sealed, ref: ref}
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, in := range cu.recent {
		if err := hashInteraction(&h, in); err != nil {
			return err
		}
	}
	st.recentHash = h.Sum64()
	c.customers[cidKey(id)] = st
	seen := make([]string, 0, len(cu.Identifiers))
	for _, l := range cu.Identifiers {
		if !l.Kind.Valid() {
			c.problem(ProblemUndecodableRecord, "an identifier of unknown kind", string(key))
			continue
		}
		k := c.txn.s.indexName(l.Identifier)
		if slices.Contains(seen, k) {
			c.problem(ProblemIdentifierDuplicate, "identifier kind "+l.Kind.String()+" listed twice", string(key), redactIndexKey(k))
			continue
		}
		seen = append(seen, k)
		c.add(&c.records[famPairs], id, k)
		if l.MergedFrom != "" {
			c.mergedFrom = append(c.mergedFrom, mergedFromRef{holder: id, from: l.MergedFrom, kind: l.Kind})
		}
	}
	cu.ID = id // the key is what the indexes name
	for _, k := range c.txn.s.customerIndexKeys(cu.Customer) {
		c.add(&c.records[customerIndexFamily(k)], string(k))
	}
	return nil
}

// parsePlainIndexKey turns the part of a readable i/ key after "i/" (a
// plain store's) back into the identifier it indexes; false when it cannot
// be one.
func parsePlainIndexKey(k string) (identity.Identifier, bool) {
	if len(k) < 3 || k[1] != ':' {
		return identity.Identifier{}, false
	}
	kind, ok := kindByCode[k[0]]
	if !ok {
		return identity.Identifier{}, false
	}
	id := identity.Identifier{Kind: kind, Value: k[2:]}
	if kind == identity.KindSocial {
		name, _, found := strings.Cut(id.Value, ":")
		if !found {
			return identity.Identifier{}, false
		}
		if id.Platform, ok = platformByName[name]; !ok {
			return identity.Identifier{}, false
		}
	}
	return id, true
}

var (
	kindByCode     = map[byte]identity.Kind{}
	platformByName = map[string]identity.Platform{}
)

func init() {
	for k := identity.KindPhone; k.Valid(); k++ {
		kindByCode[kindCode[k]] = k
	}
	for p := identity.PlatformX; p.Valid(); p++ {
		platformByName[p.String()] = p
	}
}

// indexEntry reads i/{kind}#{hash}: the holders exist, are not repeated,
// respect exclusivity and the share limit; each (holder, identifier) pair
// joins the pairs family.
func (c *checker) indexEntry(item *badger.Item) error {
	key := item.Key()
	rest := string(key[len(prefixIndex):])
	idKind, id, ok := c.parseIndexKey(rest)
	if !ok {
		c.problem(ProblemMalformedKey, "not an identifier key", redactKey(key))
		return nil
	}
	c.rep.Counts.IdentifierIndex++
	var r recordpb.IndexRecord
	var derr error
	if err := item.Value(func(v []byte) error { derr = proto.Unmarshal(v, &r); return nil }); err != nil {
		return err
	}
	if derr != nil {
		c.undecodableRecord(key, derr)
		return nil
	}
	rk := redactKey(key)
	kind := "identifier kind " + idKind.String()
	hs := r.CustomerIds
	distinct := 0
	for i, h := range hs {
		c.rep.Counts.IdentifierLinks++
		if slices.Contains(hs[:i], h) {
			c.problem(ProblemIndexDuplicateHolder, kind+": holder listed twice", rk, customerRef(h))
			continue
		}
		distinct++
		st, ok := c.customer(h)
		if !ok {
			if c.isErased(h) {
				c.problem(ProblemErasedRemains, kind+": an erased customer still holds it", rk, customerRef(h))
			} else {
				c.problem(ProblemIndexMissingCustomer, kind+": holder does not exist", rk, customerRef(h))
			}
			continue
		}
		if !st.undecodable {
			c.add(&c.index[famPairs], h, rest)
		}
	}
	switch {
	case distinct == 0:
		c.problem(ProblemIndexEmpty, kind+": no holders", rk)
	case distinct > herken.MaxHoldersPerIdentity:
		c.problem(ProblemHoldersOverLimit, fmt.Sprintf("%s: %d holders, limit %d", kind, distinct, herken.MaxHoldersPerIdentity), rk)
	}
	if distinct > 1 {
		excl, known, err := c.exclusive(idKind, id, rest, hs)
		if err != nil {
			return err
		}
		if excl && known {
			c.problem(ProblemExclusiveShared, fmt.Sprintf("%s is exclusive but has %d holders", kind, distinct), rk)
		}
	}
	return nil
}

// keyParts are the parts of a record, locator or index key (keys.go).
type keyParts struct {
	cid string // customer id
	at  string // the 16-hex-digit time part ({newest}, {due}, {occur}, {submit})
	id  string // interaction or promise id
}

// keyShapes spells the parts after each prefix: c a customer id, r an
// interaction or promise id (or, in b/, the merged customer's), t 16
// lowercase hex digits of time, o an owner and g a tag (non-empty; neither
// contains '/'), x a name prefix's keyed hash ('#' and 32 lowercase hex
// digits; a plain store's is the prefix's lowercase hex), q a request id
// (the rest of the key, non-empty).
var keyShapes = map[string]string{
	prefixHistory: "ctr", prefixPromise: "ctr", prefixOpen: "ctr",
	prefixLocateIn: "cr", prefixLocateP: "cr",
	prefixTime: "tcr", prefixFeedback: "tcr", prefixDue: "tcr",
	prefixOwner: "otcr",
	prefixTag:   "gc", prefixTagTime: "gtc", prefixUpdate: "tc", prefixName: "xc",
	prefixTarget: "cr", prefixJournal: "tc", prefixReqIndex: "cq",
	prefixAudit: "ctr", prefixAuditAge: "tcr",
}

// parseKey splits a key of a prefix in keyShapes into its parts; false
// when it is not the documented shape.
func parseKey(key []byte) (keyParts, bool) {
	var k keyParts
	shape, ok := keyShapes[prefixOf(key)]
	if !ok {
		return k, false
	}
	parts := strings.SplitN(string(key[2:]), "/", len(shape))
	if len(parts) != len(shape) || !strings.HasSuffix(shape, "q") && strings.Contains(parts[len(parts)-1], "/") {
		return k, false
	}
	for i, p := range parts {
		switch shape[i] {
		case 'c':
			k.cid, ok = p, herken.ValidID(p)
		case 'r':
			k.id, ok = p, herken.ValidID(p)
		case 't':
			k.at, ok = p, isTimeHex(p)
		case 'o', 'g', 'q':
			ok = p != "" // never shown: owners, tags and request ids may be personal data
		case 'x':
			ok = isHashedName(p) || p != "" && len(p)%2 == 0 && isLowerHex(p)
		}
		if !ok {
			return keyParts{}, false
		}
	}
	return k, true
}

// isHashedName reports whether s is the name part of a hashed s/ key.
func isHashedName(s string) bool {
	return len(s) == 1+2*shred.IndexHashSize && s[0] == '#' && isLowerHex(s[1:])
}

// isTimeHex reports whether s is a {time} key part: 16 lowercase hex digits.
func isTimeHex(s string) bool {
	return len(s) == 16 && isLowerHex(s)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// hashInteraction adds one interaction's plain record (never the sealed
// value, which differs per write) to h.
func hashInteraction(h *maphash.Hash, in herken.Interaction) error {
	b, err := marshalOpts.Marshal(interactionToRecord(in))
	if err != nil {
		return err
	}
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
	return nil
}

// finishHistory compares the record's recent copies of the customer whose
// h/ keys were just scanned with the newest of them.
func (c *checker) finishHistory() {
	if c.hCID == "" {
		return
	}
	cid := c.hCID
	c.hCID = ""
	st, ok := c.customer(cid)
	if !ok || st.undecodable {
		return
	}
	st.recentDone = true
	c.customers[cidKey(cid)] = st
	if c.hBad {
		return // an unreadable record among the newest, reported already
	}
	if int(st.recentLen) != min(c.hN, recentInline) || st.recentHash != c.hHash.Sum64() {
		c.problem(ProblemRecentMismatch, fmt.Sprintf("the record's %d copies of its newest interactions differ from its history", st.recentLen),
			string(customerKey(cid)))
	}
}

// interaction reads h/{customer}/{newest}/{interaction}: its customer
// exists, its ids match the key, the key's {newest} part is its occur time;
// it adds its j/ locator and its t/ (and f/) key to the families, counts it
// for its customer, compares it with the customer's recent copies and moves
// the customer's newest contact.
func (c *checker) interaction(item *badger.Item) error {
	key := item.Key()
	k, ok := parseKey(key)
	if !ok {
		c.problem(ProblemMalformedKey, "not h/{customer}/{newest}/{interaction}", redactKey(key))
		return nil
	}
	cid, newest, iid := k.cid, k.at, k.id
	c.rep.Counts.Interactions++
	// From the key alone: a record that does not decode still has (and
	// needs) its locator.
	c.add(&c.records[famLocateIn], string(interactionLocator(cid, iid)), newest)
	if cid != c.hCID {
		c.finishHistory()
		c.hCID, c.hN, c.hBad = cid, 0, false
		c.hHash.SetSeed(c.seed) // also resets
	}
	c.hN++
	st, exists := c.customer(cid)
	if exists {
		st.seen++
		c.customers[cidKey(cid)] = st
	} else if c.isErased(cid) {
		c.problem(ProblemErasedRemains, "an interaction of an erased customer", string(key))
	} else {
		c.problem(ProblemHistoryOrphan, "the customer does not exist", string(key), customerRef(cid))
		c.orphanOwner(cid)
	}
	var (
		in   herken.Interaction
		derr error
		ref  shred.Ref
		seal bool
	)
	if err := item.Value(func(v []byte) error {
		ref, seal = sealedRef(v)
		in, derr = decodeInteraction(c.txn, cid, key, v)
		return nil
	}); err != nil {
		return err
	}
	if derr != nil {
		c.hBad = c.hBad || c.hN <= recentInline
		c.undecodableRecord(key, derr)
		return nil
	}
	c.sealedUnder(key, cid, ref, seal)
	if c.hN <= recentInline {
		if err := hashInteraction(&c.hHash, in); err != nil {
			return err
		}
	}
	if in.ID != iid || in.CustomerID != cid {
		c.problem(ProblemRecordKeyMismatch, "the record's customer or id differs from its key", string(key))
	}
	in.ID, in.CustomerID = iid, cid // the key is what the indexes name
	c.oldest = min(c.oldest, unixNano(in.OccurTime))
	if !in.OccurTime.After(time.Unix(0, 0)) || newestHex(in.OccurTime) != newest {
		c.problem(ProblemIDTimeMismatch, "the key does not encode the occur time (history order is wrong)", string(key))
	}
	c.add(&c.records[famTime], string(timeKey(in)))
	if in.Feedback != nil && !in.Feedback.Answered() {
		c.add(&c.records[famFeedback], string(feedbackKey(in)))
	}
	if exists && in.Channel.IsContact() {
		if t := unixNano(in.OccurTime); t > st.newestContact {
			st.newestContact = t
			c.customers[cidKey(cid)] = st
		}
	}
	return nil
}

// promise reads p/{customer}/{due}/{promise}: its customer exists, ids
// match the key, the key's {due} part is its due time, its interaction
// exists (or retention explains why not); it adds its q/ locator, and for
// an OPEN promise its n/ d/ (o/) keys, to the families.
func (c *checker) promise(item *badger.Item) error {
	key := item.Key()
	k, ok := parseKey(key)
	if !ok {
		c.problem(ProblemMalformedKey, "not p/{customer}/{due}/{promise}", redactKey(key))
		return nil
	}
	cid, due, pid := k.cid, k.at, k.id
	c.rep.Counts.Promises++
	c.add(&c.records[famLocateP], string(promiseLocator(cid, pid)), due)
	switch _, exists := c.customer(cid); {
	case exists:
	case c.isErased(cid):
		c.problem(ProblemErasedRemains, "a promise of an erased customer", string(key))
	default:
		c.problem(ProblemPromiseOrphan, "the customer does not exist", string(key), customerRef(cid))
		c.orphanOwner(cid)
	}
	var (
		pr   promiseRec
		derr error
	)
	var (
		ref  shred.Ref
		seal bool
	)
	if err := item.Value(func(v []byte) error {
		ref, seal = sealedRef(v)
		pr, derr = decodePromiseRec(c.txn, cid, key, v)
		return nil
	}); err != nil {
		return err
	}
	if derr == nil {
		c.sealedUnder(key, cid, ref, seal)
	}
	p := pr.Promise
	if derr == nil && !p.State.Valid() {
		derr = errors.New("unknown state")
	}
	if derr != nil {
		if st, ok := c.customer(cid); ok {
			st.openUnknown = true // it may be an OPEN one
			c.customers[cidKey(cid)] = st
		}
		c.undecodableRecord(key, derr)
		return nil
	}
	if p.ID != pid || p.CustomerID != cid {
		c.problem(ProblemRecordKeyMismatch, "the record's customer or id differs from its key", string(key))
	}
	p.ID, p.CustomerID = pid, cid
	if !p.DueTime.After(time.Unix(0, 0)) || timeHex(p.DueTime) != due {
		c.problem(ProblemIDTimeMismatch, "the key does not encode the due time (promise order is wrong)", string(key))
	}
	if p.InteractionID != "" {
		found := herken.ValidID(p.InteractionID)
		if found {
			var err error
			if found, err = c.exists(interactionLocator(cid, p.InteractionID)); err != nil {
				return err
			}
		}
		// Retention may purge it (the promise keeps the name, promise.proto);
		// only an interaction newer than the oldest one left is missing.
		if occur, known := interactionTime(unixNano(pr.interactionOccur), p.InteractionID); !found && !c.purged(occur, known) {
			detail := "the interaction it was made in does not exist and is newer than the oldest interaction kept (not purged by retention)"
			if !known {
				detail = "the interaction it was made in does not exist, and the record does not say when it occurred (retention cannot explain it)"
			}
			c.problem(ProblemPromiseInteractionMissing, detail, string(key))
		}
	}
	if p.State == herken.PromiseOpen {
		if st, ok := c.customer(cid); ok {
			st.openSeen++
			c.customers[cidKey(cid)] = st
		}
		c.add(&c.records[famOpen], string(openKey(p)))
		c.add(&c.records[famDue], string(dueKey(p)))
		if p.Owner != "" {
			c.add(&c.records[famOwner], string(ownerKey(p)))
		}
	}
	return nil
}

// indexKey adds a t/ f/ n/ d/ or o/ key to its family after checking its
// shape (keyShapes).
func (c *checker) indexKey(f family, key []byte) {
	k, ok := parseKey(key)
	if !ok {
		c.problem(ProblemMalformedKey, "not the documented index key shape", redactKey(key))
		return
	}
	c.erasedInKey(key, k)
	c.add(&c.index[f], string(key))
}

// locator adds a j/ or q/ key and the time part it holds to its family,
// the same pair its h/ or p/ record adds (interaction, promise).
func (c *checker) locator(f family, item *badger.Item) error {
	key := item.Key()
	k, ok := parseKey(key)
	if !ok {
		c.problem(ProblemMalformedKey, "not the documented locator key shape", redactKey(key))
		return nil
	}
	c.erasedInKey(key, k)
	return item.Value(func(v []byte) error {
		c.add(&c.index[f], string(key), string(v))
		return nil
	})
}

// request reads r/{request_id}: it decodes and names a result that exists
// (a customer, or an interaction or promise of one).
func (c *checker) request(item *badger.Item) error {
	key := item.Key()
	c.rep.Counts.Requests++
	var r recordpb.RequestRecord
	var derr error
	if err := item.Value(func(v []byte) error { derr = proto.Unmarshal(v, &r); return nil }); err != nil {
		return err
	}
	if derr != nil {
		c.undecodableRecord(key, derr)
		return nil
	}
	cid, rid, child := strings.Cut(r.ResultId, "/")
	if !herken.ValidID(cid) || child && !herken.ValidID(rid) {
		c.problem(ProblemUndecodableRecord, "the result id has the wrong shape", redactKey(key))
		return nil
	}
	c.add(&c.records[famRequest], string(requestIndexKey(cid, string(key[len(prefixRequest):]))))
	live := cid
	_, exists := c.customer(cid)
	m, merged := c.merges[cid]
	switch {
	case merged && m.undecodable:
		return nil // where it went is unknown; reported as UNDECODABLE_RECORD
	case merged:
		live = m.target // merged away since: what it recorded moved there
	case exists:
	case c.isErased(cid):
		c.problem(ProblemErasedRemains, "a request record names an erased customer", redactKey(key), customerRef(cid))
		return nil
	default:
		c.problem(ProblemRequestOrphan, "the customer it created or wrote to does not exist", redactKey(key), customerRef(cid))
		return nil
	}
	if !child {
		return nil
	}
	inHistory, err := c.exists(interactionLocator(live, rid))
	if err != nil || inHistory {
		return err
	}
	isPromise, err := c.exists(promiseLocator(live, rid))
	if err != nil || isPromise {
		return err
	}
	if c.purged(interactionTime(r.InteractionOccurTime, rid)) {
		// Retention purged it while its request id was still remembered: a
		// retry answers INTERACTION_NOT_FOUND, which is the truth.
		return nil
	}
	c.problem(ProblemRequestOrphan, "the interaction or promise it recorded does not exist", redactKey(key), customerRef(cid)+"/…/"+rid)
	return nil
}

// interactionTime is when the interaction a promise or request record
// names occurred (Unix ns), as far as that record tells: the occur time the
// store copied into it (recorded, 0 when none), else, for a format-2 id of
// 24 hex digits, the time its first 16 encode (MaxInt64 minus the occur
// time, the {newest} key part). Ids are opaque otherwise; known is false
// when neither tells.
func interactionTime(recorded int64, id string) (occur int64, known bool) {
	if recorded > 0 {
		return recorded, true
	}
	if len(id) == 24 && isLowerHex(id) {
		if t, ok := newestTime(id[:16]); ok {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

// purged reports whether a missing interaction that occurred at occur is
// explained by retention: it occurred before the oldest interaction still
// stored (retention purges oldest first). h/ sorts before p/ and r/, so the
// scan has seen every interaction when it asks.
//
// An unknown time is not explained: the missing interaction is reported.
// Every write path of this build copies the time next to the id and every
// format-2 id carries it, so an unknown one means a record no write path
// made (a hand edit, or a bulk load naming interactions); saying nothing
// could hide a lost interaction, while a report of one that retention took
// costs a look.
func (c *checker) purged(occur int64, known bool) bool {
	return known && occur < c.oldest
}

func (c *checker) exists(key []byte) (bool, error) {
	_, err := c.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// summaries compares what each customer record says about its history and
// promises with what the scan found: the interaction and open-promise
// counts, the recent copies of a customer without history, and the last
// contact, which must be at least its newest contact interaction (retention
// purges old ones, so only that bound holds).
func (c *checker) summaries() {
	ids := make([]string, 0, len(c.customers))
	for k, st := range c.customers {
		if !st.undecodable && (st.count != st.seen || st.open != st.openSeen && !st.openUnknown ||
			!st.recentDone && st.recentLen != 0 || st.newestContact > st.lastContact) {
			ids = append(ids, k)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		st := c.customers[cidKey(id)]
		key := string(customerKey(id))
		if st.count != st.seen {
			c.problem(ProblemInteractionCountMismatch, fmt.Sprintf("the record counts %d interactions, the history holds %d", st.count, st.seen), key)
		}
		if st.open != st.openSeen && !st.openUnknown {
			c.problem(ProblemOpenCountMismatch, fmt.Sprintf("the record counts %d OPEN promises, %d are OPEN", st.open, st.openSeen), key)
		}
		if !st.recentDone && st.recentLen != 0 {
			c.problem(ProblemRecentMismatch, fmt.Sprintf("the record carries %d copies of interactions, the history is empty", st.recentLen), key)
		}
		if st.newestContact > st.lastContact {
			c.problem(ProblemLastContactBehind, "last contact time is older than a contact in the history", key)
		}
	}
}

// reconcile names the records behind every family whose two sides differ.
func (c *checker) reconcile() error {
	var differs [famCount]bool
	anyDiffers := false
	for f := range famCount {
		differs[f] = c.records[f] != c.index[f]
		anyDiffers = anyDiffers || differs[f]
	}
	if !anyDiffers {
		return nil
	}
	before := maps.Clone(c.rep.ProblemCounts)
	if differs[famPairs] {
		if err := c.localisePairs(); err != nil {
			return err
		}
	}
	if differs[famTime] || differs[famFeedback] || differs[famLocateIn] {
		if err := c.localiseHistory(differs[famTime], differs[famFeedback], differs[famLocateIn]); err != nil {
			return err
		}
	}
	if differs[famOpen] || differs[famDue] || differs[famOwner] || differs[famLocateP] {
		if err := c.localisePromises(differs[famOpen], differs[famDue], differs[famOwner], differs[famLocateP]); err != nil {
			return err
		}
	}
	if differs[famTag] || differs[famTagTime] || differs[famUpdate] || differs[famName] {
		if err := c.localiseCustomerIndexes(differs); err != nil {
			return err
		}
	}
	if differs[famTarget] {
		if err := c.localiseTargets(); err != nil {
			return err
		}
	}
	if differs[famRequest] {
		if err := c.localiseRequests(); err != nil {
			return err
		}
	}
	if differs[famAudit] {
		if err := c.localiseAudit(); err != nil {
			return err
		}
	}
	// A family that differs where no record could be named is still a
	// problem — unless records of its prefixes were unreadable (reported
	// already), which explains the difference. The locator and audit
	// families compare keys and their time parts only, so nothing
	// unreadable explains them.
	kinds := [famCount][]string{
		{ProblemIdentifierNotIndexed, ProblemIndexHolderMismatch}, {ProblemTimeIndexMismatch},
		{ProblemFeedbackIndexMismatch}, {ProblemOpenIndexMismatch}, {ProblemDueIndexMismatch}, {ProblemOwnerIndexMismatch},
		{ProblemInteractionLocatorMismatch}, {ProblemPromiseLocatorMismatch},
		{ProblemTagIndexMismatch}, {ProblemTagIndexMismatch}, {ProblemUpdateIndexMismatch}, {ProblemNameIndexMismatch},
		{ProblemTargetIndexMismatch}, {ProblemRequestIndexMismatch}, {ProblemAuditIndexMismatch},
	}
	prefixes := [famCount]string{"ci", "h", "h", "p", "p", "p", "", "", "c", "c", "c", "c", "g", "r", ""}
	for f := range famCount {
		if !differs[f] {
			continue
		}
		named, unreadable := false, 0
		for _, k := range kinds[f] {
			named = named || c.rep.ProblemCounts[k] > before[k]
		}
		// What is left of an erased customer (reported in the main pass
		// or just now) explains any family.
		named = named || c.rep.ProblemCounts[ProblemErasedRemains] > 0
		for _, b := range []byte(prefixes[f]) {
			unreadable += c.undecodable[b]
		}
		if !named && unreadable == 0 {
			c.problem(ProblemIndexDigestMismatch, kinds[f][0]+": the index and its records disagree, but no single key could be named")
		}
	}
	return nil
}

// scan calls fn for every key under prefix (values read on demand).
func (c *checker) scan(prefix string, fn func(item *badger.Item) error) error {
	opts := badger.IteratorOptions{PrefetchValues: false, Prefix: []byte(prefix)}
	it := c.txn.NewIterator(opts)
	defer it.Close()
	for it.Seek(opts.Prefix); it.ValidForPrefix(opts.Prefix); it.Next() {
		if err := c.tick(); err != nil {
			return err
		}
		if err := fn(it.Item()); err != nil {
			return err
		}
	}
	return nil
}

// getCustomer reads one customer; ok false when absent or unreadable (both
// reported by the main pass).
func (c *checker) getCustomer(id string) (herken.Customer, bool, error) {
	cu, err := getCustomer(c.txn, id)
	switch {
	case err == nil:
		return cu, true, nil
	case errors.Is(err, herken.ErrCustomerNotFound) || isDecodeError(err):
		return herken.Customer{}, false, nil
	}
	return herken.Customer{}, false, err
}

// localisePairs names the customers whose identifiers are not indexed and
// the holders that do not list their identifier.
func (c *checker) localisePairs() error {
	err := c.scan(prefixCustomer, func(item *badger.Item) error {
		id := string(item.Key()[len(prefixCustomer):])
		if !herken.ValidID(id) {
			return nil
		}
		cu, ok, err := c.getCustomer(id)
		if err != nil || !ok {
			return err
		}
		var seen []string
		for _, l := range cu.Identifiers {
			name := c.txn.s.indexName(l.Identifier)
			if !l.Kind.Valid() || slices.Contains(seen, name) {
				continue
			}
			seen = append(seen, name)
			hs, err := holders(c.txn, l.Identifier)
			if err != nil {
				if isDecodeError(err) {
					continue // reported as UNDECODABLE_RECORD
				}
				return err
			}
			if !slices.Contains(hs, id) {
				detail := "identifier kind " + l.Kind.String() + ": "
				if hs == nil {
					detail += "no index entry"
				} else {
					detail += "the index entry does not name the customer"
				}
				c.problem(ProblemIdentifierNotIndexed, detail, string(item.Key()), redactIndexKey(name))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.scan(prefixIndex, func(item *badger.Item) error {
		key := item.Key()
		rest := string(key[len(prefixIndex):])
		kind, _, ok := c.parseIndexKey(rest)
		if !ok {
			return nil
		}
		var r recordpb.IndexRecord
		if err := item.Value(func(v []byte) error { return proto.Unmarshal(v, &r) }); err != nil {
			return nil // reported as UNDECODABLE_RECORD
		}
		for i, h := range r.CustomerIds {
			if slices.Contains(r.CustomerIds[:i], h) || !herken.ValidID(h) {
				continue
			}
			cu, ok, err := c.getCustomer(h)
			if err != nil {
				return err
			}
			if ok && !c.listsKey(cu, rest) {
				c.problem(ProblemIndexHolderMismatch, "identifier kind "+kind.String()+": the holder does not list it",
					redactKey(key), customerRef(h))
			}
		}
		return nil
	})
}

func (c *checker) listsKey(cu herken.Customer, key string) bool {
	for _, l := range cu.Identifiers {
		if l.Kind.Valid() && c.txn.s.indexName(l.Identifier) == key {
			return true
		}
	}
	return false
}

// localiseHistory names the interactions whose j/ locator, t/ or f/ entry
// is missing or wrong, and the j/ t/ or f/ entries that name no such
// interaction.
func (c *checker) localiseHistory(doTime, doFeedback, doLocate bool) error {
	err := c.scan(prefixHistory, func(item *badger.Item) error {
		key := item.Key()
		k, ok := parseKey(key)
		if !ok || c.isErased(k.cid) {
			return nil // reported as MALFORMED_KEY or ERASED_REMAINS
		}
		if doLocate {
			if err := c.locatorHolds(ProblemInteractionLocatorMismatch, key, interactionLocator(k.cid, k.id), k.at); err != nil {
				return err
			}
		}
		if !doTime && !doFeedback {
			return nil
		}
		in, err := readInteractionAt(c.txn, k.cid, key)
		if err != nil {
			if isDecodeError(err) {
				return nil
			}
			return err
		}
		in.ID, in.CustomerID = k.id, k.cid
		if doTime {
			if ok, err := c.exists(timeKey(in)); err != nil {
				return err
			} else if !ok {
				c.problem(ProblemTimeIndexMismatch, "the interaction has no t/ entry", string(key))
			}
		}
		if doFeedback && in.Feedback != nil && !in.Feedback.Answered() {
			if ok, err := c.exists(feedbackKey(in)); err != nil {
				return err
			} else if !ok {
				c.problem(ProblemFeedbackIndexMismatch, "unanswered feedback has no f/ entry", string(key))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if doLocate {
		if err := c.strayLocators(prefixLocateIn, ProblemInteractionLocatorMismatch, historyKey); err != nil {
			return err
		}
	}
	check := func(prefix, kind string, want func(in herken.Interaction) ([]byte, string)) error {
		return c.scan(prefix, func(item *badger.Item) error {
			key := item.Key()
			k, ok := parseKey(key)
			if !ok || c.erasedLate(key, k) {
				return nil // reported as MALFORMED_KEY or ERASED_REMAINS
			}
			in, found, err := c.interactionByID(k.cid, k.id)
			switch {
			case isDecodeError(err):
				return nil
			case err != nil:
				return err
			case !found:
				c.problem(kind, "names an interaction that does not exist", string(key))
				return nil
			}
			in.ID, in.CustomerID = k.id, k.cid
			if wantKey, why := want(in); !bytes.Equal(wantKey, key) {
				c.problem(kind, why, string(key))
			}
			return nil
		})
	}
	if doTime {
		err := check(prefixTime, ProblemTimeIndexMismatch, func(in herken.Interaction) ([]byte, string) {
			return timeKey(in), "the time differs from the interaction's occur time"
		})
		if err != nil {
			return err
		}
	}
	if doFeedback {
		return check(prefixFeedback, ProblemFeedbackIndexMismatch, func(in herken.Interaction) ([]byte, string) {
			if in.Feedback == nil || in.Feedback.Answered() {
				return nil, "the interaction has no unanswered feedback"
			}
			return feedbackKey(in), "the time differs from the feedback's submit time"
		})
	}
	return nil
}

// locatorHolds reports a record (at key) whose locator is missing or holds
// another time part than the record's key.
func (c *checker) locatorHolds(kind string, key, locator []byte, at string) error {
	item, err := c.txn.Get(locator)
	if errors.Is(err, badger.ErrKeyNotFound) {
		c.problem(kind, "the record has no "+string(locator[:2])+" locator: it cannot be found by id", string(key))
		return nil
	}
	if err != nil {
		return err
	}
	return item.Value(func(v []byte) error {
		if string(v) != at {
			c.problem(kind, "the locator holds another time than the record's key: it finds another record or none", string(key), string(locator))
		}
		return nil
	})
}

// strayLocators reports the j/ or q/ locators whose record is not where
// they say (recordKey builds the h/ or p/ key from a locator's parts).
func (c *checker) strayLocators(prefix, kind string, recordKey func(cid, at, id string) []byte) error {
	return c.scan(prefix, func(item *badger.Item) error {
		key := item.Key()
		k, ok := parseKey(key)
		if !ok || c.erasedLate(key, k) {
			return nil // reported as MALFORMED_KEY or ERASED_REMAINS
		}
		return item.Value(func(v []byte) error {
			if !isTimeHex(string(v)) {
				c.problem(kind, "the locator does not hold a 16-hex-digit time", string(key))
				return nil
			}
			found, err := c.exists(recordKey(k.cid, string(v), k.id))
			if err == nil && !found {
				c.problem(kind, "the locator names a record that does not exist", string(key))
			}
			return err
		})
	})
}

// interactionByID reads an interaction as the store finds it by id,
// through its j/ locator; found is false when the locator or the record it
// names is missing (both reported by the locator family, if at all). A
// record that does not decode is a decodeError.
func (c *checker) interactionByID(cid, iid string) (in herken.Interaction, found bool, err error) {
	key, err := locateInteraction(c.txn, cid, iid)
	if errors.Is(err, herken.ErrInteractionNotFound) {
		return in, false, nil
	}
	if err != nil {
		return in, false, err
	}
	if ok, err := c.exists(key); err != nil || !ok {
		return in, false, err
	}
	in, err = readInteractionAt(c.txn, cid, key)
	return in, err == nil, err
}

// promiseByID is interactionByID for promises (q/ locator).
func (c *checker) promiseByID(cid, pid string) (p herken.Promise, found bool, err error) {
	item, err := c.txn.Get(promiseLocator(cid, pid))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	due, err := item.ValueCopy(nil)
	if err != nil {
		return p, false, err
	}
	key := promiseKeyAt(cid, string(due), pid)
	if ok, err := c.exists(key); err != nil || !ok {
		return p, false, err
	}
	p, err = getPromiseAt(c.txn, cid, key)
	return p, err == nil, err
}

// localisePromises names the promises whose q/ locator is missing or
// wrong, the OPEN ones missing an n/ d/ or o/ entry, and the q/ n/ d/ and
// o/ entries that name no such promise.
func (c *checker) localisePromises(doOpen, doDue, doOwner, doLocate bool) error {
	err := c.scan(prefixPromise, func(item *badger.Item) error {
		key := item.Key()
		k, ok := parseKey(key)
		if !ok || c.isErased(k.cid) {
			return nil // reported as MALFORMED_KEY or ERASED_REMAINS
		}
		if doLocate {
			if err := c.locatorHolds(ProblemPromiseLocatorMismatch, key, promiseLocator(k.cid, k.id), k.at); err != nil {
				return err
			}
		}
		if !doOpen && !doDue && !doOwner {
			return nil
		}
		p, err := getPromiseAt(c.txn, k.cid, key)
		if err != nil {
			if isDecodeError(err) {
				return nil
			}
			return err
		}
		if p.State != herken.PromiseOpen {
			return nil
		}
		p.ID, p.CustomerID = k.id, k.cid
		want := []struct {
			on   bool
			key  []byte
			kind string
		}{
			{doOpen, openKey(p), ProblemOpenIndexMismatch},
			{doDue, dueKey(p), ProblemDueIndexMismatch},
			{doOwner && p.Owner != "", ownerKey(p), ProblemOwnerIndexMismatch},
		}
		for _, w := range want {
			if !w.on {
				continue
			}
			if ok, err := c.exists(w.key); err != nil {
				return err
			} else if !ok {
				c.problem(w.kind, "the OPEN promise has no "+string(w.key[:2])+" entry", string(key))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if doLocate {
		if err := c.strayLocators(prefixLocateP, ProblemPromiseLocatorMismatch, promiseKeyAt); err != nil {
			return err
		}
	}
	check := func(prefix, kind string, want func(p herken.Promise) []byte) error {
		return c.scan(prefix, func(item *badger.Item) error {
			key := item.Key()
			k, ok := parseKey(key)
			if !ok || c.erasedLate(key, k) {
				return nil // reported as MALFORMED_KEY or ERASED_REMAINS
			}
			p, found, err := c.promiseByID(k.cid, k.id)
			switch {
			case isDecodeError(err):
				return nil
			case err != nil:
				return err
			case !found:
				c.problem(kind, "names a promise that does not exist", redactKey(key))
				return nil
			}
			p.ID, p.CustomerID = k.id, k.cid
			switch {
			case p.State != herken.PromiseOpen:
				c.problem(kind, "names a promise that is "+p.State.String()+", not OPEN", redactKey(key))
			case !bytes.Equal(want(p), key):
				c.problem(kind, "the due time or owner differs from the promise's", redactKey(key))
			}
			return nil
		})
	}
	if doOpen {
		if err := check(prefixOpen, ProblemOpenIndexMismatch, openKey); err != nil {
			return err
		}
	}
	if doDue {
		if err := check(prefixDue, ProblemDueIndexMismatch, dueKey); err != nil {
			return err
		}
	}
	if doOwner {
		return check(prefixOwner, ProblemOwnerIndexMismatch, func(p herken.Promise) []byte {
			if p.Owner == "" {
				return nil
			}
			return ownerKey(p)
		})
	}
	return nil
}

// customerRef names a customer in a report: its resource name when the id
// has the right shape, otherwise only that it is malformed (a malformed id
// could be anything, personal data included).
func customerRef(id string) string {
	if herken.ValidID(id) {
		return "customers/" + id
	}
	return fmt.Sprintf("customers/<malformed, %d bytes>", len(id))
}

// redactIndexKey shows an i/ key by its kind code only: "i/p:<redacted>"
// (for the hashed "i/p#..." and the readable "i/p:..." alike: a hash can be
// tested against guesses by whoever has the key file, so it is not shown
// either).
func redactIndexKey(k string) string {
	if len(k) >= 2 && (k[1] == ':' || k[1] == '#') {
		if _, ok := kindByCode[k[0]]; ok {
			return prefixIndex + k[:1] + ":<redacted>"
		}
	}
	return prefixIndex + "<redacted>"
}

// redactKey shows a key without personal data: ids, times and kind codes
// pass; identifier values, owners, request ids and anything that does not
// have the documented shape are replaced by a placeholder.
func redactKey(key []byte) string {
	s := string(key)
	switch prefixOf(key) {
	case prefixMeta:
		if s == keyFormat || s == keySecret {
			return s
		}
	case prefixCustomer:
		if herken.ValidID(s[2:]) {
			return s
		}
	case prefixIndex:
		return redactIndexKey(s[2:])
	case prefixHistory, prefixLocateIn, prefixPromise, prefixLocateP, prefixOpen, prefixTime, prefixFeedback, prefixDue:
		if _, ok := parseKey(key); ok {
			return s
		}
	case prefixOwner:
		if k, ok := parseKey(key); ok {
			return prefixOwner + "<owner>/" + k.at + "/" + k.cid + "/" + k.id
		}
	case prefixRequest:
		return prefixRequest + "<redacted>"
	case prefixUpdate, prefixTarget, prefixJournal, prefixAudit, prefixAuditAge:
		if _, ok := parseKey(key); ok {
			return s
		}
	case prefixMerge, prefixErased, prefixKeyRef:
		if herken.ValidID(s[2:]) {
			return s
		}
	case prefixTag:
		if k, ok := parseKey(key); ok {
			return prefixTag + "<tag>/" + k.cid
		}
	case prefixTagTime:
		if k, ok := parseKey(key); ok {
			return prefixTagTime + "<tag>/" + k.at + "/" + k.cid
		}
	case prefixName:
		if k, ok := parseKey(key); ok {
			return prefixName + "<name>/" + k.cid
		}
	case prefixReqIndex:
		if k, ok := parseKey(key); ok {
			return prefixReqIndex + k.cid + "/<redacted>"
		}
	}
	if len(key) >= 2 && key[1] == '/' && key[0] >= 'a' && key[0] <= 'z' {
		return fmt.Sprintf("%s<%d bytes>", key[:2], len(key)-2)
	}
	return fmt.Sprintf("<%d-byte key>", len(key))
}
