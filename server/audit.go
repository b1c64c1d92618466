package server

import (
	"context"
	"slices"
	"strings"

	"github.com/herken/herken"

	"google.golang.org/grpc"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// The audit trail (AVG accountability): after every successful call the
// interceptor records, per customer whose data the call read or changed,
// who (the key's name), what (the RPC), which customer and when. It hands
// the records to Config.Audit, which writes them off the request path
// (internal/audit). A failed call read or changed nothing and is not
// recorded.

// auditRule says what one RPC does to customers' data. name returns the
// resource name of the i-th customer the call touched ("customers/{c}" or
// a resource under it), false past the last: an index rather than a slice,
// so a Lookup's audit allocates nothing beyond its record.
type auditRule struct {
	action herken.AuditAction
	name   func(req, resp any, i int) (string, bool)
}

// noCustomer is the rule of an RPC that touches no customer's data (or, for
// EraseCustomer, whose record the domain writes itself).
var noCustomer = auditRule{}

// auditRules covers every herken.v1 RPC (audit_test.go checks): one added
// without a rule fails the tests, rather than going unaudited.
var auditRules = map[string]auditRule{
	// The matched customer and every candidate of a shared identifier:
	// their summaries are in the response.
	herkenv1.RecognitionService_Lookup_FullMethodName:  {herken.AuditRead, lookupNames},
	herkenv1.RecognitionService_Resolve_FullMethodName: {herken.AuditRead, resolveNames},

	herkenv1.CustomerService_CreateCustomer_FullMethodName: {herken.AuditChange, one(func(r *herkenv1.CreateCustomerResponse) string { return r.GetCustomer().GetName() })},
	// The survivor when the name asked for was merged: its data was read.
	herkenv1.CustomerService_GetCustomer_FullMethodName:      {herken.AuditRead, one(func(r *herkenv1.GetCustomerResponse) string { return r.GetCustomer().GetName() })},
	herkenv1.CustomerService_UpdateCustomer_FullMethodName:   {herken.AuditChange, one(func(r *herkenv1.UpdateCustomerResponse) string { return r.GetCustomer().GetName() })},
	herkenv1.CustomerService_ListCustomers_FullMethodName:    {herken.AuditRead, listCustomersNames},
	herkenv1.CustomerService_AddIdentifier_FullMethodName:    {herken.AuditChange, one(func(r *herkenv1.AddIdentifierResponse) string { return r.GetCustomer().GetName() })},
	herkenv1.CustomerService_RemoveIdentifier_FullMethodName: {herken.AuditChange, one(func(r *herkenv1.RemoveIdentifierResponse) string { return r.GetCustomer().GetName() })},
	herkenv1.CustomerService_MergeCustomers_FullMethodName:   {herken.AuditChange, mergeNames},
	herkenv1.CustomerService_UnmergeCustomers_FullMethodName: {herken.AuditChange, unmergeNames},
	// The domain records the erasure of every erased id itself, in a write
	// of its own right after the erasure (AuditErase): nothing to add here.
	herkenv1.CustomerService_EraseCustomer_FullMethodName: noCustomer,
	// The customer, and every customer merged into it: their records as
	// they were are in the export.
	herkenv1.CustomerService_ExportCustomer_FullMethodName: {herken.AuditRead, exportNames},
	// Each customer an import created or changed (a stream: the handler
	// records them, importAudit). An unchanged one was compared, not shown.
	herkenv1.CustomerService_ImportCustomers_FullMethodName: {herken.AuditChange, importNames},

	herkenv1.InteractionService_RecordInteraction_FullMethodName: {herken.AuditChange, one(func(r *herkenv1.RecordInteractionResponse) string { return r.GetInteraction().GetName() })},
	// Each customer whose interactions the page holds (with customers/-:
	// the unanswered feedback of several customers).
	herkenv1.InteractionService_ListInteractions_FullMethodName: {herken.AuditRead, listInteractionsNames},
	herkenv1.InteractionService_SubmitFeedback_FullMethodName:   {herken.AuditChange, one(func(r *herkenv1.SubmitFeedbackResponse) string { return r.GetInteraction().GetName() })},
	herkenv1.InteractionService_AnswerFeedback_FullMethodName:   {herken.AuditChange, one(func(r *herkenv1.AnswerFeedbackResponse) string { return r.GetInteraction().GetName() })},

	herkenv1.PromiseService_CreatePromise_FullMethodName: {herken.AuditChange, one(func(r *herkenv1.CreatePromiseResponse) string { return r.GetPromise().GetName() })},
	herkenv1.PromiseService_GetPromise_FullMethodName:    {herken.AuditRead, one(func(r *herkenv1.GetPromiseResponse) string { return r.GetPromise().GetName() })},
	herkenv1.PromiseService_KeepPromise_FullMethodName:   {herken.AuditChange, one(func(r *herkenv1.KeepPromiseResponse) string { return r.GetPromise().GetName() })},
	herkenv1.PromiseService_CancelPromise_FullMethodName: {herken.AuditChange, one(func(r *herkenv1.CancelPromiseResponse) string { return r.GetPromise().GetName() })},
	herkenv1.PromiseService_ListPromises_FullMethodName:  {herken.AuditRead, listPromisesNames},

	// Counters of the sweepers: no customer's data.
	herkenv1.MaintenanceService_GetMaintenanceStatus_FullMethodName: noCustomer,
	// Reading a customer's trail says who looked at them: that reading is
	// itself on the trail, so the customer sees the admin who asked.
	herkenv1.AuditService_ListAuditRecords_FullMethodName: {herken.AuditRead, fromRequest(func(r *herkenv1.ListAuditRecordsRequest) string { return r.GetParent() })},
	// A backup copies every customer at once: an operator's act, logged by
	// the server, not a read of one customer to put on their trail.
	herkenv1.BackupService_Backup_FullMethodName: noCustomer,

	// A link is signed without a lookup: nobody's data is read.
	herkenv1.ScreenPopService_CreateScreenPopLink_FullMethodName: noCustomer,
	// A screen pop view, under the name of the key that signed the link
	// (authLink): the customer shown, the candidates and the name
	// search's results are on the agent's screen.
	herkenv1.ScreenPopService_GetScreenPop_FullMethodName: {herken.AuditRead, screenPopNames},
}

func (s *Server) auditInterceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	if s.cfg.Audit == nil {
		return nil, nil
	}
	// The streaming RPCs record their own (ImportCustomers) or touch no
	// single customer (Backup).
	return []grpc.UnaryServerInterceptor{s.auditUnary}, nil
}

func (s *Server) auditUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	if err != nil {
		return resp, err
	}
	if rule, ok := auditRules[info.FullMethod]; ok && rule.name != nil {
		s.audit(ctx, info.FullMethod, rule, req, resp)
	}
	return resp, err
}

// requestIDRequest is a request with a client-chosen request_id (the
// idempotent writes).
type requestIDRequest interface{ GetRequestId() string }

// audit records one successful call: one record per distinct customer.
func (s *Server) audit(ctx context.Context, method string, rule auditRule, req, resp any) {
	base := herken.AuditRecord{
		Time:   s.svc.Now(),
		Actor:  callerName(ctx),
		Method: method,
		Action: rule.action,
	}
	if r, ok := req.(requestIDRequest); ok {
		base.RequestID = r.GetRequestId()
	}
	if base.RequestID == "" {
		base.RequestID = requestID(ctx)
	}
	// Lists name a customer many times (a page of their interactions):
	// one record per customer. The first few are remembered on the stack,
	// more in a map.
	var small [8]string
	seen := small[:0]
	var many map[string]bool
	for i := 0; ; i++ {
		name, ok := rule.name(req, resp, i)
		if !ok {
			return
		}
		id := customerOf(name)
		switch {
		case id == "":
			continue
		case many != nil:
			if many[id] {
				continue
			}
			many[id] = true
		case slices.Contains(seen, id):
			continue
		case len(seen) < len(small):
			seen = append(seen, id)
		default:
			many = make(map[string]bool, 2*len(small))
			for _, x := range seen {
				many[x] = true
			}
			many[id] = true
		}
		rec := base
		rec.CustomerID = id
		s.cfg.Audit.Record(rec)
	}
}

// customerOf is the customer id of a customer's resource name or of a
// resource under it; "" for anything else (the customers/- wildcard).
func customerOf(name string) string {
	rest, ok := strings.CutPrefix(name, customersPrefix)
	if !ok {
		return ""
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	if !herken.ValidID(rest) {
		return ""
	}
	return rest
}

// one names the single resource in a response of type R.
func one[R any](get func(R) string) func(req, resp any, i int) (string, bool) {
	return func(_, resp any, i int) (string, bool) {
		r, ok := resp.(R)
		if !ok || i > 0 {
			return "", false
		}
		return get(r), true
	}
}

// fromRequest names the single customer a request of type R names.
func fromRequest[R any](get func(R) string) func(req, resp any, i int) (string, bool) {
	return func(req, _ any, i int) (string, bool) {
		r, ok := req.(R)
		if !ok || i > 0 {
			return "", false
		}
		return get(r), true
	}
}

func lookupNames(_, resp any, i int) (string, bool) {
	r, ok := resp.(*herkenv1.LookupResponse)
	if !ok {
		return "", false
	}
	return recognizedOrCandidate(r.GetCustomer(), r.GetCandidates(), i)
}

// recognizedOrCandidate: index 0 is the recognised customer when there is
// one, then the candidates.
func recognizedOrCandidate(c *herkenv1.RecognizedCustomer, cands []*herkenv1.CustomerSummary, i int) (string, bool) {
	if c != nil {
		if i == 0 {
			return c.GetCustomer().GetName(), true
		}
		i--
	}
	if i < len(cands) {
		return cands[i].GetName(), true
	}
	return "", false
}

// resolveNames: the recognised customer, the candidates, and every
// customer an identifier matched (the response says who holds it).
func resolveNames(_, resp any, i int) (string, bool) {
	r, ok := resp.(*herkenv1.ResolveResponse)
	if !ok {
		return "", false
	}
	n := len(r.GetCandidates())
	if r.GetCustomer() != nil {
		n++
	}
	if i < n {
		return recognizedOrCandidate(r.GetCustomer(), r.GetCandidates(), i)
	}
	i -= n
	for _, m := range r.GetMatches() {
		if i < len(m.GetCustomers()) {
			return m.GetCustomers()[i], true
		}
		i -= len(m.GetCustomers())
	}
	return "", false
}

func screenPopNames(_, resp any, i int) (string, bool) {
	r, ok := resp.(*herkenv1.GetScreenPopResponse)
	if !ok {
		return "", false
	}
	n := len(r.GetCandidates())
	if r.GetCustomer() != nil {
		n++
	}
	if i < n {
		return recognizedOrCandidate(r.GetCustomer(), r.GetCandidates(), i)
	}
	if i -= n; i < len(r.GetSearchResults()) {
		return r.GetSearchResults()[i].GetName(), true
	}
	return "", false
}

func listCustomersNames(_, resp any, i int) (string, bool) {
	r, ok := resp.(*herkenv1.ListCustomersResponse)
	if !ok || i >= len(r.GetCustomers()) {
		return "", false
	}
	return r.GetCustomers()[i].GetName(), true
}

// mergeNames: the survivor, and the merged customer as the request named
// it (the response shows only the survivor).
func mergeNames(req, resp any, i int) (string, bool) {
	switch i {
	case 0:
		r, ok := resp.(*herkenv1.MergeCustomersResponse)
		return r.GetSurvivor().GetName(), ok
	case 1:
		r, ok := req.(*herkenv1.MergeCustomersRequest)
		return r.GetMerged(), ok
	}
	return "", false
}

func unmergeNames(_, resp any, i int) (string, bool) {
	r, ok := resp.(*herkenv1.UnmergeCustomersResponse)
	switch {
	case !ok:
		return "", false
	case i == 0:
		return r.GetSurvivor().GetName(), true
	case i == 1:
		return r.GetMerged().GetName(), true
	}
	return "", false
}

func exportNames(_, resp any, i int) (string, bool) {
	r, ok := resp.(*herkenv1.ExportCustomerResponse)
	switch {
	case !ok:
		return "", false
	case i == 0:
		return r.GetCustomer().GetName(), true
	case i-1 < len(r.GetMerges()):
		return r.GetMerges()[i-1].GetMerged(), true
	}
	return "", false
}

func listInteractionsNames(_, resp any, i int) (string, bool) {
	r, ok := resp.(*herkenv1.ListInteractionsResponse)
	if !ok || i >= len(r.GetInteractions()) {
		return "", false
	}
	return r.GetInteractions()[i].GetName(), true
}

func listPromisesNames(_, resp any, i int) (string, bool) {
	r, ok := resp.(*herkenv1.ListPromisesResponse)
	if !ok || i >= len(r.GetPromises()) {
		return "", false
	}
	return r.GetPromises()[i].GetName(), true
}

func importNames(_, resp any, i int) (string, bool) {
	r, ok := resp.(*herkenv1.ImportCustomersResponse)
	if !ok || i >= len(r.GetResults()) {
		return "", false
	}
	switch res := r.GetResults()[i]; res.GetOutcome() {
	case herkenv1.ImportResult_OUTCOME_CREATED, herkenv1.ImportResult_OUTCOME_UPDATED:
		return res.GetCustomer(), true
	}
	return "", true // failed or unchanged: the audit skips an empty name
}
