package herken

import (
	"context"
	"strings"
	"time"
)

// AuditAction says what a call did to a customer's data.
type AuditAction int

const (
	AuditRead   AuditAction = iota + 1 // the call returned the customer's data
	AuditChange                        // the call changed it
	AuditErase                         // the customer was erased
)

// AuditRecord says that Actor read or changed one customer's data through
// Method at Time. It holds nothing personal (ids and names of keys and
// methods only), so it may outlive the customer: erasure keeps a
// customer's trail and adds its own record.
type AuditRecord struct {
	ID         string // NewID(), set by whoever creates the record
	CustomerID string // as the call named the customer after resolving merges
	Time       time.Time
	Actor      string // the API key's name; AnonymousActor without authentication
	Method     string // the full RPC name, e.g. "/herken.v1.RecognitionService/Lookup"
	Action     AuditAction
	RequestID  string // the caller's request id, if any
}

// AuditEraseMethod is the Method of the AuditErase records EraseCustomer
// writes.
const AuditEraseMethod = "/herken.v1.CustomerService/EraseCustomer"

// AuditNewestFirst is the order of an audit trail: newest first, ties by
// ID. Stores list audit records in this order.
func AuditNewestFirst(a, b AuditRecord) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// AnonymousActor is the actor of calls to a server that runs without
// authentication (loopback only).
const AnonymousActor = "anonymous"

// AuditQuery selects one page of one customer's audit trail.
type AuditQuery struct {
	CustomerID string
	PageSize   int    // already coerced by the caller (1..MaxPageSize)
	PageToken  string // "" for the first page
}

// Fingerprint binds page tokens to the query.
func (q AuditQuery) Fingerprint() []byte { return fingerprint("audit", q.CustomerID) }

// DefaultAuditRetention is how long audit records are kept by default:
// more than a year, so "who looked at my data last year?" can be answered.
const DefaultAuditRetention = 400 * 24 * time.Hour

// MaxExportAuditRecords caps the audit records ExportCustomer includes (the
// newest); ListAuditRecords pages through all of them.
const MaxExportAuditRecords = 5000

// AuditStore is the part of Store that keeps the audit trail.
type AuditStore interface {
	// AppendAudit stores recs (IDs set by the caller) in one write, durably
	// when the store syncs writes (a store may split a batch too big for
	// one transaction: a retry of the whole batch is safe). Records are
	// never changed afterwards; a record already stored for its customer
	// with the same ID and Time (a retried batch resends the same records)
	// is not stored twice, so a retry does not duplicate. Both ids must be ValidID,
	// else nothing is stored (INTERNAL: a caller bug). EraseCustomer and
	// merges keep audit records where they are.
	AppendAudit(ctx context.Context, recs []AuditRecord) error

	// ListAudit returns one page of q.CustomerID's audit records, newest
	// first (ties by ID), and the next page token. Any well-formed id may be
	// asked for (merged away, erased, unknown: an empty trail). A token
	// from another query is ErrPageToken.
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditRecord, string, error)

	// PurgeAudit deletes audit records with Time before cutoff, oldest
	// first, at most limit, and reports how many and whether more are
	// waiting.
	PurgeAudit(ctx context.Context, cutoff time.Time, limit int) (int, bool, error)
}

// AppendAudit stores audit records (the server's recorder calls it in
// batches, off the request path).
func (s *Service) AppendAudit(ctx context.Context, recs []AuditRecord) error {
	if len(recs) == 0 {
		return nil
	}
	return s.store.AppendAudit(ctx, recs)
}

// ListAudit returns one page of the audit trail of the customer id names
// (not resolved: a merged or erased name keeps its own trail).
func (s *Service) ListAudit(ctx context.Context, id string, size int, pageToken string) ([]AuditRecord, string, error) {
	size, err := pageSize(size)
	if err != nil {
		return nil, "", err
	}
	return s.store.ListAudit(ctx, AuditQuery{CustomerID: id, PageSize: size, PageToken: pageToken})
}

// PurgeAudit deletes audit records older than retention, at most limit,
// and reports how many and whether more are waiting (the audit sweeper, as
// PurgeHistory for interactions).
func (s *Service) PurgeAudit(ctx context.Context, retention time.Duration, limit int) (int, bool, error) {
	return s.store.PurgeAudit(ctx, s.now().UTC().Add(-retention), limit)
}
