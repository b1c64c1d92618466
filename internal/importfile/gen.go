package importfile

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// GenOptions shapes a generated CSV. The zero value writes what Dutch Excel
// writes: ';', a UTF-8 BOM, CRLF line ends, 13 columns, about 1% bad rows.
type GenOptions struct {
	// Seed makes the file reproducible (same seed, same file).
	Seed uint64
	// Delimiter; 0 means ';'.
	Delimiter rune
	// NoBOM leaves out the UTF-8 byte order mark.
	NoBOM bool
	// LF ends lines with "\n" instead of "\r\n".
	LF bool
	// Windows1252 writes Windows-1252 instead of UTF-8 (never a BOM).
	Windows1252 bool
	// Simple writes the typical 6 columns (Klantnummer, Naam, Mobiel,
	// E-mail, Postcode, Huisnummer) instead of 13.
	Simple bool
	// BadPerMille is the share of bad rows per 1000; 0 means 10, negative
	// means none.
	BadPerMille int
	// FirstID is the number of the first customer ("K-%07d"); 0 means 1.
	FirstID int
}

// GenStats says what GenerateCSV wrote.
type GenStats struct {
	Rows int // data rows
	// Bad rows by kind. The reader reports MissingExternalID (the row is
	// not imported) and BadHouseNumber (the address is left out); the
	// server reports InvalidPhone and InvalidEmail (the identifier is
	// dropped, or the row fails with skip_record_on_bad_identifier).
	MissingExternalID, BadHouseNumber, InvalidPhone, InvalidEmail int
	// Identifiers is the number of identifiers the good values make
	// (phones, emails, addresses), for checking an import.
	Identifiers int
}

var (
	genFirstF = []string{"Anna", "Emma", "Sophie", "Julia", "Lotte", "Sanne", "Fleur", "Lisa", "Eva", "Iris", "Femke", "Anouk", "Renée", "Zoë", "Marieke", "Ingrid", "Els", "Petra", "Monique", "Linda", "Fatima", "Ayşe", "Małgorzata", "Chantal"}
	genFirstM = []string{"Jan", "Pieter", "Daan", "Sem", "Lucas", "Bram", "Thijs", "Jesse", "Ruben", "Lars", "Stijn", "Tim", "Niels", "Joost", "Maarten", "Wouter", "Kees", "Henk", "André", "Mohamed", "Mehmet", "Piotr", "Rajesh", "Sjoerd"}
	genInfix  = []string{"", "", "", "", "", "van", "de", "van de", "van der", "van den", "de", "ter", "van 't", "in 't"}
	genLast   = []string{"Jansen", "Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters", "Hendriks", "Dijk", "Berg", "Dekker", "Brouwer", "Dam", "Wit", "Müller", "Yılmaz", "El Amrani", "Kowalski", "Ramdin", "Heuvel", "Boer", "Linden", "Leeuwen", "Café-Hoekstra"}
	genDomain = []string{"example.nl", "example.com", "voorbeeld.example", "mail.example.nl", "example.org"}
	genAreas  = []string{"010", "020", "030", "040", "050", "070", "073", "076", "0111", "0226"}
	genLang   = []string{"nl", "nl", "nl", "nl", "nl", "nl", "nl", "nl", "nl", "nl", "nl", "en", "en", "de", "tr", "ar", "pl"}
	genTags   = []string{"particulier", "zakelijk", "vip", "nieuwsbrief", "wanbetaler", "energie", "internet"}
	genNotes  = []string{
		"Belt liever 's avonds",
		"Slechthorend; spreek langzaam en duidelijk",
		"Heeft klacht over factuur \"maart\" lopen",
		"Terugbellen na 17:00\nniet op woensdag",
		"Spreekt liever Engels",
		"Zoon regelt de zaken, machtiging aanwezig",
	}
	genAdditions = []string{"A", "B", "-2", "hs", "bis", "1"}
)

// GenerateCSV writes a realistic Dutch CRM export of n customers: 06 mobile
// numbers in several written forms, landlines, emails, postcodes with house
// numbers and additions, names with tussenvoegsels and accents, notes with
// quotes, delimiters and line breaks, and about 1% bad rows: an invalid phone,
// an invalid email, a missing external id, a house number that is not a
// number. Every customer's phone, email and address is unique, so an
// import of the file runs into no share limits.
func GenerateCSV(w io.Writer, n int, opts GenOptions) (GenStats, error) {
	var st GenStats
	delim := opts.Delimiter
	if delim == 0 {
		delim = ';'
	}
	bad := opts.BadPerMille
	if bad == 0 {
		bad = 10
	}
	first := opts.FirstID
	if first == 0 {
		first = 1
	}
	out := w
	bw := bufio.NewWriterSize(out, 64<<10)
	var dst io.Writer = bw
	if opts.Windows1252 {
		dst = charmap.Windows1252.NewEncoder().Writer(bw)
	} else if !opts.NoBOM {
		if _, err := bw.Write(utf8BOM); err != nil {
			return st, err
		}
	}
	cw := csv.NewWriter(dst)
	cw.Comma = delim
	cw.UseCRLF = !opts.LF
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6865726b656e))

	if opts.Simple {
		if err := cw.Write([]string{"Klantnummer", "Naam", "Mobiel", "E-mail", "Postcode", "Huisnummer"}); err != nil {
			return st, err
		}
	} else {
		if err := cw.Write([]string{"Klantnummer", "Voornaam", "Tussenvoegsel", "Achternaam", "Telefoon", "Mobiel", "E-mailadres", "Postcode", "Huisnummer", "Toevoeging", "Taal", "Labels", "Opmerking"}); err != nil {
			return st, err
		}
	}
	rec := make([]string, 13)
	for i := 0; i < n; i++ {
		k := first + i
		id := fmt.Sprintf("K-%07d", k)
		var firstName string
		if rng.IntN(2) == 0 {
			firstName = genFirstF[rng.IntN(len(genFirstF))]
		} else {
			firstName = genFirstM[rng.IntN(len(genFirstM))]
		}
		infix := genInfix[rng.IntN(len(genInfix))]
		last := genLast[rng.IntN(len(genLast))]
		// Unique numbers and addresses: bijections of k.
		// 06 numbers are valid from 061 to 065 and 068 (6[1-58] after +31):
		// 10,000,000 + a permutation of 0..49,999,999 stays in 061..065.
		m := 10_000_000 + (uint64(k)*48271)%50_000_000
		mobile := formatMobile(m, rng.IntN(5))
		email := strings.ToLower(asciiFold(firstName)+"."+strings.ReplaceAll(asciiFold(infix+last), " ", "")) + strconv.Itoa(k) + "@" + genDomain[rng.IntN(len(genDomain))]
		a := (uint64(k) * 7919) % 6_084_000
		l1, l2 := 'A'+byte(a/9000%26), 'A'+byte(a/9000/26%26)
		if l1 == 'S' && (l2 == 'A' || l2 == 'D' || l2 == 'S') {
			l1 = 'T' // SA, SD and SS are not used in Dutch postcodes
		}
		postcode := fmt.Sprintf("%04d %c%c", 1000+a%9000, l1, l2)
		if rng.IntN(3) == 0 {
			postcode = strings.ReplaceAll(postcode, " ", "")
		}
		house := strconv.Itoa(1 + rng.IntN(250))
		addition := ""
		if rng.IntN(10) == 0 {
			addition = genAdditions[rng.IntN(len(genAdditions))]
		}
		st.Identifiers += 3

		if bad > 0 && rng.IntN(1000) < bad {
			switch rng.IntN(4) {
			case 0:
				mobile = "06-" + strconv.Itoa(1000+rng.IntN(9000)) // too short
				st.InvalidPhone++
				st.Identifiers--
			case 1:
				id = ""
				st.MissingExternalID++
				st.Identifiers -= 3
			case 2:
				house = []string{"tien", "?", "z.n.", "A12"}[rng.IntN(4)]
				st.BadHouseNumber++
				st.Identifiers--
			case 3:
				email = strings.Replace(email, "@", " at ", 1)
				st.InvalidEmail++
				st.Identifiers--
			}
		}

		if opts.Simple {
			name := joinName(firstName, infix, last)
			if opts.Windows1252 {
				name = cp1252Safe.Replace(name)
			}
			if addition != "" {
				house += addition
			}
			if err := cw.Write([]string{id, name, mobile, email, postcode, house}); err != nil {
				return st, err
			}
		} else {
			phone := ""
			if rng.IntN(3) == 0 {
				// A landline: area code + subscriber number starting 2-9.
				area := genAreas[rng.IntN(len(genAreas))]
				p := pow10u(9 - len(area))
				phone = area + "-" + strconv.FormatUint(2*p+(uint64(k)*69621)%(8*p), 10)
				if id != "" {
					st.Identifiers++
				}
			}
			lang := genLang[rng.IntN(len(genLang))]
			var tags []string
			for t := rng.IntN(3); t > 0; t-- {
				tags = append(tags, genTags[rng.IntN(len(genTags))])
			}
			note := ""
			if rng.IntN(5) == 0 {
				note = genNotes[rng.IntN(len(genNotes))]
			}
			if opts.Windows1252 {
				firstName, last = cp1252Safe.Replace(firstName), cp1252Safe.Replace(last)
			}
			rec = append(rec[:0], id, firstName, infix, last, phone, mobile, email, postcode, house, addition, lang, strings.Join(tags, ","), note)
			if err := cw.Write(rec); err != nil {
				return st, err
			}
		}
		st.Rows++
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return st, err
	}
	return st, bw.Flush()
}

func pow10u(n int) uint64 {
	p := uint64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// cp1252Safe replaces the letters of the name lists Windows-1252 lacks.
var cp1252Safe = strings.NewReplacer("ı", "i", "ł", "l", "ş", "s")

// formatMobile writes 06 + 8 digits in one of the forms people type.
func formatMobile(m uint64, style int) string {
	d := fmt.Sprintf("%08d", m)
	switch style {
	case 0:
		return "06-" + d
	case 1:
		return "06" + d
	case 2:
		return "+31 6 " + d
	case 3:
		return "06 " + d[:4] + " " + d[4:]
	default:
		return "+316" + d
	}
}

// asciiFold drops accents for email local parts ("Müller" → "Muller").
func asciiFold(s string) string {
	n := []byte(normKey(cp1252Safe.Replace(s)))
	out := n[:0]
	for _, c := range n {
		if c < 0x80 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "x"
	}
	return string(out)
}
