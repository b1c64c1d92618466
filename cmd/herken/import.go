package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/herken/herken/client"
	"github.com/herken/herken/internal/importfile"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

var importSpec = cmdSpec{
	name:    "import",
	args:    "[flags] FILE",
	summary: "load or sync customers from a CRM export (CSV or NDJSON)",
	about: `Loads customers from FILE ("-" reads stdin) into a running server through
ImportCustomers, or with --data-dir straight into a stopped, empty store (the
initial load of a big customer base). Each row is an upsert keyed by the CRM's
external id: a new id creates a customer; a known one updates that customer's
fields and its identifiers from --source; a row that changes nothing writes
nothing, so running the same file again changes nothing.

CSV as CRMs and Excel write it: comma, semicolon or tab (detected), UTF-8 with
or without BOM or Windows-1252 (detected), quoted cells with line breaks, CRLF.
Columns are found by their header (Dutch or English: klantnummer, naam,
telefoon, mobiel, e-mail, postcode, huisnummer, taal, tags, notitie, ...) or
mapped with --map FIELD=COLUMN / --mapping FILE (lines "phone = Mobiel (mobiel)";
fields: external_id, display_name, first_name, middle_name, last_name, phone,
email, postcode, house_number, house_number_addition, preferred_language,
tags, handover_note, and social handles by platform: x, facebook, instagram,
linkedin, whatsapp, ...). NDJSON is one herken.v1.ImportRecord per line, as
herken export writes it.

Bad data never stops the rest. A row that cannot be imported, and an
identifier that is invalid, blocked, withheld, over the share limit or held by
another customer (the row is imported without it unless
--skip-record-on-bad-identifier), is written to the error file with its row,
column, field and reason, never its value. Exit status 6 means the import
finished with such problems; 0 that every row was imported cleanly.`,
	examples: `
herken import klanten.csv
herken import --dry-run klanten.csv
herken import --map external_id=Relatienummer --map "phone=GSM (mobiel)" --errors fouten.csv klanten.csv
herken export --out klanten.ndjson && herken import klanten.ndjson
herken import --data-dir ./data --encryption-key-file key klanten.csv   # offline, herken serve stopped`,
}

// importFlags are the flags of herken import.
type importFlags struct {
	format, encoding, delimiter string
	maps                        stringList
	mappingFile                 string
	lazyQuotes                  bool
	source, fields              string
	skipRecord, dryRun          bool
	errorsFile                  string
	chunk, parallel             int
	progress                    string
	dataDir                     string
	enc                         encryptionFlags
	offline                     offlineConfig
	cpuProfile                  string
}

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(importSpec, stdout, stderr)
	c.serverFlags()
	var f importFlags
	fs := c.fs
	fs.StringVar(&f.format, "format", "", "csv or ndjson (default: from the file's extension or content)")
	fs.StringVar(&f.encoding, "encoding", "", "utf-8, windows-1252 or utf-16 (default: detected)")
	fs.StringVar(&f.delimiter, "delimiter", "", `CSV delimiter: ",", ";" or "tab" (default: detected from the header)`)
	fs.Var(&f.maps, "map", `map a column: FIELD=COLUMN or "FIELD=COLUMN (label)"; repeatable (phone, email and social handles may repeat)`)
	fs.StringVar(&f.mappingFile, "mapping", "", "file of mapping lines (FIELD = COLUMN [(label)], # comments)")
	fs.BoolVar(&f.lazyQuotes, "lazy-quotes", false, "accept stray quotes in cells (hand-written files)")
	fs.StringVar(&f.source, "source", "crm", "provenance of the imported identifiers; on an update, the customer's identifiers from this source are replaced by the row's")
	fs.StringVar(&f.fields, "fields", "", "fields the import sets on existing customers, comma-separated from display_name, preferred_language, tags, handover_note, identifiers (default: those the file has columns for)")
	fs.BoolVar(&f.skipRecord, "skip-record-on-bad-identifier", false, "skip a row with a bad identifier instead of importing it without")
	fs.BoolVar(&f.dryRun, "dry-run", false, "check every row against the server and report what would happen; write nothing")
	fs.StringVar(&f.errorsFile, "errors", "", `error file (CSV: row, line, column, field, reason, description); default FILE.errors.csv, "-" for stderr`)
	fs.IntVar(&f.chunk, "chunk", 5000, "rows per ImportCustomers stream (at most 10000)")
	fs.IntVar(&f.parallel, "parallel", 4, "streams at once")
	fs.StringVar(&f.progress, "progress", "auto", "auto (a bar on a terminal, lines otherwise), bar, lines or none")
	fs.StringVar(&f.dataDir, "data-dir", "", "import offline into this stopped, empty Badger store instead of a server")
	f.enc.addFlags(c.e)
	c.e.String(&f.offline.region, "region", "NL", "with --data-dir: the region herken serve runs with (--region): numbers without country code")
	c.e.String(&f.offline.blocklistFile, "blocklist-file", "", "with --data-dir: the blocklist file herken serve runs with")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the import to this file (go tool pprof)")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.wantArgs(1, 1); err != nil {
		return err
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if f.chunk < 1 || f.chunk > client.MaxImportRecords {
		return c.usageError("--chunk must be 1..%d", client.MaxImportRecords)
	}
	if f.parallel < 1 || f.parallel > 64 {
		return c.usageError("--parallel must be 1..64")
	}
	switch f.progress {
	case "auto", "bar", "lines", "none":
	default:
		return c.usageError("--progress must be auto, bar, lines or none")
	}
	if f.dataDir != "" && f.dryRun {
		return c.usageError("--dry-run checks against a running server; it cannot be combined with --data-dir")
	}
	opts, err := f.readOptions(c.args[0])
	if err != nil {
		return c.usageError("%v", err)
	}
	in, size, err := openInput(c.args[0])
	if err != nil {
		return err
	}
	defer in.Close()
	rd, err := importfile.Open(in, opts)
	if err != nil {
		return err
	}
	for _, n := range rd.Notes() {
		fmt.Fprintln(stderr, "herken import:", n)
	}
	settings, err := f.settings(rd)
	if err != nil {
		return c.usageError("%v", err)
	}
	errPath := f.errorsFile
	if errPath == "" {
		errPath = c.args[0] + ".errors.csv"
		if c.args[0] == "-" {
			errPath = "import.errors.csv"
		}
	}
	imp := &importer{rd: rd, settings: settings, size: size, chunk: f.chunk, parallel: f.parallel, stderr: stderr}
	imp.progress = newProgress(f.progress, size, stderr)
	start := time.Now()
	if f.dataDir != "" {
		err = imp.offline(ctx, f.dataDir, f.enc, f.offline)
	} else {
		err = imp.online(ctx, c)
	}
	imp.progress.done()
	// The problems found so far are written even when the import stops
	// early (a stream the server refused, a read error, Ctrl-C): the rows
	// already sent were imported, and a stale file would mislead.
	written, werr := writeProblems(errPath, imp.problems, stderr)
	if err != nil {
		if written != "" {
			fmt.Fprintf(stderr, "herken import: stopped; the problems of the rows read so far are in %s\n", written)
		}
		return err
	}
	if werr != nil {
		return werr
	}
	sum := imp.summary(time.Since(start), f.dryRun)
	sum.Offline = f.dataDir != ""
	if c.json {
		b, _ := json.MarshalIndent(sum, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		sum.print(stdout, written)
	}
	if sum.Failed > 0 || sum.IdentifiersDropped > 0 {
		return fmt.Errorf("%w: %d rows failed, %d identifiers dropped; see %s", errImportProblems, sum.Failed, sum.IdentifiersDropped, written)
	}
	return nil
}

func (f *importFlags) readOptions(name string) (importfile.Options, error) {
	opts := importfile.Options{Name: name, Format: importfile.Format(f.format), Encoding: f.encoding, LazyQuotes: f.lazyQuotes}
	switch f.format {
	case "", "csv", "ndjson":
	default:
		return opts, fmt.Errorf("--format must be csv or ndjson")
	}
	switch f.delimiter {
	case "":
	case "tab", `\t`:
		opts.Delimiter = '\t'
	default:
		r := []rune(f.delimiter)
		if len(r) != 1 {
			return opts, fmt.Errorf("--delimiter must be one character or \"tab\"")
		}
		opts.Delimiter = r[0]
	}
	var m importfile.Mapping
	if f.mappingFile != "" {
		file, err := os.Open(f.mappingFile)
		if err != nil {
			return opts, err
		}
		m, err = importfile.ReadMapping(file)
		file.Close()
		if err != nil {
			return opts, err
		}
	}
	for _, s := range f.maps {
		if err := m.Add(s); err != nil {
			return opts, err
		}
	}
	opts.Mapping = m
	return opts, nil
}

// settings is the stream settings: --fields, or the fields the file has.
func (f *importFlags) settings(rd *importfile.Reader) (*herkenv1.ImportSettings, error) {
	paths := rd.Fields()
	if f.fields != "" {
		paths = nil
		for _, p := range strings.Split(f.fields, ",") {
			if p = strings.TrimSpace(p); p != "" {
				paths = append(paths, p)
			}
		}
	}
	if len(paths) == 0 {
		return nil, errors.New("the file maps no field to set: map at least display_name or an identifier column")
	}
	return &herkenv1.ImportSettings{
		Source:                    f.source,
		UpdateMask:                &fieldmaskpb.FieldMask{Paths: paths},
		ValidateOnly:              f.dryRun,
		SkipRecordOnBadIdentifier: f.skipRecord,
	}, nil
}

func openInput(name string) (io.ReadCloser, int64, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), -1, nil
	}
	file, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, 0, err
	}
	return file, st.Size(), nil
}

// importer reads rows, sends them in chunks and collects what happened.
type importer struct {
	rd       *importfile.Reader
	settings *herkenv1.ImportSettings
	size     int64
	chunk    int
	parallel int
	stderr   io.Writer
	progress *progress

	mu       sync.Mutex
	rows     int
	counts   importSummary
	problems []problemLine
	seen     map[string]int // external id → first row
}

// problemLine is one line of the error file.
type problemLine struct {
	Row, Line                          int
	Column, Field, Reason, Description string
}

// chunkRow is a row sent in a chunk, with what maps its results back.
type chunkRow struct {
	number, line int
	columns      []string
}

// next reads the next chunk: records to send, and the rows they came from.
// Rows the reader could not use, and repeated external ids, go straight to
// the problems.
func (imp *importer) next() ([]*herkenv1.ImportRecord, []chunkRow, error) {
	var recs []*herkenv1.ImportRecord
	var rows []chunkRow
	for len(recs) < imp.chunk {
		row, err := imp.rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		imp.mu.Lock()
		imp.rows++
		for _, p := range row.Problems {
			imp.problems = append(imp.problems, problemLine{Row: p.Row, Line: row.Line, Column: p.Column, Field: p.Field, Reason: p.Reason, Description: p.Description})
		}
		if row.Record == nil {
			imp.counts.Failed++
			imp.mu.Unlock()
			continue
		}
		if len(row.Problems) > 0 {
			imp.counts.IdentifiersDropped += len(row.Problems)
			if imp.settings.GetSkipRecordOnBadIdentifier() {
				imp.counts.Failed++
				imp.mu.Unlock()
				continue
			}
		}
		key := strings.TrimSpace(row.Record.GetExternalId())
		if first, dup := imp.seen[key]; dup && imp.seen != nil {
			imp.counts.Failed++
			imp.problems = append(imp.problems, problemLine{Row: row.Number, Line: row.Line, Field: "external_id", Reason: "EXTERNAL_ID_DUPLICATE",
				Description: "the external id is on row " + strconv.Itoa(first) + " too, which was imported instead"})
			imp.mu.Unlock()
			continue
		}
		if imp.seen != nil {
			imp.seen[key] = row.Number
		}
		imp.mu.Unlock()
		recs = append(recs, row.Record)
		rows = append(rows, chunkRow{number: row.Number, line: row.Line, columns: row.Columns})
	}
	return recs, rows, nil
}

// apply records a chunk's results.
func (imp *importer) apply(rows []chunkRow, results []*herkenv1.ImportResult) {
	imp.mu.Lock()
	defer imp.mu.Unlock()
	for i, r := range results {
		row := rows[i]
		switch r.GetOutcome() {
		case herkenv1.ImportResult_OUTCOME_CREATED:
			imp.counts.Created++
		case herkenv1.ImportResult_OUTCOME_UPDATED:
			imp.counts.Updated++
		case herkenv1.ImportResult_OUTCOME_UNCHANGED:
			imp.counts.Unchanged++
		default:
			imp.counts.Failed++
		}
		for _, p := range r.GetProblems() {
			if r.GetOutcome() != herkenv1.ImportResult_OUTCOME_FAILED {
				imp.counts.IdentifiersDropped++
			}
			imp.problems = append(imp.problems, problemLine{Row: row.number, Line: row.line, Column: columnOf(p.GetField(), row.columns),
				Field: p.GetField(), Reason: p.GetReason(), Description: p.GetDescription()})
		}
	}
	imp.progress.add(len(results), imp.rd.BytesRead())
}

// columnOf names the CSV column a problem's field came from
// ("identifiers[2].phone_number" → the column of the third identifier).
func columnOf(field string, columns []string) string {
	rest, ok := strings.CutPrefix(field, "identifiers[")
	if !ok {
		return ""
	}
	n, _, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(n)
	if !ok || err != nil || i < 0 || i >= len(columns) {
		return ""
	}
	return columns[i]
}

// online sends the file in chunks, imp.parallel streams at once. A chunk
// whose stream fails with a retryable error is sent again (an import is
// idempotent); any other stream error stops the import.
func (imp *importer) online(ctx context.Context, c *cmdline) error {
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	imp.seen = map[string]int{}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type job struct {
		recs []*herkenv1.ImportRecord
		rows []chunkRow
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range imp.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				resp, err := imp.send(ctx, cl, c, j.recs)
				if err != nil {
					cancel(c.fail(err))
					continue
				}
				imp.apply(j.rows, resp.GetResults())
			}
		}()
	}
	var readErr error
	for ctx.Err() == nil {
		recs, rows, err := imp.next()
		if err != nil {
			readErr = err
			break
		}
		if len(recs) == 0 {
			break
		}
		select {
		case jobs <- job{recs, rows}:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if readErr != nil {
		return readErr
	}
	return context.Cause(ctx)
}

// send imports one chunk, retrying what may pass on a second try (a
// restarting server, the key's rate limit) with backoff.
func (imp *importer) send(ctx context.Context, cl *client.Client, c *cmdline, recs []*herkenv1.ImportRecord) (*herkenv1.ImportCustomersResponse, error) {
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		// A chunk may take a while on a busy server: --timeout per 1,000 rows.
		cctx, cancel := context.WithTimeout(ctx, c.timeout*time.Duration(1+len(recs)/1000))
		resp, err := cl.ImportCustomers(cctx, imp.settings, recs)
		cancel()
		if err == nil || attempt == 5 || !client.Retryable(err) || ctx.Err() != nil {
			return resp, err
		}
		wait := backoff
		if ce := client.AsError(err); ce != nil && ce.RetryDelay > wait {
			wait = ce.RetryDelay
		}
		fmt.Fprintf(imp.stderr, "herken import: %v; sending the chunk again in %s\n", errorText(err), wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		backoff *= 2
	}
}

// importSummary is what herken import prints at the end.
type importSummary struct {
	Rows               int     `json:"rows"`
	Created            int     `json:"created"`
	Updated            int     `json:"updated"`
	Unchanged          int     `json:"unchanged"`
	Failed             int     `json:"failed"`
	IdentifiersDropped int     `json:"identifiers_dropped"`
	Seconds            float64 `json:"seconds"`
	RowsPerSecond      float64 `json:"rows_per_second"`
	DryRun             bool    `json:"dry_run,omitempty"`
	Offline            bool    `json:"offline,omitempty"`
	ErrorFile          string  `json:"error_file,omitempty"`
}

func (imp *importer) summary(d time.Duration, dry bool) importSummary {
	imp.mu.Lock()
	defer imp.mu.Unlock()
	s := imp.counts
	s.Rows, s.Seconds, s.DryRun = imp.rows, d.Seconds(), dry
	if d > 0 {
		s.RowsPerSecond = float64(imp.rows) / d.Seconds()
	}
	return s
}

func (s importSummary) print(w io.Writer, errFile string) {
	verb := "imported"
	if s.DryRun {
		verb = "checked (dry run: nothing written)"
	}
	fmt.Fprintf(w, "%d rows %s in %.1fs (%.0f rows/s)\n", s.Rows, verb, s.Seconds, s.RowsPerSecond)
	fmt.Fprintf(w, "  created   %d\n  updated   %d\n  unchanged %d\n  failed    %d\n  identifiers dropped %d\n",
		s.Created, s.Updated, s.Unchanged, s.Failed, s.IdentifiersDropped)
	if errFile != "" {
		fmt.Fprintf(w, "  problems in %s\n", errFile)
	}
}

// writeProblems writes the error file sorted by row; none is written (and
// an old one removed) when there are no problems. It returns the path
// written, "" for none.
func writeProblems(path string, problems []problemLine, stderr io.Writer) (string, error) {
	if len(problems) == 0 {
		if path != "-" {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", err
			}
		}
		return "", nil
	}
	slices.SortStableFunc(problems, func(a, b problemLine) int { return cmp.Compare(a.Row, b.Row) })
	var w io.Writer = stderr
	var file *os.File
	if path != "-" {
		var err error
		if file, err = os.Create(path); err != nil {
			return "", err
		}
		w = file
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"row", "line", "column", "field", "reason", "description"})
	for _, p := range problems {
		_ = cw.Write([]string{strconv.Itoa(p.Row), strconv.Itoa(p.Line), p.Column, p.Field, p.Reason, p.Description})
	}
	cw.Flush()
	err := cw.Error()
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if path == "-" {
		path = "stderr"
	}
	return path, err
}

// progress shows how far an import is: a bar with rate and ETA on a
// terminal (by bytes of the file read), plain lines every few seconds
// otherwise.
type progress struct {
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	lines   io.Writer
	rows    int
	start   time.Time
	last    time.Time
	size    int64
	stopped bool
}

func newProgress(mode string, size int64, stderr io.Writer) *progress {
	p := &progress{start: time.Now(), last: time.Now(), size: size}
	if mode == "auto" {
		mode = "lines"
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	switch mode {
	case "bar":
		p.bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("importing"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionFullWidth(),
		)
	case "lines":
		p.lines = stderr
	}
	return p
}

// add counts rows done and where the reader is in the file.
func (p *progress) add(rows int, bytesRead int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rows += rows
	rate := float64(p.rows) / time.Since(p.start).Seconds()
	switch {
	case p.bar != nil:
		p.bar.Describe(fmt.Sprintf("%d rows, %.0f rows/s", p.rows, rate))
		_ = p.bar.Set64(bytesRead)
	case p.lines != nil && time.Since(p.last) >= 5*time.Second:
		p.last = time.Now()
		pct := ""
		if p.size > 0 {
			done := float64(bytesRead) / float64(p.size)
			pct = fmt.Sprintf(", %.0f%% of the file", 100*done)
			if done > 0 {
				eta := time.Duration(float64(time.Since(p.start)) * (1 - done) / done)
				pct += ", about " + eta.Round(time.Second).String() + " to go"
			}
		}
		fmt.Fprintf(p.lines, "herken import: %d rows (%.0f rows/s)%s\n", p.rows, rate, pct)
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && !p.stopped {
		_ = p.bar.Finish()
	}
	p.stopped = true
}
