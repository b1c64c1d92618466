package badinput

import (
	"math"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const (
	mCreateLink   = herkenv1.ScreenPopService_CreateScreenPopLink_FullMethodName
	mGetScreenPop = herkenv1.ScreenPopService_GetScreenPop_FullMethodName
)

// screenPopRows are the rows of ScreenPopService. A view's link is checked
// before anything else in its request: a missing, forged or expired one is
// UNAUTHENTICATED, whatever else is wrong.
func screenPopRows(f Fixture, garbage, huge []byte) []Row {
	inv, unauth := codes.InvalidArgument, codes.Unauthenticated
	link := func(id *herkenv1.Identifier, ttl *durationpb.Duration) *herkenv1.CreateScreenPopLinkRequest {
		return &herkenv1.CreateScreenPopLinkRequest{Identifier: id, Ttl: ttl}
	}
	jan := Phone("06-12345678")
	view := func(token, customer, prefix string) *herkenv1.GetScreenPopRequest {
		return &herkenv1.GetScreenPopRequest{Token: token, Customer: customer, NamePrefix: prefix}
	}
	rows := []Row{
		// ---- ScreenPopService/CreateScreenPopLink ----
		{Name: "no identifier", Method: mCreateLink, Req: link(nil, nil), Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "empty identifier", Method: mCreateLink, Req: link(&herkenv1.Identifier{}, nil), Want: Want{inv, "IDENTIFIER_MISSING", "identifier"}},
		{Name: "bad phone number", Method: mCreateLink, Req: link(Phone("12"), nil), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{Name: "bad email", Method: mCreateLink, Req: link(Email("jan@"), nil), Want: Want{inv, "EMAIL_INVALID", "identifier.email"}},
		{Name: "negative ttl", Method: mCreateLink, Req: link(jan, durationpb.New(-1)), Want: Want{inv, "FIELD_INVALID", "ttl"}},
		{Name: "ttl under a second", Method: mCreateLink, Req: link(jan, &durationpb.Duration{Nanos: 500_000_000}), Want: Want{inv, "FIELD_INVALID", "ttl"}},
		{Name: "ttl of an hour", Method: mCreateLink, Req: link(jan, &durationpb.Duration{Seconds: 3600}), Want: Want{inv, "FIELD_INVALID", "ttl"}},
		{Name: "ttl MaxInt64 seconds", Method: mCreateLink, Req: link(jan, &durationpb.Duration{Seconds: math.MaxInt64}), Want: Want{inv, "FIELD_INVALID", "ttl"}},
		{Name: "ttl with mixed signs", Method: mCreateLink, Req: link(jan, &durationpb.Duration{Seconds: 60, Nanos: -1}), Want: Want{inv, "FIELD_INVALID", "ttl"}},
		{Name: "bad identifier and ttl", Method: mCreateLink, Req: link(Phone("12"), durationpb.New(-1)), Want: Want{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{Name: "invalid UTF-8 in email", Method: mCreateLink, Raw: BadUTF8(link(Email("jan"+BadPlaceholder+"@example.nl"), nil)), Want: Want{inv, "INVALID_ARGUMENT", "identifier.email"}},

		// ---- ScreenPopService/GetScreenPop ----
		{Name: "no token", Method: mGetScreenPop, Req: view("", "", ""), Want: Want{unauth, "SCREEN_POP_LINK_INVALID", ""}},
		{Name: "forged token", Method: mGetScreenPop, Req: view("AQ"+strings.Repeat("A", 100), "", ""), Want: Want{unauth, "SCREEN_POP_LINK_INVALID", ""}},
		{Name: "token with a byte added", Method: mGetScreenPop, Req: view(f.JanLink+"A", "", ""), Want: Want{unauth, "SCREEN_POP_LINK_INVALID", ""}},
		{Name: "token cut short", Method: mGetScreenPop, Req: view(f.JanLink[:len(f.JanLink)-2], "", ""), Want: Want{unauth, "SCREEN_POP_LINK_INVALID", ""}},
		{Name: "page token for a link", Method: mGetScreenPop, Req: view(f.InteractionsToken, "", ""), Want: Want{unauth, "SCREEN_POP_LINK_INVALID", ""}},
		{Name: "token of 100 KiB", Method: mGetScreenPop, Req: view(strings.Repeat("A", 100<<10), "", ""), Want: Want{unauth, "SCREEN_POP_LINK_INVALID", ""}},
		{Name: "expired token", Method: mGetScreenPop, Req: view(f.ExpiredLink, "", ""), Want: Want{unauth, "SCREEN_POP_LINK_EXPIRED", ""}},
		{Name: "expired token and bad customer", Method: mGetScreenPop, Req: view(f.ExpiredLink, "nonsense", ""), Want: Want{unauth, "SCREEN_POP_LINK_EXPIRED", ""}},
		{Name: "bad customer name", Method: mGetScreenPop, Req: view(f.JanLink, "nonsense", ""), Want: Want{inv, "RESOURCE_NAME_INVALID", "customer"}},
		{Name: "interaction as customer", Method: mGetScreenPop, Req: view(f.JanLink, f.Answered, ""), Want: Want{inv, "RESOURCE_NAME_INVALID", "customer"}},
		{Name: "uppercase customer id", Method: mGetScreenPop, Req: view(f.JanLink, "customers/"+upper(idOf(f.Jan)), ""), Want: Want{inv, "RESOURCE_NAME_INVALID", "customer"}},
		{Name: "customer who does not hold the number", Method: mGetScreenPop, Req: view(f.JanLink, f.Anna, ""), Want: Want{codes.PermissionDenied, "SCREEN_POP_CUSTOMER_NOT_ALLOWED", ""}},
		{Name: "erased customer for an unknown caller", Method: mGetScreenPop, Req: view(f.UnknownLink, f.Erased, ""), Want: Want{codes.NotFound, "CUSTOMER_ERASED", ""}},
		{Name: "name prefix over 200 characters", Method: mGetScreenPop, Req: view(f.UnknownLink, "", strings.Repeat("é", 201)), Want: Want{inv, "FIELD_TOO_LONG", "name_prefix"}},
		{Name: "name prefix of spaces", Method: mGetScreenPop, Req: view(f.UnknownLink, "", "   "), Want: Want{inv, "FIELD_INVALID", "name_prefix"}},
		{Name: "control character in name prefix", Method: mGetScreenPop, Req: view(f.UnknownLink, "", "Jan\x00"), Want: Want{inv, "FIELD_INVALID", "name_prefix"}},
		{Name: "negative interaction_limit", Method: mGetScreenPop, Req: &herkenv1.GetScreenPopRequest{Token: f.JanLink, InteractionLimit: -1}, Want: Want{inv, "FIELD_INVALID", "interaction_limit"}},
		{Name: "invalid UTF-8 in name_prefix", Method: mGetScreenPop, Raw: BadUTF8(view(f.UnknownLink, "", BadPlaceholder)), Want: Want{inv, "INVALID_ARGUMENT", "name_prefix"}},
	}
	rows = append(rows, noFieldRows(mCreateLink, garbage, huge)...)
	return append(rows, noFieldRows(mGetScreenPop, garbage, huge)...)
}
