package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/herken/herken/internal/importfile"
)

// The import benchmark: a CRM export of -import-rows customers (the Dutch
// Excel CSV `herken import` reads: ';', BOM, CRLF, 13 columns, ~1% bad
// rows), loaded by the real `herken import` binary twice — offline into a
// stopped, empty store (--data-dir), and online through ImportCustomers
// into `herken serve` on an empty store with its production defaults
// (synced writes, audit off as in the main phases, no rate limit) — with
// the rate, and the loading process's peak RSS. The offline store is
// checked with `herken check`.

// importRun is one `herken import`.
type importRun struct {
	Seconds            float64
	Rate               float64 // rows/s
	PeakRSS            int64   // the import process's (offline: the loader)
	Created, Failed    int
	IdentifiersDropped int
	Err                string
}

type importReport struct {
	Rows             int
	FileBytes        int64
	Offline, Online  importRun
	CheckClean       bool
	CheckSeconds     float64
	ServerPeakRSS    int64 // herken serve during the online import
	GenerateDuration time.Duration
}

func benchImports(ctx context.Context, cfg config, herken, dir string, log io.Writer) (*importReport, error) {
	rep := &importReport{Rows: cfg.ImportRows}
	work := filepath.Join(dir, "import")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	file := filepath.Join(work, "klanten.csv")
	start := time.Now()
	if err := writeCSV(file, cfg.ImportRows, cfg.Seed); err != nil {
		return nil, err
	}
	rep.GenerateDuration = time.Since(start)
	if st, err := os.Stat(file); err == nil {
		rep.FileBytes = st.Size()
	}
	fmt.Fprintf(log, "herken-bench: import file of %s rows (%s) written in %s\n", commas(float64(cfg.ImportRows)), mib(rep.FileBytes), rep.GenerateDuration.Round(time.Millisecond))

	offDir := filepath.Join(work, "offline")
	rep.Offline = runImport(ctx, herken, []string{"import", "--data-dir", offDir, "--progress", "none", "--json", "--errors", filepath.Join(work, "offline.errors.csv"), file})
	fmt.Fprintf(log, "herken-bench: offline import: %s rows/s, peak RSS %s %s\n", commas(rep.Offline.Rate), mib(rep.Offline.PeakRSS), rep.Offline.Err)
	if rep.Offline.Err == "" {
		cstart := time.Now()
		out, err := exec.CommandContext(ctx, herken, "check", "--data-dir", offDir).CombinedOutput()
		rep.CheckSeconds = time.Since(cstart).Seconds()
		rep.CheckClean = err == nil
		if err != nil {
			fmt.Fprintf(log, "herken-bench: herken check after the offline import: %v\n%s", err, out)
		}
	}
	os.RemoveAll(offDir)

	addr, err := freeLoopbackAddr()
	if err != nil {
		return rep, err
	}
	onDir := filepath.Join(work, "online")
	srv, _, err := startServer(ctx, herken, []string{"serve", "--addr", addr, "--data-dir", onDir, "--log-level", "warn", "--no-rate-limit", "--audit=false"}, addr, log)
	if err != nil {
		return rep, fmt.Errorf("starting herken serve for the online import: %w", err)
	}
	_ = srv.resetPeak()
	rep.Online = runImport(ctx, herken, []string{"import", "--addr", addr, "--progress", "none", "--json", "--errors", filepath.Join(work, "online.errors.csv"), file})
	if m, err := srv.memory(); err == nil {
		rep.ServerPeakRSS = m.HWM
	}
	if err := srv.stop(30 * time.Second); err != nil {
		fmt.Fprintln(log, "herken-bench: stopping the import server:", err)
	}
	fmt.Fprintf(log, "herken-bench: online import: %s rows/s %s\n", commas(rep.Online.Rate), rep.Online.Err)
	if rep.Online.Created != rep.Offline.Created || rep.Online.Failed != rep.Offline.Failed {
		return rep, fmt.Errorf("online import created %d (failed %d), offline %d (failed %d): they must agree", rep.Online.Created, rep.Online.Failed, rep.Offline.Created, rep.Offline.Failed)
	}
	return rep, nil
}

// runImport runs `herken import` and reads its JSON summary; exit 6
// (finished with problems: the file's bad rows) is success here.
func runImport(ctx context.Context, herken string, args []string) importRun {
	var run importRun
	cmd := exec.CommandContext(ctx, herken, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	run.Seconds = time.Since(start).Seconds()
	run.PeakRSS = maxRSS(cmd.ProcessState)
	if err != nil && cmd.ProcessState.ExitCode() != 6 {
		run.Err = fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String()))
		return run
	}
	var sum struct {
		Rows, Created, Failed int
		IdentifiersDropped    int `json:"identifiers_dropped"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		run.Err = "reading the summary: " + err.Error()
		return run
	}
	run.Created, run.Failed, run.IdentifiersDropped = sum.Created, sum.Failed, sum.IdentifiersDropped
	run.Rate = float64(sum.Rows) / run.Seconds
	return run
}

func (r *report) importTargets() []check {
	im := r.Imports
	if im == nil {
		return nil
	}
	at := ""
	if im.Rows != 1_000_000 {
		at = fmt.Sprintf(" (this run: %s rows)", commas(float64(im.Rows)))
	}
	var out []check
	if im.Offline.Err == "" {
		out = append(out,
			check{"Offline import ≥ 50,000 customers/s at 1,000,000" + at, commas(im.Offline.Rate) + " rows/s (whole `herken import --data-dir` run: read, check, load, index)", verdict(im.Offline.Rate >= 50_000)},
			check{"Offline import process peak RSS < 2 GiB", mib(im.Offline.PeakRSS), verdict(im.Offline.PeakRSS > 0 && im.Offline.PeakRSS < 2<<30)},
			check{"herken check clean after the offline import", fmt.Sprintf("%v (%.1f s)", im.CheckClean, im.CheckSeconds), verdict(im.CheckClean)})
	} else {
		out = append(out, check{"Offline import", im.Offline.Err, "MISS"})
	}
	if im.Online.Err == "" {
		out = append(out, check{"Online import through ImportCustomers ≥ 20,000 customers/s" + at,
			fmt.Sprintf("%s rows/s (herken import and herken serve on the same 2 cores; server peak RSS %s)", commas(im.Online.Rate), mib(im.ServerPeakRSS)),
			verdict(im.Online.Rate >= 20_000)})
	} else {
		out = append(out, check{"Online import", im.Online.Err, "MISS"})
	}
	return out
}

// writeCSV writes the benchmark's CRM export: rows customers of a Dutch
// Excel CSV (';', BOM, CRLF, 13 columns, ~1% bad rows).
func writeCSV(path string, rows int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := importfile.GenerateCSV(f, rows, importfile.GenOptions{Seed: seed}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
