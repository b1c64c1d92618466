package server

import (
	"errors"
	"io"
	"strconv"

	"github.com/herken/herken"

	"google.golang.org/grpc"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// MaxImportRecords is how many records one ImportCustomers stream carries:
// the server holds a stream's records until it closes (so a stream that
// breaks a rule writes nothing), and the response, one result per record,
// stays well under the 4 MiB a client accepts by default.
const MaxImportRecords = 10_000

// importWorkers is how many records of one stream are applied at once:
// enough for the store to commit many in one sync (Badger batches
// concurrent commits), few enough not to crowd out Lookups.
const importWorkers = 32

// ImportCustomers reads the whole stream, checks it, and applies its
// records through the domain's upsert.
func (s customerServer) ImportCustomers(stream grpc.ClientStreamingServer[herkenv1.ImportCustomersRequest, herkenv1.ImportCustomersResponse]) error {
	ctx := stream.Context()
	var v violations
	var settings *herkenv1.ImportSettings
	var recs []*herkenv1.ImportRecord
	for n := 0; ; n++ {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if req.Settings != nil {
			if n > 0 {
				v.addf(herken.ReasonFieldInvalid, "settings", "only the first message of a stream may carry settings (message "+strconv.Itoa(n)+" does)")
			}
			settings = req.Settings
		}
		if len(recs)+len(req.GetRecords()) > MaxImportRecords {
			v.addf(herken.ReasonTooManyValues, "records", "at most "+strconv.Itoa(MaxImportRecords)+" records in one stream: open one stream per chunk")
			return v.err()
		}
		recs = append(recs, req.GetRecords()...)
	}
	o := importOptions(settings, &v)
	if err := v.err(); err != nil {
		return err
	}
	in := make([]herken.ImportRecord, len(recs))
	for i, r := range recs {
		in[i] = importRecordFromPB(r)
	}
	results, err := s.svc.ImportCustomers(ctx, in, o, write(ctx, ""), importWorkers)
	resp := importResponseToPB(results)
	// Batches committed before a failure changed customers all the same:
	// they are on the trail even when the stream fails.
	if s.cfg.Audit != nil && !o.ValidateOnly {
		s.audit(ctx, herkenv1.CustomerService_ImportCustomers_FullMethodName, auditRules[herkenv1.CustomerService_ImportCustomers_FullMethodName], nil, resp)
	}
	if err != nil {
		return toStatus(ctx, s.log, err, "")
	}
	return stream.SendAndClose(resp)
}

func importOptions(st *herkenv1.ImportSettings, v *violations) herken.ImportOptions {
	o := herken.ImportOptions{
		Source:                    st.GetSource(),
		ValidateOnly:              st.GetValidateOnly(),
		SkipRecordOnBadIdentifier: st.GetSkipRecordOnBadIdentifier(),
	}
	paths := st.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		o.Fields, o.Identifiers = herken.AllCustomerFields, true
	}
	for i, p := range paths {
		if p == "identifiers" {
			o.Identifiers = true
			continue
		}
		f, ok := herken.CustomerFieldForPath(p)
		if !ok {
			v.addf(herken.ReasonFieldInvalid, "settings.update_mask.paths["+strconv.Itoa(i)+"]", "must be "+editablePaths+" or identifiers")
			continue
		}
		o.Fields |= f
	}
	checked, err := herken.CheckImportOptions(o)
	v.add(err, "")
	return checked
}

// importRecordFromPB translates one record; identifiers that carry no
// value become the domain's problem (Missing), not the stream's.
func importRecordFromPB(r *herkenv1.ImportRecord) herken.ImportRecord {
	out := herken.ImportRecord{
		ExternalID:        r.GetExternalId(),
		DisplayName:       r.GetDisplayName(),
		PreferredLanguage: r.GetPreferredLanguage(),
		Tags:              r.GetTags(),
		HandoverNote:      r.GetHandoverNote(),
		Identifiers:       make([]herken.ImportIdentifier, len(r.GetIdentifiers())),
	}
	for i, id := range r.GetIdentifiers() {
		in, ok := identifierInput(id.GetIdentifier())
		out.Identifiers[i] = herken.ImportIdentifier{
			Input: in, Missing: !ok, Label: id.GetLabel(), Verified: id.GetVerified(),
			Field: "identifiers[" + strconv.Itoa(i) + "]",
		}
	}
	return out
}

// ImportRecordFromPB is importRecordFromPB for the offline import (cmd/herken), which
// applies the same records to a stopped store without a server.
func ImportRecordFromPB(r *herkenv1.ImportRecord) herken.ImportRecord { return importRecordFromPB(r) }

// ImportOptionsFromPB checks settings as ImportCustomers does.
func ImportOptionsFromPB(st *herkenv1.ImportSettings) (herken.ImportOptions, error) {
	var v violations
	o := importOptions(st, &v)
	return o, v.err()
}

var importOutcomes = [...]herkenv1.ImportResult_Outcome{
	herken.ImportFailed:    herkenv1.ImportResult_OUTCOME_FAILED,
	herken.ImportCreated:   herkenv1.ImportResult_OUTCOME_CREATED,
	herken.ImportUpdated:   herkenv1.ImportResult_OUTCOME_UPDATED,
	herken.ImportUnchanged: herkenv1.ImportResult_OUTCOME_UNCHANGED,
}

// ImportResultToPB translates one result (also for the offline import's
// report).
func ImportResultToPB(r herken.ImportResult) *herkenv1.ImportResult {
	out := &herkenv1.ImportResult{Outcome: importOutcomes[r.Outcome]}
	if r.CustomerID != "" {
		out.Customer = customerName(r.CustomerID)
	}
	for _, p := range r.Problems {
		out.Problems = append(out.Problems, &herkenv1.ImportProblem{Field: p.Field, Reason: p.Reason, Description: p.Description})
	}
	return out
}

func importResponseToPB(results []herken.ImportResult) *herkenv1.ImportCustomersResponse {
	out := &herkenv1.ImportCustomersResponse{Results: make([]*herkenv1.ImportResult, len(results))}
	for i, r := range results {
		out.Results[i] = ImportResultToPB(r)
		switch r.Outcome {
		case herken.ImportCreated:
			out.Created++
		case herken.ImportUpdated:
			out.Updated++
		case herken.ImportUnchanged:
			out.Unchanged++
		default:
			out.Failed++
		}
		out.IdentifiersDropped += int64(r.Dropped)
	}
	return out
}
