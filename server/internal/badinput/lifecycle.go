package badinput

import (
	"math"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// lifecycleRows are the rows of the CustomerService calls of a customer's
// life after creation: update, list, link and unlink, merge and unmerge,
// erase and export.
func lifecycleRows(f Fixture) []Row {
	jan, anna := f.Jan, f.Anna
	const unknownCustomer = "customers/0000000000000000"
	rep := strings.Repeat
	inv := codes.InvalidArgument
	notFound := codes.NotFound
	failed := codes.FailedPrecondition
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	update := func(c *herkenv1.Customer, paths ...string) *herkenv1.UpdateCustomerRequest {
		if c.Name == "" {
			c.Name = jan
		}
		req := &herkenv1.UpdateCustomerRequest{Customer: c}
		if len(paths) > 0 {
			req.UpdateMask = mask(paths...)
		}
		return req
	}
	add := func(customer string, id *herkenv1.Identifier) *herkenv1.AddIdentifierRequest {
		return &herkenv1.AddIdentifierRequest{Customer: customer, Identifier: id, Source: "crm"}
	}
	remove := func(customer string, id *herkenv1.Identifier) *herkenv1.RemoveIdentifierRequest {
		return &herkenv1.RemoveIdentifierRequest{Customer: customer, Identifier: id}
	}
	merge := func(survivor, merged string, take ...string) *herkenv1.MergeCustomersRequest {
		req := &herkenv1.MergeCustomersRequest{Survivor: survivor, Merged: merged}
		if len(take) > 0 {
			req.TakeFromMerged = mask(take...)
		}
		return req
	}
	pre1970 := &timestamppb.Timestamp{Seconds: -3600}

	return []Row{
		// ---- CustomerService/UpdateCustomer ----
		{Name: "no customer", Method: mUpdateCustomer, Req: &herkenv1.UpdateCustomerRequest{UpdateMask: mask("display_name")}, Want: Want{inv, "FIELD_REQUIRED", "customer.name"}},
		{Name: "no name", Method: mUpdateCustomer, Req: &herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "Jan"}}, Want: Want{inv, "FIELD_REQUIRED", "customer.name"}},
		{Name: "malformed name", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{Name: "customers/Jan", DisplayName: "Jan"}, "display_name"), Want: Want{inv, "RESOURCE_NAME_INVALID", "customer.name"}},
		{Name: "interaction name", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{Name: f.Answered, DisplayName: "Jan"}, "display_name"), Want: Want{inv, "RESOURCE_NAME_INVALID", "customer.name"}},
		{Name: "unknown mask path", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{DisplayName: "Jan"}, "display_name", "nickname"), Want: Want{inv, "FIELD_INVALID", "update_mask.paths[1]"}},
		{Name: "output-only mask path etag", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{Etag: "1"}, "etag"), Want: Want{inv, "FIELD_INVALID", "update_mask.paths[0]"}},
		{Name: "output-only mask path identifiers", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{}, "identifiers"), Want: Want{inv, "FIELD_INVALID", "update_mask.paths[0]"}},
		{Name: "output-only mask path name", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{}, "name"), Want: Want{inv, "FIELD_INVALID", "update_mask.paths[0]"}},
		{Name: "mask path with resource prefix", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{DisplayName: "Jan"}, "customer.display_name"), Want: Want{inv, "FIELD_INVALID", "update_mask.paths[0]"}},
		{Name: "mask path in capitals", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{DisplayName: "Jan"}, "DISPLAY_NAME"), Want: Want{inv, "FIELD_INVALID", "update_mask.paths[0]"}},
		{Name: "star with another path", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{DisplayName: "Jan"}, "tags", "*"), Want: Want{inv, "FIELD_INVALID", "update_mask.paths[1]"}},
		{Name: "empty mask path", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{DisplayName: "Jan"}, ""), Want: Want{inv, "FIELD_INVALID", "update_mask.paths[0]"}},
		{Name: "display_name 201 characters", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{DisplayName: rep("é", 201)}, "display_name"), Want: Want{inv, "FIELD_TOO_LONG", "customer.display_name"}, Limit: "200"},
		{Name: "display_name control character", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{DisplayName: "Jan\x07"}, "display_name"), Want: Want{inv, "FIELD_INVALID", "customer.display_name"}},
		{Name: "33 tags", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{Tags: tagList(33)}, "tags"), Want: Want{inv, "TOO_MANY_VALUES", "customer.tags"}, Limit: "32"},
		{Name: "tag with space", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{Tags: []string{"vip", "klacht open"}}, "tags"), Want: Want{inv, "FIELD_INVALID", "customer.tags[1]"}},
		{Name: "language not BCP 47", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{PreferredLanguage: "Nederlands!"}, "preferred_language"), Want: Want{inv, "FIELD_INVALID", "customer.preferred_language"}},
		{Name: "handover_note 4001 characters, empty mask", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{DisplayName: "Jan", HandoverNote: rep("n", 4001)}), Want: Want{inv, "FIELD_TOO_LONG", "customer.handover_note"}, Limit: "4000"},
		{Name: "stale etag", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{DisplayName: "Jan", Etag: "stale"}, "display_name"), Want: Want{codes.Aborted, "ETAG_MISMATCH", "customer.etag"}},
		{Name: "unknown customer", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{Name: unknownCustomer, DisplayName: "Jan"}, "display_name"), Want: Want{notFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "erased customer", Method: mUpdateCustomer, Req: update(&herkenv1.Customer{Name: f.Erased, DisplayName: "Jan"}, "display_name"), Want: Want{notFound, "CUSTOMER_ERASED", ""}},
		{Name: "invalid UTF-8 in handover_note", Method: mUpdateCustomer, Raw: BadUTF8(update(&herkenv1.Customer{HandoverNote: BadPlaceholder}, "handover_note")), Want: Want{inv, "INVALID_ARGUMENT", "customer.handover_note"}},
		{Name: "invalid UTF-8 in mask path", Method: mUpdateCustomer, Raw: BadUTF8(update(&herkenv1.Customer{}, BadPlaceholder)), Want: Want{inv, "INVALID_ARGUMENT", "update_mask.paths[0]"}},

		// ---- CustomerService/ListCustomers ----
		{Name: "negative page_size", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{PageSize: -1}, Want: Want{inv, "FIELD_INVALID", "page_size"}},
		{Name: "page_size MinInt32", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{PageSize: math.MinInt32, Tag: "vip"}, Want: Want{inv, "FIELD_INVALID", "page_size"}},
		{Name: "tag 65 characters", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{Tag: rep("t", 65)}, Want: Want{inv, "FIELD_INVALID", "tag"}},
		{Name: "tag with space", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{Tag: "klacht open"}, Want: Want{inv, "FIELD_INVALID", "tag"}},
		{Name: "display_name_prefix 201 characters", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{DisplayNamePrefix: rep("ı", 201)}, Want: Want{inv, "FIELD_TOO_LONG", "display_name_prefix"}, Limit: "200"},
		{Name: "display_name_prefix of 100 KiB", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{DisplayNamePrefix: rep("de vries ", 100<<10/9)}, Want: Want{inv, "FIELD_TOO_LONG", "display_name_prefix"}, Limit: "200"},
		{Name: "display_name_prefix control character", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{DisplayNamePrefix: "de\x00vries"}, Want: Want{inv, "FIELD_INVALID", "display_name_prefix"}},
		{Name: "updated_since before 1970", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{UpdatedSince: pre1970}, Want: Want{inv, "TIME_INVALID", "updated_since"}},
		{Name: "updated_since negative nanos", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{UpdatedSince: &timestamppb.Timestamp{Seconds: Now.Unix(), Nanos: -1}}, Want: Want{inv, "TIME_INVALID", "updated_since"}},
		{Name: "forged page token", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{PageToken: "bm90IGEgdG9rZW4"}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "tampered page token", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{PageSize: 1, PageToken: flip(f.CustomersToken)}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "page token for another tag", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{PageSize: 1, Tag: "vip", PageToken: f.CustomersToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "page token for a name prefix", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{PageSize: 1, DisplayNamePrefix: "de vries", PageToken: f.CustomersToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "page token for updated_since", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{PageSize: 1, UpdatedSince: &timestamppb.Timestamp{Seconds: 1}, PageToken: f.CustomersToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "ListInteractions page token", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{PageToken: f.InteractionsToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "ListPromises page token", Method: mListCustomers, Req: &herkenv1.ListCustomersRequest{PageSize: 1, PageToken: f.PromisesToken}, Want: Want{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{Name: "invalid UTF-8 in display_name_prefix", Method: mListCustomers, Raw: BadUTF8(&herkenv1.ListCustomersRequest{DisplayNamePrefix: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "display_name_prefix"}},

		// ---- CustomerService/AddIdentifier ----
		{Name: "no customer", Method: mAddIdentifier, Req: add("", Phone("06-22223333")), Want: Want{inv, "FIELD_REQUIRED", "customer"}},
		{Name: "malformed customer", Method: mAddIdentifier, Req: add(jan+"/", Phone("06-22223333")), Want: Want{inv, "RESOURCE_NAME_INVALID", "customer"}},
		{Name: "uppercase customer id", Method: mAddIdentifier, Req: add("customers/"+upper(idOf(jan)), Phone("06-22223333")), Want: Want{inv, "RESOURCE_NAME_INVALID", "customer"}},
		{Name: "no identifier", Method: mAddIdentifier, Req: &herkenv1.AddIdentifierRequest{Customer: jan}, Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "empty identifier", Method: mAddIdentifier, Req: add(jan, &herkenv1.Identifier{}), Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "email in phone_number", Method: mAddIdentifier, Req: add(jan, Phone("jan@example.nl")), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{Name: "postcode in email", Method: mAddIdentifier, Req: add(jan, Email("1234 AB")), Want: Want{inv, "EMAIL_INVALID", "identifier.email"}},
		{Name: "query matching no kind", Method: mAddIdentifier, Req: add(jan, Query("hallo daar")), Want: Want{inv, "QUERY_UNRECOGNIZED", "identifier.query"}},
		{Name: "withheld anonymous", Method: mAddIdentifier, Req: add(jan, Phone("anonymous")), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{Name: "withheld empty phone", Method: mAddIdentifier, Req: add(jan, Phone("")), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{Name: "placeholder email", Method: mAddIdentifier, Req: add(jan, Email("Test@Test.com")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifier"}},
		{Name: "placeholder no-reply email", Method: mAddIdentifier, Req: add(jan, Query("no-reply@example.nl")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifier"}},
		{Name: "placeholder landline", Method: mAddIdentifier, Req: add(jan, Phone("020-0000000")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifier"}},
		{Name: "placeholder external id", Method: mAddIdentifier, Req: add(jan, ExtID("onbekend")), Want: Want{inv, "IDENTIFIER_BLOCKED", "identifier"}},
		{Name: "source with space", Method: mAddIdentifier, Req: &herkenv1.AddIdentifierRequest{Customer: jan, Identifier: Phone("06-22223333"), Source: "crm export"}, Want: Want{inv, "FIELD_INVALID", "source"}},
		{Name: "source with slash", Method: mAddIdentifier, Req: &herkenv1.AddIdentifierRequest{Customer: jan, Identifier: Phone("06-22223333"), Source: "crm/../x"}, Want: Want{inv, "FIELD_INVALID", "source"}},
		{Name: "source 33 characters", Method: mAddIdentifier, Req: &herkenv1.AddIdentifierRequest{Customer: jan, Identifier: Phone("06-22223333"), Source: rep("s", 33)}, Want: Want{inv, "FIELD_TOO_LONG", "source"}, Limit: "32"},
		{Name: "label 33 characters", Method: mAddIdentifier, Req: &herkenv1.AddIdentifierRequest{Customer: jan, Identifier: Phone("06-22223333"), Label: rep("l", 33)}, Want: Want{inv, "FIELD_TOO_LONG", "label"}, Limit: "32"},
		{Name: "label with newline", Method: mAddIdentifier, Req: &herkenv1.AddIdentifierRequest{Customer: jan, Identifier: Phone("06-22223333"), Label: "mobiel\nwerk"}, Want: Want{inv, "FIELD_INVALID", "label"}},
		{Name: "external id of another customer", Method: mAddIdentifier, Req: add(jan, ExtID("K-100002")), Want: Want{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifier"}, Holder: anna},
		{Name: "X handle of another customer", Method: mAddIdentifier, Req: add(anna, Query("https://x.com/JanDeVries")), Want: Want{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifier"}, Holder: jan},
		{Name: "unknown customer", Method: mAddIdentifier, Req: add(unknownCustomer, Phone("06-22223333")), Want: Want{notFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "erased customer", Method: mAddIdentifier, Req: add(f.Erased, Phone("06-22223333")), Want: Want{notFound, "CUSTOMER_ERASED", ""}},
		{Name: "invalid UTF-8 in label", Method: mAddIdentifier, Raw: BadUTF8(&herkenv1.AddIdentifierRequest{Customer: jan, Identifier: Phone("06-22223333"), Label: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "label"}},

		// ---- CustomerService/RemoveIdentifier ----
		{Name: "no customer", Method: mRemoveIdent, Req: remove("", Email("jan@example.nl")), Want: Want{inv, "FIELD_REQUIRED", "customer"}},
		{Name: "malformed customer", Method: mRemoveIdent, Req: remove("customers/-", Email("jan@example.nl")), Want: Want{inv, "RESOURCE_NAME_INVALID", "customer"}},
		{Name: "no identifier", Method: mRemoveIdent, Req: &herkenv1.RemoveIdentifierRequest{Customer: jan}, Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "phone in email", Method: mRemoveIdent, Req: remove(jan, Email("06-12345678")), Want: Want{inv, "EMAIL_INVALID", "identifier.email"}},
		{Name: "withheld private", Method: mRemoveIdent, Req: remove(jan, Phone("private")), Want: Want{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{Name: "identifier nobody holds", Method: mRemoveIdent, Req: remove(jan, Email("nog.geen.klant@example.nl")), Want: Want{notFound, "IDENTIFIER_NOT_LINKED", "identifier"}},
		{Name: "identifier of another customer", Method: mRemoveIdent, Req: remove(jan, ExtID("K-100002")), Want: Want{notFound, "IDENTIFIER_NOT_LINKED", "identifier"}},
		{Name: "unknown customer", Method: mRemoveIdent, Req: remove(unknownCustomer, Email("jan@example.nl")), Want: Want{notFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "erased customer", Method: mRemoveIdent, Req: remove(f.Erased, Email("jan@example.nl")), Want: Want{notFound, "CUSTOMER_ERASED", ""}},
		{Name: "invalid UTF-8 in external_id", Method: mRemoveIdent, Raw: BadUTF8(remove(jan, ExtID(BadPlaceholder))), Want: Want{inv, "INVALID_ARGUMENT", "identifier.external_id"}},

		// ---- CustomerService/MergeCustomers ----
		{Name: "no survivor", Method: mMerge, Req: merge("", anna), Want: Want{inv, "FIELD_REQUIRED", "survivor"}},
		{Name: "no merged", Method: mMerge, Req: merge(jan, ""), Want: Want{inv, "FIELD_REQUIRED", "merged"}},
		{Name: "malformed survivor", Method: mMerge, Req: merge("customers/"+rep("a", 65), anna), Want: Want{inv, "RESOURCE_NAME_INVALID", "survivor"}},
		{Name: "malformed merged", Method: mMerge, Req: merge(jan, f.AnnaLast), Want: Want{inv, "RESOURCE_NAME_INVALID", "merged"}},
		{Name: "merge into itself", Method: mMerge, Req: merge(jan, jan), Want: Want{inv, "MERGE_INTO_SELF", "merged"}},
		{Name: "unknown take_from_merged path", Method: mMerge, Req: merge(jan, anna, "display_name", "identifiers"), Want: Want{inv, "FIELD_INVALID", "take_from_merged.paths[1]"}},
		{Name: "star in take_from_merged", Method: mMerge, Req: merge(jan, anna, "*"), Want: Want{inv, "FIELD_INVALID", "take_from_merged.paths[0]"}},
		{Name: "output-only take_from_merged path", Method: mMerge, Req: merge(jan, anna, "create_time"), Want: Want{inv, "FIELD_INVALID", "take_from_merged.paths[0]"}},
		{Name: "unknown survivor", Method: mMerge, Req: merge(unknownCustomer, anna), Want: Want{notFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "unknown merged", Method: mMerge, Req: merge(jan, unknownCustomer), Want: Want{notFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "erased survivor", Method: mMerge, Req: merge(f.Erased, anna), Want: Want{notFound, "CUSTOMER_ERASED", ""}},
		{Name: "erased merged", Method: mMerge, Req: merge(jan, f.Erased), Want: Want{notFound, "CUSTOMER_ERASED", ""}},
		{Name: "merged away merged", Method: mMerge, Req: merge(jan, f.Merged), Want: Want{failed, "CUSTOMER_MERGED", ""}, Survivor: f.Survivor},
		{Name: "merged away survivor", Method: mMerge, Req: merge(f.Merged, anna), Want: Want{failed, "CUSTOMER_MERGED", ""}, Survivor: f.Survivor},
		{Name: "merged away into its own survivor", Method: mMerge, Req: merge(f.Survivor, f.Merged), Want: Want{failed, "CUSTOMER_MERGED", ""}, Survivor: f.Survivor},
		{Name: "invalid UTF-8 in merged", Method: mMerge, Raw: BadUTF8(merge(jan, BadPlaceholder)), Want: Want{inv, "INVALID_ARGUMENT", "merged"}},

		// ---- CustomerService/UnmergeCustomers ----
		{Name: "no merged", Method: mUnmerge, Req: &herkenv1.UnmergeCustomersRequest{}, Want: Want{inv, "FIELD_REQUIRED", "merged"}},
		{Name: "malformed merged", Method: mUnmerge, Req: &herkenv1.UnmergeCustomersRequest{Merged: "users/" + idOf(f.Merged)}, Want: Want{inv, "RESOURCE_NAME_INVALID", "merged"}},
		{Name: "live customer", Method: mUnmerge, Req: &herkenv1.UnmergeCustomersRequest{Merged: jan}, Want: Want{failed, "CUSTOMER_NOT_MERGED", ""}},
		{Name: "survivor", Method: mUnmerge, Req: &herkenv1.UnmergeCustomersRequest{Merged: f.Survivor}, Want: Want{failed, "CUSTOMER_NOT_MERGED", ""}},
		{Name: "unknown customer", Method: mUnmerge, Req: &herkenv1.UnmergeCustomersRequest{Merged: unknownCustomer}, Want: Want{failed, "CUSTOMER_NOT_MERGED", ""}},
		{Name: "erased customer", Method: mUnmerge, Req: &herkenv1.UnmergeCustomersRequest{Merged: f.Erased}, Want: Want{notFound, "CUSTOMER_ERASED", ""}},
		{Name: "invalid UTF-8 in merged", Method: mUnmerge, Raw: BadUTF8(&herkenv1.UnmergeCustomersRequest{Merged: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "merged"}},

		// ---- CustomerService/EraseCustomer ----
		{Name: "empty name", Method: mErase, Req: &herkenv1.EraseCustomerRequest{}, Want: Want{inv, "FIELD_REQUIRED", "name"}},
		{Name: "wildcard", Method: mErase, Req: &herkenv1.EraseCustomerRequest{Name: "customers/-"}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "interaction name", Method: mErase, Req: &herkenv1.EraseCustomerRequest{Name: f.Answered}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "uppercase id", Method: mErase, Req: &herkenv1.EraseCustomerRequest{Name: "customers/" + upper(idOf(jan))}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "unknown customer", Method: mErase, Req: &herkenv1.EraseCustomerRequest{Name: unknownCustomer}, Want: Want{notFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "erased before", Method: mErase, Req: &herkenv1.EraseCustomerRequest{Name: f.Erased}, Want: Want{notFound, "CUSTOMER_ERASED", ""}},
		{Name: "invalid UTF-8 in name", Method: mErase, Raw: BadUTF8(&herkenv1.EraseCustomerRequest{Name: "customers/" + BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "name"}},

		// ---- CustomerService/ExportCustomer ----
		{Name: "empty name", Method: mExport, Req: &herkenv1.ExportCustomerRequest{}, Want: Want{inv, "FIELD_REQUIRED", "name"}},
		{Name: "bare id", Method: mExport, Req: &herkenv1.ExportCustomerRequest{Name: idOf(jan)}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "promise name", Method: mExport, Req: &herkenv1.ExportCustomerRequest{Name: f.OpenPromise}, Want: Want{inv, "RESOURCE_NAME_INVALID", "name"}},
		{Name: "unknown customer", Method: mExport, Req: &herkenv1.ExportCustomerRequest{Name: unknownCustomer}, Want: Want{notFound, "CUSTOMER_NOT_FOUND", ""}},
		{Name: "erased customer", Method: mExport, Req: &herkenv1.ExportCustomerRequest{Name: f.Erased}, Want: Want{notFound, "CUSTOMER_ERASED", ""}},
		{Name: "invalid UTF-8 in name", Method: mExport, Raw: BadUTF8(&herkenv1.ExportCustomerRequest{Name: BadPlaceholder}), Want: Want{inv, "INVALID_ARGUMENT", "name"}},
	}
}

// tagList is n valid tags.
func tagList(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "t" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
	}
	return out
}

// flip changes one character in the middle of a page token.
func flip(tok string) string {
	if tok == "" {
		return "A"
	}
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
