package badinput

import (
	"math"
	"strings"

	"google.golang.org/grpc/codes"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const mListAudit = herkenv1.AuditService_ListAuditRecords_FullMethodName

// auditRows are the rows of AuditService.ListAuditRecords. Any well-formed
// customer name is valid (an unknown, merged or erased one has its own
// trail), so every row is about the form of the request.
func auditRows(f Fixture) []Row {
	inv := codes.InvalidArgument
	list := func(parent string) *herkenv1.ListAuditRecordsRequest {
		return &herkenv1.ListAuditRecordsRequest{Parent: parent}
	}
	return []Row{
		{Name: "empty parent", Method: mListAudit, Req: list(""), Want: Want{inv, "FIELD_REQUIRED", "parent"}},
		{Name: "wildcard parent", Method: mListAudit, Req: list("customers/-"), Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "bare id", Method: mListAudit, Req: list(idOf(f.Jan)), Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "uppercase id", Method: mListAudit, Req: list("customers/" + upper(idOf(f.Jan))), Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "interaction name", Method: mListAudit, Req: list(f.Answered), Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "parent of 100 KiB", Method: mListAudit, Req: list("customers/" + strings.Repeat("a", 100<<10)), Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "negative page_size", Method: mListAudit, Req: &herkenv1.ListAuditRecordsRequest{Parent: f.Jan, PageSize: -1}, Want: Want{inv, "FIELD_INVALID", "page_size"}},
		{Name: "page_size MinInt32", Method: mListAudit, Req: &herkenv1.ListAuditRecordsRequest{Parent: f.Erased, PageSize: math.MinInt32}, Want: Want{inv, "FIELD_INVALID", "page_size"}},
		{Name: "bad parent and page_size", Method: mListAudit, Req: &herkenv1.ListAuditRecordsRequest{Parent: "customers/Jan", PageSize: -5}, Want: Want{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{Name: "forged page token", Method: mListAudit, Req: &herkenv1.ListAuditRecordsRequest{Parent: f.Jan, PageToken: "bm90IGEgdG9rZW4"}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "ListInteractions page token", Method: mListAudit, Req: &herkenv1.ListAuditRecordsRequest{Parent: f.Jan, PageToken: f.InteractionsToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "ListCustomers page token", Method: mListAudit, Req: &herkenv1.ListAuditRecordsRequest{Parent: f.Erased, PageToken: f.CustomersToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "page token of 100 KiB", Method: mListAudit, Req: &herkenv1.ListAuditRecordsRequest{Parent: f.Jan, PageToken: strings.Repeat("A", 100<<10)}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "invalid UTF-8 in parent", Method: mListAudit, Raw: BadUTF8(list("customers/" + BadPlaceholder)), Want: Want{inv, "INVALID_ARGUMENT", "parent"}},
		{Name: "invalid UTF-8 in page_token", Method: mListAudit, Raw: BadUTF8(&herkenv1.ListAuditRecordsRequest{Parent: f.Jan, PageToken: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "page_token"}},
	}
}
