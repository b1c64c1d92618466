package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/store/badgerstore"
)

// offlineConfig is what the offline import shares with herken serve: the
// rules that decide how identifiers read, so that a file loaded offline
// gives the customers an online import of it gives.
type offlineConfig struct {
	region, blocklistFile string
}

// offline loads the file into a stopped, empty Badger store with the bulk
// loader (sorted runs into Badger's StreamWriter), through the same rules
// as ImportCustomers: Service.PlanImport checks and cleans each record,
// and Service.ImportedCustomer links it against the loader's identifier
// index, so an identifier another row took is dropped as online.
func (imp *importer) offline(ctx context.Context, dir string, enc encryptionFlags, cfg offlineConfig) error {
	if err := enc.validate("badger"); err != nil {
		return err
	}
	blocklist, err := loadBlocklist(cfg.blocklistFile)
	if err != nil {
		return err
	}
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: cfg.region})
	if err != nil {
		return err
	}
	store, err := badgerstore.Open(badgerstore.Options{Dir: dir, SyncWrites: true, EncryptionKey: enc.Key(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer store.Close()
	loader, err := store.NewLoader(ctx)
	if err != nil {
		return fmt.Errorf("%w (an offline import fills a new store; import into a running server to sync an existing one)", err)
	}
	defer loader.Cancel()
	svc := herken.NewService(store, norm, herken.ServiceConfig{Blocklist: blocklist})
	o, err := server.ImportOptionsFromPB(imp.settings)
	if err != nil {
		return err
	}
	o, err = herken.CheckImportOptions(o)
	if err != nil {
		return err
	}
	// The loader's identifier index answers who holds what (and so finds a
	// repeated external id); imp.seen stays nil.
	for ctx.Err() == nil {
		recs, rows, err := imp.next()
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			break
		}
		// Checking and normalising is most of the work and needs no order:
		// every core takes a share. Linking (the holder index) and loading
		// go in row order, so the first row to claim an identifier keeps it.
		plans := make([]plannedRow, len(recs))
		parts := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for w := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(recs); i += parts {
					p := &plans[i]
					p.plan, p.res, p.ok = svc.PlanImport(server.ImportRecordFromPB(recs[i]), o)
				}
			}()
		}
		wg.Wait()
		results := make([]*herkenv1.ImportResult, len(recs))
		for i, p := range plans {
			res := p.res
			if p.ok {
				var c herken.Customer
				var ok bool
				c, res, ok = svc.ImportedCustomer(p.plan, p.res, o, loader.Holders)
				if ok {
					if err := loader.Add(c, nil, nil); err != nil {
						return err
					}
				}
			} else {
				res.Outcome = herken.ImportFailed
			}
			results[i] = server.ImportResultToPB(res)
		}
		imp.apply(rows, results)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := loader.Finish(); err != nil {
		return err
	}
	return store.Close()
}

// plannedRow is one row checked by Service.PlanImport.
type plannedRow struct {
	plan herken.ImportPlan
	res  herken.ImportResult
	ok   bool
}
