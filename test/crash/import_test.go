//go:build unix

package crash

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// The ImportCustomers writer: a CRM sync sends a few new customers per
// stream. Acknowledged, each must exist with both identifiers. In doubt
// after a kill, the same stream is sent again (an import is idempotent):
// every record must then come back CREATED (it was not written) or
// UNCHANGED (it was, whole); UPDATED would mean a half-written record.

// importWriter says whether the ImportCustomers writer runs
// (HERKEN_CRASH_IMPORT, default on; 0 runs creates in its place). The
// lifecycle failures once blamed on it (issue 12's closing note: an
// unmerge refused with CUSTOMER_MERGED, a merged customer resolving past
// the survivor the model expected) were the lifecycle model's: it took the
// flat GetCustomer answer of a merged customer read back after an erasure
// in doubt as its direct survivor, losing the chain (TestCrashDoubtChain).
func importWriter() bool { return os.Getenv("HERKEN_CRASH_IMPORT") != "0" }

// importedRec is one record of an import in doubt.
type importedRec struct {
	ext, phone, email string
}

func (h *harness) importBatch(ctx context.Context, srv *server, rng *rand.Rand) {
	m := h.m
	p := &pending{kind: "import"}
	for range 2 + rng.IntN(6) {
		n := m.next.Add(1)
		p.imports = append(p.imports, importedRec{
			ext:   fmt.Sprintf("IMP-%s-%d", m.run, n),
			phone: fmt.Sprintf("+3161%07d", n),
			email: fmt.Sprintf("klant%d.%s@crash.example", n, m.run),
		})
	}
	resp, err := sendImport(ctx, srv, p.imports)
	h.trace("import batch of %d (first %s): %v", len(p.imports), p.imports[0].ext, err)
	switch classify(err) {
	case acked:
		h.ackImport(srv, p, resp, false)
	case rejected:
		h.rejected(err, "ImportCustomers")
	case inDoubt:
		m.addPending(p)
	}
}

func sendImport(ctx context.Context, srv *server, recs []importedRec) (*herkenv1.ImportCustomersResponse, error) {
	stream, err := srv.customers.ImportCustomers(ctx)
	if err != nil {
		return nil, err
	}
	req := &herkenv1.ImportCustomersRequest{Settings: &herkenv1.ImportSettings{Source: "crm"}}
	for _, r := range recs {
		req.Records = append(req.Records, &herkenv1.ImportRecord{
			ExternalId: r.ext, DisplayName: "Import " + r.ext, PreferredLanguage: "nl",
			Identifiers: []*herkenv1.ImportIdentifier{{Identifier: phoneID(r.phone), Label: "mobiel"}, {Identifier: emailID(r.email)}},
		})
	}
	if err := stream.Send(req); err != nil && err != io.EOF {
		return nil, err
	}
	return stream.CloseAndRecv()
}

// ackImport adds an acknowledged import's customers to the model. retry
// says whether this is the resend of a stream in doubt.
func (h *harness) ackImport(srv *server, p *pending, resp *herkenv1.ImportCustomersResponse, retry bool) {
	m := h.m
	if len(resp.GetResults()) != len(p.imports) {
		h.fatalf(srv, "import of %d records: %d results", len(p.imports), len(resp.GetResults()))
	}
	for i, r := range resp.GetResults() {
		rec := p.imports[i]
		h.trace("import %s %s %s (retry %v): %v %s %v", rec.ext, rec.phone, rec.email, retry, r.GetOutcome(), r.GetCustomer(), r.GetProblems())
		switch out := r.GetOutcome(); {
		case out == herkenv1.ImportResult_OUTCOME_CREATED:
		case out == herkenv1.ImportResult_OUTCOME_UNCHANGED && retry:
			m.stats.inDoubtWritten.Add(1)
		default:
			m.stats.integrity.Add(1)
			h.t.Errorf("cycle %d: import of %s (retry %v): %v %v", h.cycle, rec.ext, retry, out, r.GetProblems())
			continue
		}
		m.addCustomer(&pending{phone: rec.phone, email: rec.email}, r.GetCustomer())
		m.stats.acked.Add(1)
		m.stats.customers.Add(1)
		m.stats.imported.Add(1)
	}
}

// resolveImport settles an import left in doubt by sending it again.
func (h *harness) resolveImport(srv *server, p *pending) {
	ctx, cancel := vctx()
	defer cancel()
	resp, err := sendImport(ctx, srv, p.imports)
	if err != nil {
		if status.Code(err) == codes.ResourceExhausted {
			h.m.stats.rejected.Add(1)
			return
		}
		h.fatalf(srv, "retry of an import in doubt: %v", err)
	}
	h.ackImport(srv, p, resp, true)
}
