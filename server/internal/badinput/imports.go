package badinput

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const mImport = herkenv1.CustomerService_ImportCustomers_FullMethodName

// importRows are the rows of CustomerService.ImportCustomers, each sent as
// a stream of one message. They are what fails a whole stream; a bad
// record is not an error (its result says what is wrong, and the server's
// import tests check those).
func importRows(garbage, huge []byte) []Row {
	inv := codes.InvalidArgument
	one := func(st *herkenv1.ImportSettings, recs ...*herkenv1.ImportRecord) *herkenv1.ImportCustomersRequest {
		return &herkenv1.ImportCustomersRequest{Settings: st, Records: recs}
	}
	mask := func(paths ...string) *herkenv1.ImportSettings {
		return &herkenv1.ImportSettings{UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}}
	}
	rec := &herkenv1.ImportRecord{ExternalId: "K-900001", DisplayName: "Nieuw"}
	many := make([]*herkenv1.ImportRecord, 10_001)
	for i := range many {
		many[i] = &herkenv1.ImportRecord{ExternalId: "K"}
	}
	rows := []Row{
		{Name: "unknown mask path", Method: mImport, Req: one(mask("display_name", "nickname"), rec), Want: Want{inv, "FIELD_INVALID", "settings.update_mask.paths[1]"}},
		{Name: "star mask path", Method: mImport, Req: one(mask("*"), rec), Want: Want{inv, "FIELD_INVALID", "settings.update_mask.paths[0]"}},
		{Name: "output-only mask path", Method: mImport, Req: one(mask("name"), rec), Want: Want{inv, "FIELD_INVALID", "settings.update_mask.paths[0]"}},
		{Name: "source with a space", Method: mImport, Req: one(&herkenv1.ImportSettings{Source: "my crm"}, rec), Want: Want{inv, "FIELD_INVALID", "settings.source"}},
		{Name: "source of only spaces", Method: mImport, Req: one(&herkenv1.ImportSettings{Source: "   "}, rec), Want: Want{inv, "FIELD_INVALID", "settings.source"}},
		{Name: "source 33 characters", Method: mImport, Req: one(&herkenv1.ImportSettings{Source: strings.Repeat("s", 33)}, rec), Want: Want{inv, "FIELD_TOO_LONG", "settings.source"}, Limit: "32"},
		{Name: "10,001 records", Method: mImport, Req: one(nil, many...), Want: Want{inv, "TOO_MANY_VALUES", "records"}},
		{Name: "bad mask and source", Method: mImport, Req: one(&herkenv1.ImportSettings{Source: "A B", UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"etag"}}}, rec), Want: Want{inv, "FIELD_INVALID", "settings.update_mask.paths[0]"}},
		{Name: "invalid UTF-8 in source", Method: mImport, Raw: BadUTF8(one(&herkenv1.ImportSettings{Source: BadPlaceholder}, rec)), Want: Want{inv, "INVALID_ARGUMENT", "settings.source"}},
		{Name: "invalid UTF-8 in external_id", Method: mImport, Raw: BadUTF8(one(nil, &herkenv1.ImportRecord{ExternalId: BadPlaceholder})), Want: Want{inv, "INVALID_ARGUMENT", "records[0].external_id"}},
	}
	return append(rows, noFieldRows(mImport, garbage, huge)...)
}
