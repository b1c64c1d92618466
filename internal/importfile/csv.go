package importfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

type csvState struct {
	r      *csv.Reader
	header []string
	binds  []binding
	used   []int // columns that are read (for the UTF-8 check)
	utf8   bool  // input is UTF-8 undecoded: check used cells

	sepLines   int // a "sep=" line before the header: a file line Excel does not show
	extraLines int // line breaks inside quoted cells so far

	idCol, nameCol, firstCol, infixCol, lastCol int
	pcCol, hnCol, addCol                        int
	langCol, tagsCol, noteCol                   int
	identCols                                   []int // phone, email and social columns, in column order
	addrColumn                                  string
	maxIdents                                   int // identifiers of a row without split cells

	a arena
}

// arena hands out the messages of rows from slabs: one allocation per
// slabSize objects instead of one per object, about half the reader's
// allocations. A slab stays alive while any record carved from it does.
type arena struct {
	recs    []herkenv1.ImportRecord
	iis     []herkenv1.ImportIdentifier
	ids     []herkenv1.Identifier
	phones  []herkenv1.Identifier_PhoneNumber
	emails  []herkenv1.Identifier_Email
	socials []herkenv1.Identifier_SocialHandle
	handles []herkenv1.SocialHandle
	addrs   []herkenv1.Identifier_PostalAddress
	pas     []herkenv1.PostalAddress
	ptrs    []*herkenv1.ImportIdentifier
	cols    []string
}

const slabSize = 256

func take[T any](s *[]T) *T {
	if len(*s) == 0 {
		*s = make([]T, slabSize)
	}
	p := &(*s)[0]
	*s = (*s)[1:]
	return p
}

// slice returns an empty slice with room for n, carved from a slab; append
// beyond n reallocates without touching the slab.
func slice[T any](s *[]T, n int) []T {
	if n == 0 {
		return nil
	}
	if len(*s) < n {
		*s = make([]T, max(slabSize, n))
	}
	out := (*s)[:0:n]
	*s = (*s)[n:]
	return out
}

func (r *Reader) openCSV() error {
	s := &csvState{utf8: r.encoding == EncodingUTF8}
	r.csv = s
	delim := r.opts.Delimiter
	p, _ := r.src.Peek(SampleSize)
	if d, n, ok := sepLine(p); ok {
		_, _ = r.src.Discard(n)
		s.sepLines = 1
		if delim == 0 {
			delim = d
		}
	}
	if delim == 0 {
		p, _ = r.src.Peek(SampleSize)
		delim = detectDelimiter(p)
	}
	if delim == '"' || delim == '\r' || delim == '\n' || delim == utf8.RuneError || !utf8.ValidRune(delim) {
		return fmt.Errorf("importfile: %q cannot be a delimiter", delim)
	}
	r.delim = delim

	cr := csv.NewReader(r.src)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = r.opts.LazyQuotes
	cr.ReuseRecord = true
	// Skip spaces before a quoted cell (`a, "b"`), except where a space
	// or tab is the delimiter: there it would swallow empty cells.
	cr.TrimLeadingSpace = delim != '\t' && delim != ' '
	s.r = cr

	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return errors.New("importfile: the file has no header row")
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				return fmt.Errorf("importfile: reading the header: %w", perr)
			}
			return fmt.Errorf("importfile: reading the header: %w", err)
		}
		s.track(rec)
		if allEmpty(rec) {
			continue
		}
		s.header = make([]string, len(rec))
		for i, h := range rec {
			s.header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		}
		break
	}

	binds, notes, err := resolve(s.header, r.opts.Mapping, !r.opts.NoAutoMapping)
	if err != nil {
		return err
	}
	r.notes = append(r.notes, notes...)
	s.binds = binds
	s.idCol, s.nameCol, s.firstCol, s.infixCol, s.lastCol = -1, -1, -1, -1, -1
	s.pcCol, s.hnCol, s.addCol, s.langCol, s.tagsCol, s.noteCol = -1, -1, -1, -1, -1, -1
	for i, b := range binds {
		switch b.kind {
		case kNone, kIgnore:
			continue
		case kExternalID:
			s.idCol = i
		case kDisplayName:
			s.nameCol = i
		case kFirstName:
			s.firstCol = i
		case kInfix:
			s.infixCol = i
		case kLastName:
			s.lastCol = i
		case kPhone, kEmail, kSocial:
			s.identCols = append(s.identCols, i)
			s.maxIdents++
		case kPostcode:
			s.pcCol = i
		case kHouseNumber:
			s.hnCol = i
		case kAddition:
			s.addCol = i
		case kLanguage:
			s.langCol = i
		case kTags:
			s.tagsCol = i
		case kNote:
			s.noteCol = i
		}
		s.used = append(s.used, i)
	}
	switch {
	case s.pcCol >= 0 && s.hnCol >= 0:
		s.addrColumn = s.header[s.pcCol] + "+" + s.header[s.hnCol]
		s.maxIdents++
	case s.pcCol >= 0 || s.hnCol >= 0 || s.addCol >= 0:
		// Half an address cannot make an identifier.
		missing := "house_number"
		if s.pcCol < 0 {
			missing = "postcode"
		}
		r.notes = append(r.notes, fmt.Sprintf("the address columns are not imported: no %s column (map one with %s=COLUMN)", missing, missing))
		s.pcCol, s.hnCol, s.addCol = -1, -1, -1
	}

	has := map[string]bool{
		"display_name":       s.nameCol >= 0 || s.firstCol >= 0 || s.infixCol >= 0 || s.lastCol >= 0,
		"preferred_language": s.langCol >= 0,
		"tags":               s.tagsCol >= 0,
		"handover_note":      s.noteCol >= 0,
		"identifiers":        len(s.identCols) > 0 || s.pcCol >= 0,
	}
	for _, f := range allFields {
		if has[f] {
			r.fields = append(r.fields, f)
		}
	}
	return nil
}

// sepLine recognises Excel's "sep=;" first line; it returns the delimiter
// and the line's length.
func sepLine(p []byte) (rune, int, bool) {
	if len(p) < 5 || !bytes.EqualFold(p[:4], []byte("sep=")) {
		return 0, 0, false
	}
	d, size := utf8.DecodeRune(p[4:])
	if d == utf8.RuneError || d == '\r' || d == '\n' {
		return 0, 0, false
	}
	n := 4 + size
	switch {
	case n == len(p):
	case bytes.HasPrefix(p[n:], []byte("\r\n")):
		n += 2
	case p[n] == '\n':
		n++
	default:
		return 0, 0, false
	}
	return d, n, true
}

// detectDelimiter counts ',', ';' and tab outside quotes in the first line.
func detectDelimiter(p []byte) rune {
	p = bytes.TrimLeft(p, "\r\n")
	var comma, semi, tab int
	inQuotes := false
	for _, c := range p {
		switch c {
		case '"':
			inQuotes = !inQuotes
		case '\n':
			if !inQuotes {
				goto done
			}
		case ',':
			if !inQuotes {
				comma++
			}
		case ';':
			if !inQuotes {
				semi++
			}
		case '\t':
			if !inQuotes {
				tab++
			}
		}
	}
done:
	switch {
	case semi > comma && semi >= tab:
		return ';'
	case tab > comma && tab > semi:
		return '\t'
	}
	return ','
}

// track updates the line bookkeeping after a record and returns the row
// number and the file line where it started.
func (s *csvState) track(rec []string) (number, line int) {
	start, _ := s.r.FieldPos(0)
	end := start
	if n := len(rec); n > 0 {
		end, _ = s.r.FieldPos(n - 1)
		end += strings.Count(rec[n-1], "\n")
	}
	number = start - s.extraLines
	s.extraLines += end - start
	return number, start + s.sepLines
}

func allEmpty(rec []string) bool {
	for _, c := range rec {
		if c != "" && strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (r *Reader) nextCSV() (Row, error) {
	s := r.csv
	for {
		rec, err := s.r.Read()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		if err != nil {
			var perr *csv.ParseError
			if !errors.As(err, &perr) {
				return Row{}, fmt.Errorf("importfile: %w", err)
			}
			if !errors.Is(perr.Err, csv.ErrBareQuote) && !errors.Is(perr.Err, csv.ErrQuote) && !errors.Is(perr.Err, csv.ErrFieldCount) {
				return Row{}, fmt.Errorf("importfile: %w", err)
			}
			number := perr.StartLine - s.extraLines
			s.extraLines += perr.Line - perr.StartLine
			line := perr.StartLine + s.sepLines
			desc := describe(descCSVOther)
			switch {
			case errors.Is(perr.Err, csv.ErrBareQuote):
				desc = describe(descBareQuote)
			case errors.Is(perr.Err, csv.ErrQuote):
				desc = describe(descQuote, line, perr.Line+s.sepLines)
			}
			return Row{Number: number, Line: line, Problems: []Problem{{
				Row: number, Reason: ReasonRowMalformed, Description: desc,
			}}}, nil
		}
		number, line := s.track(rec)
		if allEmpty(rec) {
			continue
		}
		return s.row(rec, number, line), nil
	}
}

func (s *csvState) cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

func (s *csvState) row(rec []string, number, line int) Row {
	row := Row{Number: number, Line: line}
	fatal := func(field string, col int, reason, desc string) Row {
		p := Problem{Row: number, Field: field, Reason: reason, Description: desc}
		if col >= 0 && col < len(s.header) {
			p.Column = s.header[col]
		}
		row.Problems = append(row.Problems, p)
		row.Record = nil
		row.Columns = nil
		return row
	}
	if len(rec) > len(s.header) {
		for _, c := range rec[len(s.header):] {
			if strings.TrimSpace(c) != "" {
				return fatal("", -1, ReasonRowMalformed, describe(descLongRow, len(rec), len(s.header)))
			}
		}
	}
	if s.utf8 {
		for _, i := range s.used {
			if i < len(rec) && !utf8.ValidString(rec[i]) {
				return fatal(fieldOf(s.binds[i].kind), i, ReasonEncodingInvalid, describe(descNotUTF8))
			}
		}
	}
	id := s.cell(rec, s.idCol)
	if id == "" {
		return fatal("external_id", s.idCol, ReasonFieldRequired, describe(descNoExternalID))
	}
	rc := take(&s.a.recs)
	rc.ExternalId = id
	row.Record = rc
	rc.Identifiers = slice(&s.a.ptrs, s.maxIdents)
	row.Columns = slice(&s.a.cols, s.maxIdents)

	if v := s.cell(rec, s.nameCol); v != "" {
		rc.DisplayName = collapseSpaces(v)
	} else if s.firstCol >= 0 || s.infixCol >= 0 || s.lastCol >= 0 {
		rc.DisplayName = joinName(s.cell(rec, s.firstCol), s.cell(rec, s.infixCol), s.cell(rec, s.lastCol))
	}
	rc.PreferredLanguage = s.cell(rec, s.langCol)
	if v := s.cell(rec, s.tagsCol); v != "" {
		rc.Tags = splitTags(v)
	}
	rc.HandoverNote = s.cell(rec, s.noteCol)

	soft := func(col int, desc string, reason string) {
		p := Problem{Row: number, Field: "identifiers", Reason: reason, Description: desc}
		if col >= 0 && col < len(s.header) {
			p.Column = s.header[col]
		}
		row.Problems = append(row.Problems, p)
	}
	add := func(col int, label string, id *herkenv1.Identifier) {
		ii := take(&s.a.iis)
		ii.Identifier, ii.Label = id, label
		rc.Identifiers = append(rc.Identifiers, ii)
		if col >= 0 {
			row.Columns = append(row.Columns, s.header[col])
		} else {
			row.Columns = append(row.Columns, s.addrColumn)
		}
	}

	for _, c := range s.identCols {
		v := s.cell(rec, c)
		if v == "" {
			continue
		}
		b := s.binds[c]
		switch b.kind {
		case kPhone:
			forEachPart(v, !hasPrefixFold(v, "tel:"), func(part string) {
				if spreadsheetNumber(part) {
					soft(c, describe(descPhoneNumberFmt), ReasonFieldInvalid)
					return
				}
				v := take(&s.a.phones)
				v.PhoneNumber = part
				id := take(&s.a.ids)
				id.Value = v
				add(c, b.label, id)
			})
		case kEmail:
			forEachPart(v, true, func(part string) {
				v := take(&s.a.emails)
				v.Email = part
				id := take(&s.a.ids)
				id.Value = v
				add(c, b.label, id)
			})
		case kSocial:
			h := take(&s.a.handles)
			h.Platform, h.Handle = b.platform, v
			w := take(&s.a.socials)
			w.SocialHandle = h
			id := take(&s.a.ids)
			id.Value = w
			add(c, b.label, id)
		}
	}
	if s.pcCol >= 0 {
		pc, hn, ad := s.cell(rec, s.pcCol), s.cell(rec, s.hnCol), s.cell(rec, s.addCol)
		switch {
		case pc == "" && hn == "" && ad == "":
		case pc == "":
			soft(s.pcCol, describe(descNoPostcode), ReasonFieldRequired)
		case hn == "":
			soft(s.hnCol, describe(descNoHouseNumber), ReasonFieldRequired)
		default:
			num, rest, ok := splitHouseNumber(hn)
			switch {
			case !ok && num < 0:
				soft(s.hnCol, describe(descBigHouseNumber), ReasonFieldInvalid)
			case !ok:
				soft(s.hnCol, describe(descBadHouseNumber), ReasonFieldInvalid)
			default:
				if ad == "" {
					ad = rest
				}
				pa := take(&s.a.pas)
				pa.Postcode, pa.HouseNumber, pa.HouseNumberAddition = pc, num, ad
				w := take(&s.a.addrs)
				w.PostalAddress = pa
				id := take(&s.a.ids)
				id.Value = w
				add(-1, "", id)
			}
		}
	}
	if len(rc.Identifiers) == 0 {
		rc.Identifiers, row.Columns = nil, nil
	}
	return row
}

func fieldOf(k kind) string {
	switch k {
	case kExternalID:
		return "external_id"
	case kDisplayName, kFirstName, kInfix, kLastName:
		return "display_name"
	case kPhone, kEmail, kSocial, kPostcode, kHouseNumber, kAddition:
		return "identifiers"
	}
	return kindNames[k]
}

// collapseSpaces turns runs of white space (line breaks included) into one
// space.
func collapseSpaces(s string) string {
	prevSpace := false
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			if prevSpace {
				clean = false
				break
			}
			prevSpace = true
			continue
		}
		if c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			clean = false
			break
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				clean = false
				break
			}
			i += size - 1
		}
		prevSpace = false
	}
	if clean {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func joinName(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return collapseSpaces(b.String())
}

// forEachPart calls fn for each part of a cell holding several values
// separated by ',', ';' or '|' (when split), trimmed, empty parts skipped.
func forEachPart(v string, split bool, fn func(string)) {
	if !split || strings.IndexAny(v, ",;|") < 0 {
		fn(v)
		return
	}
	for v != "" {
		i := strings.IndexAny(v, ",;|")
		part := v
		if i >= 0 {
			part, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		if part = strings.TrimSpace(part); part != "" {
			fn(part)
		}
	}
}

// splitTags splits on ',', ';' or '|' when the cell has one, else on white
// space; duplicates are dropped.
func splitTags(v string) []string {
	var parts []string
	if strings.IndexAny(v, ",;|") >= 0 {
		forEachPart(v, true, func(p string) { parts = append(parts, p) })
	} else {
		parts = strings.Fields(v)
	}
	out := parts[:0]
	for _, p := range parts {
		dup := false
		for _, q := range out {
			if q == p {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// spreadsheetNumber reports a phone number Excel turned into a number in
// scientific notation ("3,16123E+10", "6.12346E+08"): its digits are lost.
func spreadsheetNumber(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 1 || i+2 > len(s) || s[i+1] != '+' {
		return false
	}
	mant, exp := s[:i], s[i+2:]
	if exp == "" {
		return false
	}
	for j := 0; j < len(exp); j++ {
		if exp[j] < '0' || exp[j] > '9' {
			return false
		}
	}
	digits := 0
	for j := 0; j < len(mant); j++ {
		switch c := mant[j]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || c == ',':
		default:
			return false
		}
	}
	return digits > 0
}

// splitHouseNumber splits "10", "10a", "10-2", "10 bis", "10/hs" into the
// number and the addition. ok is false when it does not start with a digit,
// and num is -1 then when the number is too large.
func splitHouseNumber(s string) (num int32, rest string, ok bool) {
	i := 0
	var n int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int64(s[i]-'0')
		if n > 1<<31-1 {
			return -1, "", false
		}
		i++
	}
	if i == 0 {
		return 0, "", false
	}
	rest = strings.TrimLeft(s[i:], " -/._")
	return int32(n), rest, true
}
