package server_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// BenchmarkImportCustomers imports b.N new customers (phone, email,
// external id) into Badger on disk with SyncWrites, in streams of 5,000
// records, 4 streams at once, as `herken import` sends them.
func BenchmarkImportCustomers(b *testing.B) {
	var opt testOption = withDir(b.TempDir())
	switch os.Getenv("IMPORT_BENCH_STORE") {
	case "memory":
		opt = withMemory()
	case "badger-memory":
		opt = func(*testConfig) {}
	}
	s := newTestServer(b, opt)
	ctx := context.Background()
	const chunk, inFlight = 5000, 4
	recs := make([]*herkenv1.ImportRecord, b.N)
	for i := range recs {
		recs[i] = &herkenv1.ImportRecord{
			ExternalId: fmt.Sprintf("B-%08d", i), DisplayName: fmt.Sprintf("Klant %d", i), Tags: []string{"import"},
			Identifiers: []*herkenv1.ImportIdentifier{
				{Identifier: phone(fmt.Sprintf("06%08d", i)), Label: "mobiel"},
				{Identifier: email(fmt.Sprintf("klant%d@example.nl", i))},
			},
		}
	}
	b.ResetTimer()
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	for lo := 0; lo < len(recs); lo += chunk {
		hi := min(lo+chunk, len(recs))
		sem <- struct{}{}
		wg.Add(1)
		go func(part []*herkenv1.ImportRecord) {
			defer func() { <-sem; wg.Done() }()
			var reqs []*herkenv1.ImportCustomersRequest
			for i := 0; i < len(part); i += 1000 {
				reqs = append(reqs, &herkenv1.ImportCustomersRequest{Records: part[i:min(i+1000, len(part))]})
			}
			resp, err := sendImport(ctx, s, reqs...)
			if err != nil || resp.GetCreated() != int64(len(part)) {
				b.Errorf("import: %v (%v)", err, resp.GetFailed())
			}
		}(recs[lo:hi])
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}
