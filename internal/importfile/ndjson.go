package importfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const defaultMaxLine = 1 << 20

type ndState struct {
	line int
	max  int
	buf  []byte
	um   protojson.UnmarshalOptions
}

func (r *Reader) openNDJSON() error {
	max := r.opts.MaxLineBytes
	if max <= 0 {
		max = defaultMaxLine
	}
	r.nd = &ndState{max: max, um: protojson.UnmarshalOptions{DiscardUnknown: false}}
	r.fields = append([]string(nil), allFields...)
	return nil
}

// readLine returns the next line without its end, whether it was longer
// than max (then its content is not returned), or an error (io.EOF after
// the last line).
func (s *ndState) readLine(src *bufio.Reader) (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		frag, err := src.ReadSlice('\n')
		if !tooLong {
			if len(s.buf)+len(frag) > s.max+2 { // +2: the line end
				tooLong = true
				s.buf = s.buf[:0]
			} else if len(s.buf) == 0 && err == nil {
				// The common case: the whole line is in the buffer.
				return frag, false, nil
			} else {
				s.buf = append(s.buf, frag...)
			}
		}
		switch {
		case err == nil:
			return s.buf, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if len(s.buf) == 0 && !tooLong && len(frag) == 0 {
				return nil, false, io.EOF
			}
			return s.buf, tooLong, nil
		default:
			return nil, false, err
		}
	}
}

func (r *Reader) nextNDJSON() (Row, error) {
	s := r.nd
	for {
		line, tooLong, err := s.readLine(r.src)
		if err != nil {
			if err == io.EOF {
				return Row{}, io.EOF
			}
			return Row{}, fmt.Errorf("importfile: %w", err)
		}
		s.line++
		n := s.line
		row := Row{Number: n, Line: n}
		if tooLong {
			row.Problems = []Problem{{Row: n, Reason: ReasonRowMalformed, Description: describe(descLineTooLong, s.max)}}
			return row, nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		rec := &herkenv1.ImportRecord{}
		if err := s.um.Unmarshal(line, rec); err != nil {
			row.Problems = []Problem{jsonProblem(n, err)}
			return row, nil
		}
		if rec.GetExternalId() == "" {
			row.Problems = []Problem{{Row: n, Field: "external_id", Reason: ReasonFieldRequired, Description: describe(descNoExternalID)}}
			return row, nil
		}
		row.Record = rec
		return row, nil
	}
}

var (
	reUnknownField = regexp.MustCompile(`unknown field "([A-Za-z0-9_.]{1,64})"`)
	reInvalidField = regexp.MustCompile(`field ([A-Za-z][A-Za-z0-9_]{0,63})`)
	reLineCol      = regexp.MustCompile(`\(line \d+:(\d+)\)`)
)

// jsonProblem classifies a protojson error without copying its text: the
// message can quote the offending value.
func jsonProblem(row int, err error) Problem {
	msg := err.Error()
	p := Problem{Row: row, Reason: ReasonRowMalformed, Description: describe(descJSONSyntaxNoAt)}
	switch {
	case bytes.Contains([]byte(msg), []byte("UTF-8")):
		p.Reason, p.Description = ReasonEncodingInvalid, describe(descJSONNotUTF8)
	case bytes.Contains([]byte(msg), []byte("unknown field")):
		p.Reason, p.Description = ReasonFieldUnknown, describe(descJSONUnknown)
		if m := reUnknownField.FindStringSubmatch(msg); m != nil {
			p.Column = m[1]
		}
	case bytes.Contains([]byte(msg), []byte("invalid value")):
		p.Reason, p.Description = ReasonFieldInvalid, describe(descJSONInvalid)
		if m := reInvalidField.FindStringSubmatch(msg); m != nil {
			p.Field = snake(m[1])
		}
	default:
		if m := reLineCol.FindStringSubmatch(msg); m != nil {
			if c, err := strconv.Atoi(m[1]); err == nil {
				p.Description = describe(descJSONSyntax, c)
			}
		}
	}
	return p
}

// NDJSONWriter writes ImportRecords as NDJSON, the format `herken export`
// writes and the reader reads: protojson with proto field names
// ("external_id"), one record per line. protojson varies its white space
// between releases (deliberately); the writer removes it with json.Compact,
// so a line is stable: fields in proto field-number order, no spaces
// outside strings.
type NDJSONWriter struct {
	w    io.Writer
	tmp  []byte
	line bytes.Buffer
}

// NewNDJSONWriter returns a writer to w. It does not buffer beyond one line;
// wrap w in a bufio.Writer for speed.
func NewNDJSONWriter(w io.Writer) *NDJSONWriter {
	return &NDJSONWriter{w: w}
}

// Write writes rec as one line.
func (w *NDJSONWriter) Write(rec *herkenv1.ImportRecord) error {
	b, err := AppendNDJSON(w.tmp[:0], rec, &w.line)
	w.tmp = b[:0]
	if err != nil {
		return err
	}
	_, err = w.w.Write(b)
	return err
}

// WriteNDJSON writes rec to w as one NDJSON line (see NDJSONWriter).
func WriteNDJSON(w io.Writer, rec *herkenv1.ImportRecord) error {
	return NewNDJSONWriter(w).Write(rec)
}

// AppendNDJSON appends rec's NDJSON line, newline included, to dst. scratch
// may be nil.
func AppendNDJSON(dst []byte, rec *herkenv1.ImportRecord, scratch *bytes.Buffer) ([]byte, error) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(rec)
	if err != nil {
		return dst, fmt.Errorf("importfile: encoding a record: %w", err)
	}
	if scratch == nil {
		scratch = new(bytes.Buffer)
	}
	scratch.Reset()
	if err := json.Compact(scratch, raw); err != nil {
		return dst, fmt.Errorf("importfile: encoding a record: %w", err)
	}
	dst = append(dst, scratch.Bytes()...)
	return append(dst, '\n'), nil
}

// snake turns protojson's JSON field name ("houseNumber") into the proto
// name ("house_number").
func snake(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			b = append(b, '_', c+('a'-'A'))
			continue
		}
		b = append(b, c)
	}
	return string(b)
}
