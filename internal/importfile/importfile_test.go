package importfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

func open(t testing.TB, in string, opts Options) *Reader {
	t.Helper()
	r, err := Open(strings.NewReader(in), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return r
}

func readAll(t testing.TB, r *Reader) []Row {
	t.Helper()
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

// ids renders a record's identifiers compactly: "phone:06|mobiel".
func ids(rec *herkenv1.ImportRecord) []string {
	var out []string
	for _, ii := range rec.GetIdentifiers() {
		var s string
		switch v := ii.GetIdentifier().GetValue().(type) {
		case *herkenv1.Identifier_PhoneNumber:
			s = "phone:" + v.PhoneNumber
		case *herkenv1.Identifier_Email:
			s = "email:" + v.Email
		case *herkenv1.Identifier_SocialHandle:
			s = "social:" + platformName(v.SocialHandle.GetPlatform()) + ":" + v.SocialHandle.GetHandle()
		case *herkenv1.Identifier_PostalAddress:
			s = "addr:" + v.PostalAddress.GetPostcode() + "/" + strconv.Itoa(int(v.PostalAddress.GetHouseNumber())) + "/" + v.PostalAddress.GetHouseNumberAddition()
		default:
			s = "?"
		}
		if ii.GetLabel() != "" {
			s += "|" + ii.GetLabel()
		}
		out = append(out, s)
	}
	return out
}

func eq(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSemicolonBOMCRLFQuotedNewline(t *testing.T) {
	in := "\uFEFFKlantnummer;Naam;Telefoon;Opmerking\r\n" +
		"K1;\"Vries, Jan \"\"Jantje\"\" de\";06-12345678;\"regel 1\r\nregel 2\"\r\n" +
		"K2;Piet;0201234567;\r\n" +
		"\r\n" +
		"K3;Klaas;;\"a;b\"\r\n"
	r := open(t, in, Options{})
	if r.Delimiter() != ';' || r.Encoding() != EncodingUTF8 || r.Format() != FormatCSV {
		t.Fatalf("delimiter %q encoding %s format %s", r.Delimiter(), r.Encoding(), r.Format())
	}
	if h := r.Header(); h[0] != "Klantnummer" {
		t.Fatalf("header[0] = %q: BOM not stripped", h[0])
	}
	rows := readAll(t, r)
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	want := []struct {
		number, line   int
		id, name, note string
		ids            []string
	}{
		{2, 2, "K1", `Vries, Jan "Jantje" de`, "regel 1\nregel 2", []string{"phone:06-12345678"}},
		{3, 4, "K2", "Piet", "", []string{"phone:0201234567"}},
		{5, 6, "K3", "Klaas", "a;b", nil}, // row 4 is the blank line
	}
	for i, w := range want {
		row := rows[i]
		if row.Number != w.number || row.Line != w.line {
			t.Errorf("row %d: number %d line %d, want %d %d", i, row.Number, row.Line, w.number, w.line)
		}
		if len(row.Problems) > 0 {
			t.Errorf("row %d: problems %v", i, row.Problems)
		}
		rec := row.Record
		if rec.GetExternalId() != w.id || rec.GetDisplayName() != w.name || rec.GetHandoverNote() != w.note || !eq(ids(rec), w.ids) {
			t.Errorf("row %d: got %v", i, rec)
		}
	}
	if got := r.Fields(); !eq(got, []string{"display_name", "handover_note", "identifiers"}) {
		t.Errorf("Fields = %v", got)
	}
	if got := rows[0].Columns; !eq(got, []string{"Telefoon"}) {
		t.Errorf("Columns = %v", got)
	}
}

func TestEncodingDetection(t *testing.T) {
	// "Müller" and "Café" in Windows-1252: ü = 0xFC, é = 0xE9.
	win := "Klantnummer,Naam\r\nK1,M\xfcller\r\nK2,Caf\xe9\r\nK3,\x80uro\r\n"
	cases := []struct {
		name, in, encOpt string
		wantEnc          string
		wantNames        []string
		wantReason       string
	}{
		{"windows-1252 detected", win, "", EncodingWindows1252, []string{"Müller", "Café", "€uro"}, ""},
		{"windows-1252 forced", win, "cp1252", EncodingWindows1252, []string{"Müller", "Café", "€uro"}, ""},
		{"utf-8 forced on windows-1252", win, "utf-8", EncodingUTF8, nil, ReasonEncodingInvalid},
		{"utf-8", "Klantnummer,Naam\nK1,Müller\nK2,Café\nK3,€uro\n", "", EncodingUTF8, []string{"Müller", "Café", "€uro"}, ""},
		{"utf-8 bom", "\uFEFFKlantnummer,Naam\nK1,Müller\nK2,Café\nK3,€uro\n", "", EncodingUTF8, []string{"Müller", "Café", "€uro"}, ""},
		{"latin1 option", win, "ISO-8859-1", EncodingWindows1252, []string{"Müller", "Café", "€uro"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := open(t, c.in, Options{Encoding: c.encOpt})
			if r.Encoding() != c.wantEnc {
				t.Fatalf("encoding %s, want %s", r.Encoding(), c.wantEnc)
			}
			if c.encOpt == "" && c.wantEnc == EncodingWindows1252 && !strings.Contains(strings.Join(r.Notes(), "\n"), "Windows-1252") {
				t.Errorf("notes %v do not say the encoding", r.Notes())
			}
			rows := readAll(t, r)
			for i, row := range rows {
				if c.wantReason != "" {
					if row.Record != nil || len(row.Problems) != 1 || row.Problems[0].Reason != c.wantReason || row.Problems[0].Column != "Naam" {
						t.Errorf("row %d: %v %v", i, row.Record, row.Problems)
					}
					continue
				}
				if got := row.Record.GetDisplayName(); got != c.wantNames[i] {
					t.Errorf("row %d: name %q, want %q", i, got, c.wantNames[i])
				}
			}
		})
	}
}

// A Windows-1252 byte after the sample: the file is read as UTF-8 and the
// row gets ENCODING_INVALID, naming the option.
func TestEncodingInvalidAfterSample(t *testing.T) {
	var b strings.Builder
	b.WriteString("Klantnummer;Naam\n")
	for b.Len() < SampleSize+100 {
		b.WriteString("K1;Jan Jansen\n")
	}
	b.WriteString("K2;M\xfcller\n")
	r := open(t, b.String(), Options{})
	if r.Encoding() != EncodingUTF8 {
		t.Fatalf("encoding %s", r.Encoding())
	}
	rows := readAll(t, r)
	last := rows[len(rows)-1]
	if last.Record != nil || last.Problems[0].Reason != ReasonEncodingInvalid || !strings.Contains(last.Problems[0].Description, "Windows-1252") {
		t.Fatalf("last row %+v", last)
	}
}

func TestUTF16Tab(t *testing.T) {
	// Excel "Unicode text": UTF-16LE with BOM, tab separated.
	text := "Klantnummer\tNaam\tE-mail\r\nK1\tZoë Müller\tzoe@example.nl\r\n"
	u := utf16.Encode([]rune(text))
	var buf bytes.Buffer
	buf.Write([]byte{0xFF, 0xFE})
	_ = binary.Write(&buf, binary.LittleEndian, u)
	r := open(t, buf.String(), Options{})
	if r.Encoding() != EncodingUTF16 || r.Delimiter() != '\t' {
		t.Fatalf("encoding %s delimiter %q", r.Encoding(), r.Delimiter())
	}
	rows := readAll(t, r)
	if len(rows) != 1 || rows[0].Record.GetDisplayName() != "Zoë Müller" || !eq(ids(rows[0].Record), []string{"email:zoe@example.nl"}) {
		t.Fatalf("rows %+v", rows)
	}
}

func TestDelimiters(t *testing.T) {
	cases := []struct {
		name, in string
		opt      rune
		want     rune
		wantIDs  []string
	}{
		{"comma", "id,naam,telefoon\nK1,\"Jan; Piet\",0612345678\n", 0, ',', []string{"phone:0612345678"}},
		{"semicolon", "id;naam;telefoon\nK1;\"Jan, Piet\";0612345678\n", 0, ';', []string{"phone:0612345678"}},
		{"tab with empty cells", "id\tnaam\ttelefoon\temail\nK1\t\t\tjan@example.nl\n", 0, '\t', []string{"email:jan@example.nl"}},
		{"quoted header with comma inside", "\"id;x\",naam;a,telefoon\nK1,Jan,0612345678\n", 0, ',', nil},
		{"excel sep line", "sep=|\r\nid|naam|telefoon\r\nK1|Jan|0612345678\r\n", 0, '|', []string{"phone:0612345678"}},
		{"override", "id|naam|telefoon\nK1|Jan|0612345678\n", '|', '|', []string{"phone:0612345678"}},
		{"single column", "klantnummer\nK1\n", 0, ',', nil},
		{"blank first line", "\r\nid;naam;telefoon\r\nK1;Jan;0612345678\r\n", 0, ';', []string{"phone:0612345678"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{Delimiter: c.opt}
			if c.name == "quoted header with comma inside" {
				opts.Mapping, _ = ParseMapping("external_id=id;x")
			}
			r := open(t, c.in, opts)
			if r.Delimiter() != c.want {
				t.Fatalf("delimiter %q, want %q", r.Delimiter(), c.want)
			}
			rows := readAll(t, r)
			if len(rows) != 1 || rows[0].Record == nil {
				t.Fatalf("rows %+v", rows)
			}
			wantLine := 2
			if strings.HasPrefix(c.in, "sep=") {
				wantLine = 3 // Excel hides the sep line: row 2 is line 3
			}
			wantNumber := 2
			if strings.HasPrefix(c.in, "\r\n") {
				wantNumber, wantLine = 3, 3 // the blank line is row 1 in Excel
			}
			if rows[0].Number != wantNumber || rows[0].Line != wantLine {
				t.Errorf("row number %d line %d, want %d %d", rows[0].Number, rows[0].Line, wantNumber, wantLine)
			}
			if c.wantIDs != nil && !eq(ids(rows[0].Record), c.wantIDs) {
				t.Errorf("ids %v, want %v", ids(rows[0].Record), c.wantIDs)
			}
		})
	}
}

func TestHeaderAliases(t *testing.T) {
	in := "Klant nr.;Volledige naam;Tel;Mobiel nummer;Telefoon werk;GSM 2;E-mail adres;Email privé;Instagram;LinkedIn URL;X;Whatsapp;Taal;Labels;Notitie;Straat;Plaats\n" +
		"K1;Jan;010-1234567;0612345678;020-7654321;0687654321;jan@example.nl;j@example.com;@jan;https://linkedin.com/in/jan;@jantje;0611111111;nl;vip, zakelijk ,vip;hallo;Dorpsstraat;Ons Dorp\n"
	r := open(t, in, Options{})
	rows := readAll(t, r)
	rec := rows[0].Record
	want := []string{
		"phone:010-1234567", "phone:0612345678|mobiel", "phone:020-7654321|werk", "phone:0687654321|mobiel",
		"email:jan@example.nl", "email:j@example.com",
		"social:instagram:@jan", "social:linkedin:https://linkedin.com/in/jan", "social:x:@jantje", "social:whatsapp:0611111111",
	}
	if !eq(ids(rec), want) {
		t.Errorf("ids\n got %v\nwant %v", ids(rec), want)
	}
	if rec.GetPreferredLanguage() != "nl" || !eq(rec.GetTags(), []string{"vip", "zakelijk"}) || rec.GetHandoverNote() != "hallo" {
		t.Errorf("record %v", rec)
	}
	wantCols := []string{"Tel", "Mobiel nummer", "Telefoon werk", "GSM 2", "E-mail adres", "Email privé", "Instagram", "LinkedIn URL", "X", "Whatsapp"}
	if !eq(rows[0].Columns, wantCols) {
		t.Errorf("columns %v", rows[0].Columns)
	}
	notes := strings.Join(r.Notes(), "\n")
	if !strings.Contains(notes, `"Straat", "Plaats"`) {
		t.Errorf("notes %q do not list the unmapped columns", notes)
	}
	if got := r.Fields(); !eq(got, allFields) {
		t.Errorf("Fields %v", got)
	}
}

func TestNameFromParts(t *testing.T) {
	in := "Klantnummer,Voornaam,Tussenvoegsel,Achternaam\n" +
		"K1,Jan,van der,Berg\n" +
		"K2, Piet ,,  Jansen\n" +
		"K3,,,\n"
	rows := readAll(t, open(t, in, Options{}))
	for i, want := range []string{"Jan van der Berg", "Piet Jansen", ""} {
		if got := rows[i].Record.GetDisplayName(); got != want {
			t.Errorf("row %d: %q, want %q", i, got, want)
		}
	}
	// English, and a display name column that wins when filled.
	in = "customer_id,first_name,last_name,full name\nC1,Mary,Smith,\nC2,John,Doe,Johnny D.\n"
	rows = readAll(t, open(t, in, Options{}))
	if rows[0].Record.GetDisplayName() != "Mary Smith" || rows[1].Record.GetDisplayName() != "Johnny D." {
		t.Errorf("names %q %q", rows[0].Record.GetDisplayName(), rows[1].Record.GetDisplayName())
	}
}

func TestPostalAddress(t *testing.T) {
	in := "Klantnummer;Postcode;Huisnummer;Toevoeging\n" +
		"K1;1234 AB;10a;\n" +
		"K2;1234AB;10-2;\n" +
		"K3;1234ab;10;B\n" +
		"K4;1234ab;10 bis;\n" +
		"K5;1234AB;tien;\n" +
		"K6;;12;\n" +
		"K7;1234AB;;\n" +
		"K8;;;\n" +
		"K9;1234AB;99999999999;\n"
	rows := readAll(t, open(t, in, Options{}))
	cases := []struct {
		ids    []string
		reason string
		column string
	}{
		{[]string{"addr:1234 AB/10/a"}, "", ""},
		{[]string{"addr:1234AB/10/2"}, "", ""},
		{[]string{"addr:1234ab/10/B"}, "", ""},
		{[]string{"addr:1234ab/10/bis"}, "", ""},
		{nil, ReasonFieldInvalid, "Huisnummer"},
		{nil, ReasonFieldRequired, "Postcode"},
		{nil, ReasonFieldRequired, "Huisnummer"},
		{nil, "", ""},
		{nil, ReasonFieldInvalid, "Huisnummer"},
	}
	for i, c := range cases {
		row := rows[i]
		if row.Record == nil {
			t.Fatalf("row %d: no record: %v", i, row.Problems)
		}
		if !eq(ids(row.Record), c.ids) {
			t.Errorf("row %d: ids %v, want %v", i, ids(row.Record), c.ids)
		}
		if c.reason == "" {
			if len(row.Problems) > 0 {
				t.Errorf("row %d: problems %v", i, row.Problems)
			}
			continue
		}
		if len(row.Problems) != 1 || row.Problems[0].Reason != c.reason || row.Problems[0].Column != c.column || row.Problems[0].Field != "identifiers" {
			t.Errorf("row %d: problems %v, want %s in %s", i, row.Problems, c.reason, c.column)
		}
	}
	if got := rows[0].Columns; !eq(got, []string{"Postcode+Huisnummer"}) {
		t.Errorf("columns %v", got)
	}
}

func TestMappingFile(t *testing.T) {
	mf := "# mapping for the export of our CRM\n\nexternal_id = Relatie\nphone=Nummer 1 (werk)\nphone=Nummer 2\nemail=Contact (mail)\nignore=ID\ndisplay_name=Naam\ninstagram=Insta\n"
	m, err := ReadMapping(strings.NewReader(mf))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Add("phone=Mobiel (mobiel)"); err != nil {
		t.Fatal(err)
	}
	in := "ID,Relatie,Nummer 1,Nummer 2,Naam,Contact (mail),Mobiel,Telefoon,Insta\n1,R-9,020-1111111,030-2222222,Jan,jan@example.nl,0612345678,0101234567,jan_insta\n"
	r := open(t, in, Options{Mapping: m})
	rows := readAll(t, r)
	rec := rows[0].Record
	if rec.GetExternalId() != "R-9" || rec.GetDisplayName() != "Jan" {
		t.Fatalf("record %v", rec)
	}
	// "Telefoon" is not read: phone is mapped explicitly.
	want := []string{"phone:020-1111111|werk", "phone:030-2222222", "email:jan@example.nl", "phone:0612345678|mobiel", "social:instagram:jan_insta"}
	if !eq(ids(rec), want) {
		t.Errorf("ids\n got %v\nwant %v", ids(rec), want)
	}
	var fields []string
	for _, c := range r.Mapped() {
		fields = append(fields, c.Column+"="+c.Field)
	}
	if !eq(fields, []string{"Relatie=external_id", "Nummer 1=phone", "Nummer 2=phone", "Naam=display_name", "Contact (mail)=email", "Mobiel=phone", "Insta=social:instagram"}) {
		t.Errorf("mapped %v", fields)
	}

	// Later singular entries win.
	m2, err := ParseMapping("external_id=ID", "external_id=Relatie")
	if err != nil {
		t.Fatal(err)
	}
	rows = readAll(t, open(t, in, Options{Mapping: m2}))
	if rows[0].Record.GetExternalId() != "R-9" {
		t.Errorf("external id %q", rows[0].Record.GetExternalId())
	}
}

func TestMappingErrors(t *testing.T) {
	for _, spec := range []string{"phone", "colour=Kleur", "phone=", "social:myspace=X"} {
		if _, err := ParseMapping(spec); err == nil {
			t.Errorf("ParseMapping(%q) succeeded", spec)
		}
	}
	if _, err := ReadMapping(strings.NewReader("# ok\nexternal_id=K\nbogus\n")); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("ReadMapping error %v, want line 3", err)
	}
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		name, in string
		mapping  []string
		want     string
	}{
		{"no external id column", "Naam;Telefoon\nJan;06\n", nil, "no column for external_id"},
		{"mapped column missing", "Klantnummer;Naam\nK1;Jan\n", []string{"phone=Mobiel"}, `no column "Mobiel"`},
		{"two id columns alike", "Klantnummer;Naam;Klantnummer\nK1;Jan;K1\n", nil, "both look like external_id"},
		{"empty file", "", nil, "no header"},
		{"bad encoding option", "a", nil, "unknown encoding"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseMapping(c.mapping...)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Mapping: m}
			if c.name == "bad encoding option" {
				opts.Encoding = "ebcdic"
			}
			_, err = Open(strings.NewReader(c.in), opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestAutoMappingPrefersSpecificID(t *testing.T) {
	r := open(t, "ID;Klantnummer;Naam\n1;K-1;Jan\n", Options{})
	rows := readAll(t, r)
	if rows[0].Record.GetExternalId() != "K-1" {
		t.Fatalf("external id %q", rows[0].Record.GetExternalId())
	}
	if !strings.Contains(strings.Join(r.Notes(), "\n"), `column "ID" not used`) {
		t.Errorf("notes %v", r.Notes())
	}
}

func TestRowProblems(t *testing.T) {
	in := "Klantnummer;Naam;Telefoon\r\n" +
		"K1;Jan;0612345678\r\n" + // 2
		";Piet;0687654321\r\n" + // 3: no external id
		"K3;Klaas;0611111111;extra\r\n" + // 4: long row
		"K4;Kees\r\n" + // 5: short row, padded
		"K5;Jan \"de\" Boer;0622222222\r\n" + // 6: bare quote
		"K6;Anna;0633333333;;\r\n" + // 7: trailing empty cells, fine
		"K7;Ria;3,16123E+10\r\n" + // 8: Excel number format
		";;\r\n" + // 9: empty row, skipped
		"K8;\"Multi\r\nline\";0644444444\r\n" + // 10-11
		"K9;Eva;0655555555\r\n" // 12
	rows := readAll(t, open(t, in, Options{}))
	type want struct {
		number int
		record bool
		reason string
	}
	wants := []want{
		{2, true, ""},
		{3, false, ReasonFieldRequired},
		{4, false, ReasonRowMalformed},
		{5, true, ""},
		{6, false, ReasonRowMalformed},
		{7, true, ""},
		{8, true, ReasonFieldInvalid},
		{10, true, ""},
		{11, true, ""},
	}
	if len(rows) != len(wants) {
		t.Fatalf("%d rows, want %d", len(rows), len(wants))
	}
	for i, w := range wants {
		row := rows[i]
		if row.Number != w.number || (row.Record != nil) != w.record {
			t.Errorf("row %d: number %d record %v problems %v; want %+v", i, row.Number, row.Record != nil, row.Problems, w)
		}
		if w.reason == "" && len(row.Problems) > 0 || w.reason != "" && (len(row.Problems) != 1 || row.Problems[0].Reason != w.reason || row.Problems[0].Row != row.Number) {
			t.Errorf("row %d: problems %v, want %s", i, row.Problems, w.reason)
		}
	}
	if rows[7].Line != 10 || rows[8].Line != 12 {
		t.Errorf("lines %d %d, want 10 12", rows[7].Line, rows[8].Line)
	}
	// Lazy quotes read the bare quote.
	rows = readAll(t, open(t, in, Options{LazyQuotes: true}))
	if rows[4].Record.GetDisplayName() != `Jan "de" Boer` {
		t.Errorf("lazy: %v %v", rows[4].Record, rows[4].Problems)
	}
}

// An unterminated quote: strict mode reports the row and goes on after the
// line where it noticed.
func TestUnterminatedQuote(t *testing.T) {
	in := "Klantnummer;Naam\nK1;\"Jan\nK2;Piet\nK3;\"Kees\"x\nK4;Anna\n"
	rows := readAll(t, open(t, in, Options{}))
	if len(rows) != 2 || rows[0].Record != nil || rows[0].Number != 2 || rows[0].Problems[0].Reason != ReasonRowMalformed {
		t.Fatalf("rows %+v", rows)
	}
	if rows[1].Record.GetExternalId() != "K4" || rows[1].Number != 3 || rows[1].Line != 5 {
		t.Fatalf("row after: %+v", rows[1])
	}
}

var secret = regexp.MustCompile(`0612345678|Geheim|jan@example|K-SECRET|tien|3,16123E\+10|jantje`)

func TestProblemsNeverHoldValues(t *testing.T) {
	csvIn := "Klantnummer;Naam;Telefoon;Postcode;Huisnummer\n" +
		";Geheim;0612345678;1234AB;10\n" +
		"K-SECRET;Geheim;3,16123E+10;1234AB;tien\n" +
		"K-SECRET;\"Geheim\"x;0612345678;;\n" +
		"K-SECRET;Geheim;0612345678;1234AB;10;jantje\n" +
		"K-SECRET;M\xfcller Geheim;0612345678;1234AB;10\n"
	nd := `{"external_id":"K-SECRET","display_name":Geheim}` + "\n" +
		`{"external_id":"K-SECRET","jantje":"Geheim"}` + "\n" +
		`{"external_id":"K-SECRET","tags":"jantje"}` + "\n" +
		`{"external_id":"K-SECRET","display_name":"Geheim","identifiers":[{"identifier":{"postal_address":{"house_number":"tien"}}}]}` + "\n" +
		"{\"external_id\":\"K-SECRET\",\"display_name\":\"M\xfcller\"}\n" +
		`{"display_name":"Geheim"}` + "\n"
	n := 0
	for _, c := range []struct {
		in   string
		opts Options
	}{{csvIn, Options{Encoding: "utf-8"}}, {nd, Options{Format: FormatNDJSON, Encoding: "utf-8"}}} {
		for _, row := range readAll(t, open(t, c.in, c.opts)) {
			for _, p := range row.Problems {
				n++
				if secret.MatchString(p.Description) || secret.MatchString(p.Field) || p.Description == "" || p.Reason == "" {
					t.Errorf("problem %+v holds a value or is empty", p)
				}
				if !knownDescription(p.Description) {
					t.Errorf("description %q is not from a template", p.Description)
				}
			}
		}
	}
	if n < 11 {
		t.Errorf("only %d problems", n)
	}
}

var digits = regexp.MustCompile(`[0-9]+`)

// knownDescription reports whether d is one of the templates with only
// integers filled in.
func knownDescription(d string) bool {
	d = digits.ReplaceAllString(d, "#")
	for _, tpl := range descriptionTemplates {
		tpl = digits.ReplaceAllString(strings.ReplaceAll(tpl, "%d", "#"), "#")
		if d == tpl {
			return true
		}
	}
	return false
}

func TestNDJSON(t *testing.T) {
	in := `{"external_id":"K-1","display_name":"Jan","identifiers":[{"identifier":{"phone_number":"+31612345678"},"label":"mobiel"}]}` + "\n" +
		"\n" +
		`  {"externalId":"K-2","tags":["a","b"]}  ` + "\r\n" +
		`{"external_id":"K-3","colour":"blue"}` + "\n" +
		`{"external_id":"K-4",` + "\n" +
		`{"display_name":"no key"}` + "\n" +
		`{"external_id":"K-6","identifiers":[{"identifier":{"postal_address":{"house_number":"tien"}}}]}` + "\n" +
		`{"external_id":"K-7"}`
	r := open(t, in, Options{Name: "export.ndjson"})
	if r.Format() != FormatNDJSON || !eq(r.Fields(), allFields) {
		t.Fatalf("format %s fields %v", r.Format(), r.Fields())
	}
	rows := readAll(t, r)
	type want struct {
		number int
		id     string
		reason string
		column string
	}
	wants := []want{
		{1, "K-1", "", ""},
		{3, "K-2", "", ""},
		{4, "", ReasonFieldUnknown, "colour"},
		{5, "", ReasonRowMalformed, ""},
		{6, "", ReasonFieldRequired, ""},
		{7, "", ReasonFieldInvalid, ""}, // Field house_number
		{8, "K-7", "", ""},
	}
	if len(rows) != len(wants) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(wants), rows)
	}
	for i, w := range wants {
		row := rows[i]
		if row.Number != w.number || row.Record.GetExternalId() != w.id {
			t.Errorf("row %d: number %d record %v problems %v", i, row.Number, row.Record, row.Problems)
		}
		if w.reason != "" && (len(row.Problems) != 1 || row.Problems[0].Reason != w.reason || row.Problems[0].Column != w.column) {
			t.Errorf("row %d: problems %+v, want %s", i, row.Problems, w.reason)
		}
		if w.reason == "" && row.Problems != nil {
			t.Errorf("row %d: problems %+v", i, row.Problems)
		}
	}
	if f := rows[5].Problems[0].Field; f != "house_number" {
		t.Errorf("field %q", f)
	}
	if got := ids(rows[0].Record); !eq(got, []string{"phone:+31612345678|mobiel"}) {
		t.Errorf("ids %v", got)
	}
	if !eq(rows[1].Record.GetTags(), []string{"a", "b"}) {
		t.Errorf("tags %v", rows[1].Record.GetTags())
	}
}

func TestNDJSONLongLine(t *testing.T) {
	long := `{"external_id":"K-1","handover_note":"` + strings.Repeat("x", 200<<10) + `"}`
	in := long + "\n" + `{"external_id":"K-2"}` + "\n"
	rows := readAll(t, open(t, in, Options{Format: FormatNDJSON, MaxLineBytes: 100 << 10}))
	if len(rows) != 2 || rows[0].Record != nil || rows[0].Problems[0].Reason != ReasonRowMalformed || rows[1].Record.GetExternalId() != "K-2" || rows[1].Number != 2 {
		t.Fatalf("rows %+v", rows)
	}
	rows = readAll(t, open(t, in, Options{Format: FormatNDJSON}))
	if len(rows) != 2 || len(rows[0].Record.GetHandoverNote()) != 200<<10 {
		t.Fatalf("1 MiB limit: rows %d", len(rows))
	}
}

func TestFormatDetection(t *testing.T) {
	cases := []struct {
		name, in string
		want     Format
	}{
		{"x.jsonl", `{"external_id":"K"}`, FormatNDJSON},
		{"x.JSON", `{"external_id":"K"}`, FormatNDJSON},
		{"", "\uFEFF  \n{\"external_id\":\"K\"}", FormatNDJSON},
		{"", "klantnummer\nK\n", FormatCSV},
		{"data.csv", "klantnummer\nK\n", FormatCSV},
	}
	for _, c := range cases {
		r := open(t, c.in, Options{Name: c.name})
		if r.Format() != c.want {
			t.Errorf("%q %q: format %s, want %s", c.name, c.in, r.Format(), c.want)
		}
		rows := readAll(t, r)
		if len(rows) != 1 || rows[0].Record.GetExternalId() != "K" {
			t.Errorf("%q: rows %+v", c.name, rows)
		}
	}
}

func TestWriteNDJSONRoundTrip(t *testing.T) {
	recs := []*herkenv1.ImportRecord{
		{ExternalId: "K-1", DisplayName: "Zoë \"Z\" <Müller>", Tags: []string{"vip"}, HandoverNote: "a\nb",
			Identifiers: []*herkenv1.ImportIdentifier{
				{Identifier: &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: "+31612345678"}}, Label: "mobiel", Verified: true},
				{Identifier: &herkenv1.Identifier{Value: &herkenv1.Identifier_PostalAddress{PostalAddress: &herkenv1.PostalAddress{Postcode: "1234AB", HouseNumber: 10, HouseNumberAddition: "A"}}}},
				{Identifier: &herkenv1.Identifier{Value: &herkenv1.Identifier_SocialHandle{SocialHandle: &herkenv1.SocialHandle{Platform: herkenv1.SocialPlatform_SOCIAL_PLATFORM_INSTAGRAM, Handle: "zoe"}}}},
			}},
		{ExternalId: "K-2"},
	}
	var buf bytes.Buffer
	w := NewNDJSONWriter(&buf)
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	if lines[1] != `{"external_id":"K-2"}` {
		t.Errorf("line %q", lines[1])
	}
	if !strings.HasPrefix(lines[0], `{"external_id":"K-1","display_name":`) || strings.Contains(lines[0], `": `) || strings.Contains(lines[0], `, "`) {
		t.Errorf("line not compact or not proto names: %s", lines[0])
	}
	rows := readAll(t, open(t, buf.String(), Options{}))
	for i, row := range rows {
		if !proto.Equal(row.Record, recs[i]) {
			t.Errorf("round trip %d: %v", i, row.Record)
		}
	}
	// Same bytes as the lead's documented format, whatever protojson's
	// white space.
	var one bytes.Buffer
	if err := WriteNDJSON(&one, recs[0]); err != nil {
		t.Fatal(err)
	}
	if one.String() != lines[0]+"\n" {
		t.Errorf("WriteNDJSON differs from NDJSONWriter")
	}
	std, _ := protojson.MarshalOptions{UseProtoNames: true}.Marshal(recs[1])
	if !bytes.Equal(bytes.ReplaceAll(std, []byte(" "), nil), []byte(lines[1])) {
		t.Errorf("not protojson: %s vs %s", std, lines[1])
	}
	// Invalid UTF-8 cannot be written.
	if err := WriteNDJSON(io.Discard, &herkenv1.ImportRecord{ExternalId: "K\xff"}); err == nil {
		t.Error("invalid UTF-8 written")
	}
}

func TestBytesRead(t *testing.T) {
	var buf bytes.Buffer
	if _, err := GenerateCSV(&buf, 5000, GenOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	size := int64(buf.Len())
	r, err := Open(bytes.NewReader(buf.Bytes()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.BytesRead() > SampleSize+4096 {
		t.Errorf("read %d bytes at Open", r.BytesRead())
	}
	prev := r.BytesRead()
	grew := false
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := r.BytesRead(); n < prev {
			t.Fatal("BytesRead went back")
		} else if n > prev {
			grew = true
			prev = n
		}
	}
	if !grew || r.BytesRead() != size {
		t.Errorf("BytesRead %d, size %d", r.BytesRead(), size)
	}
}

func TestGenerateCSV(t *testing.T) {
	for _, opts := range []GenOptions{
		{Seed: 7},
		{Seed: 7, Simple: true},
		{Seed: 8, Windows1252: true, Delimiter: ',', LF: true},
		{Seed: 9, BadPerMille: -1, NoBOM: true, Delimiter: '\t'},
	} {
		var buf bytes.Buffer
		st, err := GenerateCSV(&buf, 3000, opts)
		if err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		if _, err := GenerateCSV(&again, 3000, opts); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Fatalf("%+v: not reproducible", opts)
		}
		if !opts.NoBOM && !opts.Windows1252 && !bytes.HasPrefix(buf.Bytes(), utf8BOM) {
			t.Errorf("%+v: no BOM", opts)
		}
		if !opts.LF && !bytes.Contains(buf.Bytes(), []byte("\r\n")) {
			t.Errorf("%+v: no CRLF", opts)
		}
		r, err := Open(&buf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		wantDelim := opts.Delimiter
		if wantDelim == 0 {
			wantDelim = ';'
		}
		wantEnc := EncodingUTF8
		if opts.Windows1252 {
			wantEnc = EncodingWindows1252
		}
		if r.Delimiter() != wantDelim || r.Encoding() != wantEnc {
			t.Errorf("%+v: delimiter %q encoding %s", opts, r.Delimiter(), r.Encoding())
		}
		rows := readAll(t, r)
		var noID, badHouse, records, identifiers int
		lastNumber := 1
		for _, row := range rows {
			if row.Number <= lastNumber {
				t.Fatalf("row number %d after %d", row.Number, lastNumber)
			}
			lastNumber = row.Number
			if row.Record != nil {
				records++
				identifiers += len(row.Record.GetIdentifiers())
			}
			for _, p := range row.Problems {
				switch {
				case p.Reason == ReasonFieldRequired && p.Field == "external_id":
					noID++
				case p.Reason == ReasonFieldInvalid && p.Column == "Huisnummer":
					badHouse++
				default:
					t.Errorf("unexpected problem %v", p)
				}
			}
		}
		if len(rows) != st.Rows || lastNumber != st.Rows+1 || noID != st.MissingExternalID || badHouse != st.BadHouseNumber || records != st.Rows-st.MissingExternalID {
			t.Errorf("%+v: rows %d last %d noID %d badHouse %d; stats %+v", opts, len(rows), lastNumber, noID, badHouse, st)
		}
		if identifiers != st.Identifiers+st.InvalidPhone+st.InvalidEmail {
			t.Errorf("%+v: %d identifiers, stats %+v", opts, identifiers, st)
		}
		if opts.BadPerMille == 0 && (st.MissingExternalID == 0 || st.BadHouseNumber == 0 || st.InvalidPhone == 0 || st.InvalidEmail == 0) {
			t.Errorf("%+v: stats %+v: a kind of bad row is missing", opts, st)
		}
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	r, err := Open(io.MultiReader(strings.NewReader("klantnummer\nK1\n"), errReader{boom}), Options{})
	if err != nil {
		// The error may come at Open (the sample read).
		if !errors.Is(err, boom) {
			t.Fatalf("Open: %v", err)
		}
		return
	}
	for {
		_, err := r.Next()
		if err == io.EOF {
			t.Fatal("EOF instead of the read error")
		}
		if err != nil {
			if !errors.Is(err, boom) {
				t.Fatalf("err %v", err)
			}
			break
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after an error: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Records are carved from shared slabs: changing one must not change
// another.
func TestRecordsIndependent(t *testing.T) {
	rows := readAll(t, open(t, "id;telefoon;email\nK1;0611111111;a@example.nl\nK2;0622222222;b@example.nl\n", Options{}))
	r1, r2 := rows[0].Record, rows[1].Record
	r1.Identifiers = append(r1.Identifiers, &herkenv1.ImportIdentifier{Label: "x"})
	rows[0].Columns = append(rows[0].Columns, "x")
	r1.Identifiers[0].Label = "changed"
	if got := ids(r2); !eq(got, []string{"phone:0622222222", "email:b@example.nl"}) || !eq(rows[1].Columns, []string{"telefoon", "email"}) {
		t.Fatalf("second record changed: %v %v", got, rows[1].Columns)
	}
}
