package importfile

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
)

var knownReasons = map[string]bool{
	ReasonRowMalformed: true, ReasonFieldRequired: true, ReasonFieldInvalid: true,
	ReasonFieldUnknown: true, ReasonEncodingInvalid: true,
}

// FuzzRead reads arbitrary input as CSV or NDJSON (mode picks the format,
// encoding and quoting) and checks: no panic; rows numbered increasingly; a
// record has an external id, marshals (valid UTF-8) and a column per
// identifier; every problem has a known reason and a description made from
// a template and integers only, so it holds no value from the file.
func FuzzRead(f *testing.F) {
	seeds := []string{
		"\uFEFFKlantnummer;Naam;Telefoon;Opmerking\r\nK1;\"Vries, Jan\";06-12345678;\"regel 1\r\nregel 2\"\r\n;Piet;0201234567;\r\n",
		"Klantnummer,Naam\r\nK1,M\xfcller\r\nK2,Caf\xe9\r\n",
		"sep=;\nid;voornaam;tussenvoegsel;achternaam;postcode;huisnummer;toevoeging\nK1;Jan;van;Berg;1234AB;10a;\nK2;;;;1234AB;tien;\n",
		"id\ttelefoon\temail\tinstagram\nK1\t3,16E+10\ta@b.nl;c@d.nl\t@x\n",
		"klantnummer;naam;x\nK1;Jan \"de\" Boer;1;2;3\nK2;\"open\n",
		`{"external_id":"K-1","display_name":"Jan","identifiers":[{"identifier":{"phone_number":"+31612345678"},"label":"mobiel"}]}` + "\n\n{\"x\":1}\n{\"external_id\":5}\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), byte(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte) {
		opts := Options{LazyQuotes: mode&1 != 0}
		switch mode >> 1 & 3 {
		case 1:
			opts.Format = FormatCSV
		case 2:
			opts.Format = FormatNDJSON
		}
		switch mode >> 3 & 3 {
		case 1:
			opts.Encoding = EncodingUTF8
		case 2:
			opts.Encoding = EncodingWindows1252
		}
		if mode&0x20 != 0 {
			opts.Mapping, _ = ParseMapping("external_id=id", "phone=tel (werk)")
		}
		r, err := Open(bytes.NewReader(data), opts)
		if err != nil {
			return
		}
		cells := cellValues(data)
		last := 0
		for n := 0; ; n++ {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if row.Number <= last {
				t.Fatalf("row number %d after %d", row.Number, last)
			}
			last = row.Number
			if rec := row.Record; rec != nil {
				if rec.GetExternalId() == "" {
					t.Fatal("record without external id")
				}
				if _, err := proto.Marshal(rec); err != nil {
					t.Fatalf("record does not marshal: %v", err)
				}
				if r.Format() == FormatCSV && len(row.Columns) != len(rec.GetIdentifiers()) {
					t.Fatalf("%d columns for %d identifiers", len(row.Columns), len(rec.GetIdentifiers()))
				}
			}
			for _, p := range row.Problems {
				if !knownReasons[p.Reason] || p.Row != row.Number {
					t.Fatalf("problem %+v", p)
				}
				if !knownDescription(p.Description) {
					t.Fatalf("description %q is not a template", p.Description)
				}
				for _, v := range cells {
					if strings.Contains(p.Description, v) && !inTemplates(v) {
						t.Fatalf("description %q holds the value %q", p.Description, v)
					}
				}
			}
			if n > len(data)+1 {
				t.Fatal("more rows than bytes")
			}
		}
	})
}

// cellValues splits data crudely into candidate values of 4 or more
// characters that are not only digits (integers are filled into
// descriptions).
func cellValues(data []byte) []string {
	var out []string
	for _, v := range strings.FieldsFunc(string(data), func(r rune) bool {
		return r == ',' || r == ';' || r == '\t' || r == '\n' || r == '\r' || r == '"' || r == '{' || r == '}' || r == ':'
	}) {
		v = strings.TrimSpace(v)
		if utf8.RuneCountInString(v) < 4 || strings.Trim(v, "0123456789 ") == "" {
			continue
		}
		out = append(out, v)
	}
	return out
}

func inTemplates(v string) bool {
	for _, t := range descriptionTemplates {
		if strings.Contains(t, v) {
			return true
		}
	}
	return false
}
