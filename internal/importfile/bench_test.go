package importfile

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

// benchRows reads b.N rows from a generated file, reopening it as needed:
// ns/op and allocs/op are per row (Open amortised over the file).
func benchRows(b *testing.B, file []byte, opts Options) {
	b.Helper()
	b.SetBytes(int64(len(file)) / int64(countRows(b, file, opts)))
	b.ReportAllocs()
	b.ResetTimer()
	var r *Reader
	for i := 0; i < b.N; i++ {
		if r == nil {
			var err error
			if r, err = Open(bytes.NewReader(file), opts); err != nil {
				b.Fatal(err)
			}
		}
		row, err := r.Next()
		if err == io.EOF {
			r = nil
			i--
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		_ = row
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func countRows(b *testing.B, file []byte, opts Options) int {
	r, err := Open(bytes.NewReader(file), opts)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			return n
		}
		n++
	}
}

func genFile(b *testing.B, n int, o GenOptions) []byte {
	var buf bytes.Buffer
	if _, err := GenerateCSV(&buf, n, o); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// The typical 6-column CSV: Klantnummer;Naam;Mobiel;E-mail;Postcode;Huisnummer.
func BenchmarkReadCSV6(b *testing.B) {
	benchRows(b, genFile(b, 100_000, GenOptions{Seed: 1, Simple: true}), Options{})
}

// 13 columns: name parts, two phones, tags, notes with quoted line breaks.
func BenchmarkReadCSV13(b *testing.B) {
	benchRows(b, genFile(b, 100_000, GenOptions{Seed: 1}), Options{})
}

func BenchmarkReadCSV6Windows1252(b *testing.B) {
	benchRows(b, genFile(b, 100_000, GenOptions{Seed: 1, Simple: true, Windows1252: true}), Options{})
}

func ndjsonFile(b *testing.B) []byte {
	csvFile := genFile(b, 100_000, GenOptions{Seed: 1, BadPerMille: -1})
	r, err := Open(bytes.NewReader(csvFile), Options{})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewNDJSONWriter(&buf)
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err := w.Write(row.Record); err != nil {
			b.Fatal(err)
		}
	}
	return buf.Bytes()
}

func BenchmarkReadNDJSON(b *testing.B) {
	benchRows(b, ndjsonFile(b), Options{})
}

func BenchmarkWriteNDJSON(b *testing.B) {
	file := ndjsonFile(b)
	r, _ := Open(bytes.NewReader(file), Options{})
	rows := readAll(b, r)
	w := NewNDJSONWriter(bufio.NewWriter(io.Discard))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.Write(rows[i%len(rows)].Record); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
