// Package importfile reads CRM export files (CSV with a header row, or
// NDJSON of herken.v1.ImportRecord) into ImportRecord messages for
// `herken import`, online and offline.
//
// It parses; it does not validate values beyond what parsing needs: phone
// numbers, emails, postcodes and handles go to the server (or the offline
// loader) as written, and their problems are reported there. What the reader
// reports are rows it cannot turn into a record (a malformed CSV row, a
// missing external id, an NDJSON line that is not an ImportRecord) and
// identifiers it cannot build (a house number that is not a number); see
// Problem.
//
// CSV as CRMs and Excel write it: the delimiter (',', ';' or tab) is detected
// from the header line, or from Excel's "sep=;" first line; UTF-8 with or
// without BOM, UTF-16 with BOM (Excel's "Unicode text"), or Windows-1252
// (chosen when the first 64 KiB are not valid UTF-8); quoted cells with
// newlines and doubled quotes; CRLF line ends. Columns are mapped from the
// header names (Dutch and English, case, accent, space and punctuation
// insensitive) or by an explicit Mapping.
//
// Row numbers are what a person sees in Excel: the header is row 1, a
// quoted cell with line breaks does not start a new row, blank lines count
// as rows, and a "sep=" line does not (Excel hides it). Row.Line is the
// file's line where the record starts, for a text editor.
//
// Problem descriptions never contain a cell's value: they are built from
// fixed text and numbers only. The column name is in Problem.Column.
package importfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// Format of an import file.
type Format string

const (
	FormatAuto   Format = ""
	FormatCSV    Format = "csv"
	FormatNDJSON Format = "ndjson"
)

// Encodings.
const (
	EncodingUTF8        = "utf-8"
	EncodingWindows1252 = "windows-1252"
	EncodingUTF16       = "utf-16"
)

// SampleSize is how much of the file encoding and delimiter detection look
// at.
const SampleSize = 64 << 10

// Options says how to read a file. The zero Options detects everything.
type Options struct {
	// Name is the file's name (or path), used only to detect the format
	// from its extension: .ndjson, .jsonl, .json → NDJSON; .csv, .tsv,
	// .txt → CSV. Optional.
	Name string
	// Format: FormatCSV, FormatNDJSON, or FormatAuto (by Name's extension,
	// else NDJSON when the first non-space character is '{').
	Format Format
	// Encoding: "utf-8", "windows-1252" (also "cp1252", "latin1",
	// "iso-8859-1"), "utf-16", or "" to detect: a BOM decides; otherwise
	// UTF-8 when the first SampleSize bytes are valid UTF-8, else
	// Windows-1252.
	Encoding string
	// Delimiter of a CSV: ',', ';', '\t' or another rune; 0 detects it (an
	// Excel "sep=" line, else the most frequent of ',', ';' and tab outside
	// quotes in the header line, ',' when there is none).
	Delimiter rune
	// LazyQuotes accepts a quote inside an unquoted cell (Jan "de Boer")
	// and a stray quote inside a quoted cell, as hand-written files have.
	// Off by default: Excel and CRMs quote correctly, and strict quoting
	// reports a broken row as ROW_MALFORMED instead of silently merging
	// rows.
	LazyQuotes bool
	// Mapping maps columns explicitly; it wins over automatic mapping.
	Mapping Mapping
	// NoAutoMapping maps only what Mapping names.
	NoAutoMapping bool
	// MaxLineBytes bounds one NDJSON line; 0 means 1 MiB. A longer line
	// is a ROW_MALFORMED problem and is skipped.
	MaxLineBytes int
}

// Problem is why a row, or one identifier of it, could not be read.
type Problem struct {
	// Row is Row.Number of the row.
	Row int
	// Field is the ImportRecord field ("external_id", "identifiers",
	// "display_name"), "" for the whole row.
	Field string
	// Column is the CSV header cell the value came from (for NDJSON an
	// unknown JSON field's name), "" when not one column.
	Column string
	// Reason is UPPER_SNAKE like the server's: ROW_MALFORMED,
	// FIELD_REQUIRED, FIELD_INVALID, FIELD_UNKNOWN, ENCODING_INVALID.
	Reason string
	// Description is for people; it never holds the value.
	Description string
}

func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "row %d", p.Row)
	if p.Column != "" {
		fmt.Fprintf(&b, " column %q", p.Column)
	}
	if p.Field != "" {
		fmt.Fprintf(&b, " (%s)", p.Field)
	}
	fmt.Fprintf(&b, ": %s: %s", p.Reason, p.Description)
	return b.String()
}

// Row is one record of the file.
type Row struct {
	// Number is the row as a spreadsheet shows it (CSV: header = 1), or
	// the line number (NDJSON).
	Number int
	// Line is the file line where the record starts.
	Line int
	// Record is nil when the row cannot be imported (Problems say why).
	// A non-nil Record may still come with Problems: identifiers that
	// could not be built and were left out (Field "identifiers"); an
	// import that fails records with bad identifiers should skip it.
	Record *herkenv1.ImportRecord
	// Problems of the row; nil when it read cleanly.
	Problems []Problem
	// Columns names, for each of Record.Identifiers, the CSV column it
	// came from ("Postcode+Huisnummer" for an address), so a server
	// problem on "identifiers[2]" can name its column. Nil for NDJSON.
	Columns []string
}

// Reader reads records from an import file. It is not safe for concurrent
// use, except BytesRead.
type Reader struct {
	opts      Options
	format    Format
	encoding  string
	delim     rune
	notes     []string
	fields    []string
	count     *countingReader
	src       *bufio.Reader // decoded input
	csv       *csvState
	nd        *ndState
	exhausted bool
}

// Open prepares r for reading: detects the format, encoding and delimiter,
// reads the CSV header and maps its columns. Errors are about the whole
// file (no external_id column, a mapping naming a missing column, an
// unreadable header).
func Open(r io.Reader, opts Options) (*Reader, error) {
	rd := &Reader{opts: opts, count: &countingReader{r: r}}
	raw := bufio.NewReaderSize(rd.count, SampleSize)
	sample, err := raw.Peek(SampleSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("importfile: reading: %w", err)
	}
	enc, why, err := detectEncoding(sample, opts.Encoding, len(sample) == SampleSize)
	if err != nil {
		return nil, err
	}
	rd.encoding = enc
	if why != "" {
		rd.notes = append(rd.notes, why)
	}
	switch enc {
	case EncodingUTF8:
		rd.src = raw
		if bytes.HasPrefix(sample, utf8BOM) {
			_, _ = raw.Discard(len(utf8BOM))
		}
	case EncodingWindows1252:
		rd.src = bufio.NewReaderSize(charmap.Windows1252.NewDecoder().Reader(raw), SampleSize)
	case EncodingUTF16:
		rd.src = bufio.NewReaderSize(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Reader(raw), SampleSize)
		// A UTF-8 BOM after decoding (a BOM-less UTF-16 file has none).
		if p, _ := rd.src.Peek(3); bytes.Equal(p, utf8BOM) {
			_, _ = rd.src.Discard(3)
		}
	}

	rd.format, err = detectFormat(opts, rd.src)
	if err != nil {
		return nil, err
	}
	switch rd.format {
	case FormatNDJSON:
		if err := rd.openNDJSON(); err != nil {
			return nil, err
		}
	default:
		if err := rd.openCSV(); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// Next returns the next row, or io.EOF after the last. Other errors are
// reading errors of the underlying input; the Reader is done then.
func (r *Reader) Next() (Row, error) {
	if r.exhausted {
		return Row{}, io.EOF
	}
	var (
		row Row
		err error
	)
	if r.format == FormatNDJSON {
		row, err = r.nextNDJSON()
	} else {
		row, err = r.nextCSV()
	}
	if err != nil {
		r.exhausted = true
	}
	return row, err
}

// Format is the file's format.
func (r *Reader) Format() Format { return r.format }

// Encoding is the encoding the file is read in: "utf-8", "windows-1252" or
// "utf-16".
func (r *Reader) Encoding() string { return r.encoding }

// Delimiter is the CSV delimiter (0 for NDJSON).
func (r *Reader) Delimiter() rune { return r.delim }

// Fields are the ImportRecord fields the file sets, as update_mask paths in
// a fixed order (display_name, preferred_language, tags, handover_note,
// identifiers): a CSV without a notes column leaves notes alone. All five
// for NDJSON.
func (r *Reader) Fields() []string { return append([]string(nil), r.fields...) }

// Notes are things worth telling the user once: the encoding detected,
// columns not imported, columns passed over for a better match.
func (r *Reader) Notes() []string { return append([]string(nil), r.notes...) }

// Header is the CSV header row (nil for NDJSON).
func (r *Reader) Header() []string {
	if r.csv == nil {
		return nil
	}
	return append([]string(nil), r.csv.header...)
}

// Mapped lists the CSV columns that are read and what they feed.
func (r *Reader) Mapped() []ColumnMapping {
	if r.csv == nil {
		return nil
	}
	var out []ColumnMapping
	for i, b := range r.csv.binds {
		if b.kind == kNone || b.kind == kIgnore {
			continue
		}
		out = append(out, ColumnMapping{Column: r.csv.header[i], Index: i, Field: b.field(), Label: b.label})
	}
	return out
}

// BytesRead is how many bytes were read from the input so far (including
// read-ahead of at most about 64 KiB), for a progress bar against the file
// size. Safe to call from another goroutine.
func (r *Reader) BytesRead() int64 { return r.count.n.Load() }

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func detectEncoding(sample []byte, want string, truncated bool) (enc, note string, err error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(want), "_", "-")) {
	case "":
	case "utf-8", "utf8":
		return EncodingUTF8, "", nil
	case "windows-1252", "cp1252", "windows1252", "latin1", "latin-1", "iso-8859-1", "iso8859-1", "ansi":
		return EncodingWindows1252, "", nil
	case "utf-16", "utf16", "utf-16le", "utf-16be", "unicode":
		return EncodingUTF16, "", nil
	default:
		return "", "", fmt.Errorf("importfile: unknown encoding %q (want utf-8, windows-1252 or utf-16)", want)
	}
	switch {
	case bytes.HasPrefix(sample, utf8BOM):
		return EncodingUTF8, "", nil
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}), bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return EncodingUTF16, "encoding: UTF-16 (byte order mark)", nil
	}
	s := sample
	if truncated {
		// Do not hold a rune cut off by the sample's end against the file.
		for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
			if utf8.RuneStart(s[i]) {
				if !utf8.FullRune(s[i:]) {
					s = s[:i]
				}
				break
			}
		}
	}
	if utf8.Valid(s) {
		return EncodingUTF8, "", nil
	}
	return EncodingWindows1252, fmt.Sprintf("encoding: Windows-1252 (the first %d KiB are not valid UTF-8; set the encoding to override)", SampleSize>>10), nil
}

func detectFormat(opts Options, src *bufio.Reader) (Format, error) {
	switch Format(strings.ToLower(string(opts.Format))) {
	case FormatCSV, "tsv":
		return FormatCSV, nil
	case FormatNDJSON, "jsonl", "json":
		return FormatNDJSON, nil
	case FormatAuto:
	default:
		return "", fmt.Errorf("importfile: unknown format %q (want csv or ndjson)", opts.Format)
	}
	switch strings.ToLower(filepath.Ext(opts.Name)) {
	case ".ndjson", ".jsonl", ".json":
		return FormatNDJSON, nil
	case ".csv", ".tsv", ".txt", ".tab":
		return FormatCSV, nil
	}
	p, _ := src.Peek(SampleSize)
	t := bytes.TrimLeft(p, " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		return FormatNDJSON, nil
	}
	return FormatCSV, nil
}

// Field paths of ImportSettings.update_mask, in order.
var allFields = []string{"display_name", "preferred_language", "tags", "handover_note", "identifiers"}
