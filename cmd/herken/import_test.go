package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken/internal/importfile"
	"github.com/herken/herken/store/badgerstore"
)

// startServer runs the real serve path with cfg until the test ends.
func startServer(t *testing.T, cfg serveConfig) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), ready) }()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	}
	t.Cleanup(stop)
	select {
	case addr := <-ready:
		return addr
	case err := <-done:
		t.Fatalf("server exited: %v", err)
	}
	return ""
}

// emptyServer is a server on an empty in-memory store.
func emptyServer(t *testing.T) string {
	cfg := testConfig()
	cfg.Demo = false
	return startServer(t, cfg)
}

// genCSV writes a Dutch-Excel CSV (';', BOM, CRLF, ~1% bad rows).
func genCSV(t *testing.T, n int) (string, importfile.GenStats) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "klanten.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := importfile.GenerateCSV(f, n, importfile.GenOptions{Seed: 7, BadPerMille: 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, st
}

func TestImportCSVOnline(t *testing.T) {
	addr := emptyServer(t)
	path, st := genCSV(t, 3000)
	errFile := filepath.Join(t.TempDir(), "fouten.csv")
	r := herkenCLI("import", "--addr", addr, "--json", "--errors", errFile, "--progress", "lines", "--chunk", "700", path)
	if r.code != 6 {
		t.Fatalf("exit %d, want 6 (bad rows):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	sum := decodeSummary(t, r.stdout)
	if sum.Rows != 3000 || sum.Created == 0 || sum.Created+sum.Failed != 3000 || sum.Failed != st.MissingExternalID || sum.IdentifiersDropped < st.InvalidPhone+st.InvalidEmail {
		t.Fatalf("summary %+v (generated %+v)", sum, st)
	}
	if !strings.Contains(r.stderr, "herken: import finished with problems") || strings.Count(r.stderr, "herken:") != 1 {
		t.Fatalf("stderr: %s", r.stderr)
	}
	rows := readCSV(t, errFile)
	if len(rows) < 2 || strings.Join(rows[0], ",") != "row,line,column,field,reason,description" {
		t.Fatalf("error file: %v", rows)
	}
	// Never a value: no cell of the input file is in the error file.
	input, _ := os.ReadFile(path)
	errText, _ := os.ReadFile(errFile)
	for _, row := range rows[1:] {
		if row[0] == "" || row[4] == "" {
			t.Fatalf("error line without row or reason: %v", row)
		}
	}
	for _, cell := range strings.FieldsFunc(string(input), func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
		if len(cell) >= 6 && strings.Contains(string(errText), strings.Trim(cell, `"`)) && strings.ContainsAny(cell, "@0123456789") {
			t.Fatalf("the error file holds the value %q", cell)
		}
	}

	// The same file again changes nothing.
	again := herkenCLI("import", "--addr", addr, "--json", "--errors", errFile, "--progress", "none", path)
	sum2 := decodeSummary(t, again.stdout)
	if sum2.Created != 0 || sum2.Updated != 0 || sum2.Unchanged != sum.Created || sum2.Failed != sum.Failed {
		t.Fatalf("re-run: %+v, first %+v", sum2, sum)
	}

	// A dry run of a changed file writes nothing and says what would change.
	changed := strings.Replace(string(input), "Jansen", "Janssen", 1)
	changedPath := filepath.Join(t.TempDir(), "gewijzigd.csv")
	if err := os.WriteFile(changedPath, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	dry := decodeSummary(t, herkenCLI("import", "--addr", addr, "--json", "--dry-run", "--errors", errFile, "--progress", "none", changedPath).stdout)
	after := decodeSummary(t, herkenCLI("import", "--addr", addr, "--json", "--errors", errFile, "--progress", "none", path).stdout)
	if !dry.DryRun || after.Updated != 0 || after.Created != 0 {
		t.Fatalf("dry run %+v wrote: %+v", dry, after)
	}
}

func TestImportThenLookupForAPerson(t *testing.T) {
	addr := emptyServer(t)
	path := filepath.Join(t.TempDir(), "klanten.csv")
	csvText := "\ufeffKlantnummer;Naam;Mobiel;E-mail;Postcode;Huisnummer;Notitie\r\n" +
		"K-1;Jan de Vries;06-12345678;jan@example.nl;1234 AB;10a;\"belt liever\r\nna 17:00\"\r\n" +
		"K-2;Anna Bakker;06 9999;anna@example;;;\r\n"
	if err := os.WriteFile(path, []byte(csvText), 0o600); err != nil {
		t.Fatal(err)
	}
	r := herkenCLI("import", "--addr", addr, "--progress", "none", "--errors", "-", path)
	if r.code != 6 || !strings.Contains(r.stdout, "created   2") || !strings.Contains(r.stderr, "PHONE_NUMBER_INVALID") || !strings.Contains(r.stderr, "Mobiel") {
		t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	look := herkenCLI("lookup", "--addr", addr, "06-12345678")
	if look.code != 0 || !strings.Contains(look.stdout, "Jan de Vries") || !strings.Contains(look.stdout, "na 17:00") {
		t.Fatalf("lookup: exit %d\n%s\n%s", look.code, look.stdout, look.stderr)
	}
}

// TestImportOfflineMatchesOnline: the same file loaded offline into a
// stopped store and online into a server gives the same customers (their
// exports are equal), and the offline store checks clean.
func TestImportOfflineMatchesOnline(t *testing.T) {
	path, _ := genCSV(t, 2500)
	// A CRM export that lists one customer twice: the first row wins, the
	// second is a problem, online and offline alike.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("K-0000002;Dubbel;;Dubbel;;0612121212;dubbel@example.nl;;;;;;\r\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	dir := t.TempDir()
	off := herkenCLI("import", "--data-dir", dir, "--json", "--progress", "none", "--errors", filepath.Join(filepath.Dir(path), "off.csv"), path)
	if off.code != 6 {
		t.Fatalf("offline: exit %d\n%s\n%s", off.code, off.stdout, off.stderr)
	}
	offSum := decodeSummary(t, off.stdout)
	if errs := readCSV(t, filepath.Join(filepath.Dir(path), "off.csv")); !slices.ContainsFunc(errs, func(r []string) bool { return r[4] == "EXTERNAL_ID_DUPLICATE" }) {
		t.Fatalf("offline: no EXTERNAL_ID_DUPLICATE in %v", errs)
	}
	if !offSum.Offline || offSum.Created == 0 {
		t.Fatalf("offline summary %+v", offSum)
	}
	rep, err := badgerstore.CheckDirKey(context.Background(), dir, nil)
	if err != nil || !rep.OK() {
		var b bytes.Buffer
		_ = rep.WriteText(&b)
		t.Fatalf("check after the offline import: %v\n%s", err, b.String())
	}
	// A second offline import into the now full store is refused.
	if r := herkenCLI("import", "--data-dir", dir, "--progress", "none", path); r.code != 1 || !strings.Contains(r.stderr, "running server") {
		t.Fatalf("offline into a full store: exit %d %s", r.code, r.stderr)
	}

	online := emptyServer(t)
	on := decodeSummary(t, herkenCLI("import", "--addr", online, "--json", "--progress", "none", "--errors", filepath.Join(t.TempDir(), "e.csv"), path).stdout)
	if on.Created != offSum.Created || on.Failed != offSum.Failed || on.IdentifiersDropped != offSum.IdentifiersDropped {
		t.Fatalf("online %+v, offline %+v", on, offSum)
	}
	cfg := testConfig()
	cfg.Demo, cfg.InMemory, cfg.DataDir = false, false, dir
	offAddr := startServer(t, cfg)
	if a, b := exportLines(t, offAddr), exportLines(t, online); !slices.Equal(a, b) || len(a) != offSum.Created {
		t.Fatalf("exports differ: offline %d lines, online %d", len(a), len(b))
	}
}

// TestExportImportRoundTrip: export → import into an empty store → export
// gives the same customers.
func TestExportImportRoundTrip(t *testing.T) {
	demo := startDemo(t)
	file := filepath.Join(t.TempDir(), "klanten.ndjson")
	if r := herkenCLI("export", "--addr", demo, "--out", file); r.code != 0 {
		t.Fatalf("export: %d %s", r.code, r.stderr)
	}
	empty := emptyServer(t)
	r := herkenCLI("import", "--addr", empty, "--json", "--progress", "none", "--errors", filepath.Join(t.TempDir(), "e.csv"), file)
	sum := decodeSummary(t, r.stdout)
	if sum.Created == 0 {
		t.Fatalf("import of the export: %d %s %s", r.code, r.stdout, r.stderr)
	}
	var keyed []string
	for _, l := range exportLines(t, demo) {
		if !strings.Contains(l, `"external_id":""`) && strings.Contains(l, `"external_id"`) {
			keyed = append(keyed, l)
		}
	}
	if got := exportLines(t, empty); !slices.Equal(got, keyed) {
		t.Fatalf("round trip differs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(keyed, "\n"))
	}
}

func exportLines(t *testing.T, addr string) []string {
	t.Helper()
	r := herkenCLI("export", "--addr", addr)
	if r.code != 0 {
		t.Fatalf("export: %d %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	slices.Sort(lines)
	return lines
}

func decodeSummary(t *testing.T, out string) importSummary {
	t.Helper()
	var s importSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	return s
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestImportProgress: --progress bar draws a bar with the rate (a terminal
// gets it by default), lines prints plain lines, none nothing.
func TestImportProgress(t *testing.T) {
	addr := emptyServer(t)
	path, _ := genCSV(t, 1500)
	errs := filepath.Join(t.TempDir(), "e.csv")
	bar := herkenCLI("import", "--addr", addr, "--progress", "bar", "--chunk", "500", "--parallel", "1", "--errors", errs, path)
	if !strings.Contains(bar.stderr, "rows/s") || !strings.Contains(bar.stderr, "%") {
		t.Fatalf("--progress bar drew no bar:\n%q", bar.stderr)
	}
	none := herkenCLI("import", "--addr", addr, "--progress", "none", "--errors", errs, path)
	if strings.Contains(none.stderr, "rows/s") {
		t.Fatalf("--progress none printed progress:\n%s", none.stderr)
	}
}

// TestImportStoppedEarlyWritesProblems: an import the server refuses
// still writes the problems of the rows it read (here a row without a
// customer number) and says where.
func TestImportStoppedEarlyWritesProblems(t *testing.T) {
	addr := emptyServer(t)
	path := filepath.Join(t.TempDir(), "klanten.csv")
	if err := os.WriteFile(path, []byte("Klantnummer;Naam\r\n;Zonder nummer\r\nK-1;Jan\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	errFile := filepath.Join(t.TempDir(), "fouten.csv")
	r := herkenCLI("import", "--addr", addr, "--progress", "none", "--source", "not a source", "--errors", errFile, path)
	if r.code != 1 || !strings.Contains(r.stderr, "FIELD_INVALID") || !strings.Contains(r.stderr, errFile) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if rows := readCSV(t, errFile); len(rows) != 2 || rows[1][4] != "FIELD_REQUIRED" {
		t.Fatalf("error file: %v", rows)
	}
}
