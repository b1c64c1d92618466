package identity

import "testing"

// Normalisation runs on every incoming call; these measure it.

func BenchmarkNormalizePhone(b *testing.B) {
	n := newTestNormalizer(b)
	for _, bc := range []struct{ name, in string }{
		{"national", "06-12345678"},
		{"international", "+31 6 12345678"},
		{"idd0031", "0031612345678"},
		{"e164", "+31612345678"},
		{"tel_uri_ext", "tel:+31-20-123-4567;ext=12"},
		{"fullwidth", "０６１２３４５６７８"},
		{"withheld", "anonymous"},
		{"invalid", "06-1234"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = n.Phone(bc.in)
			}
		})
	}
}

func BenchmarkNormalizeEmail(b *testing.B) {
	n := newTestNormalizer(b)
	for _, bc := range []struct{ name, in string }{
		{"canonical", "jan.devries@example.nl"},
		{"mixed_case", "Jan.DeVries@Example.NL"},
		{"idn", "jan@bücher.nl"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = n.Email(bc.in)
			}
		})
	}
}

func BenchmarkNormalizeSocial(b *testing.B) {
	n := newTestNormalizer(b)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = n.Social(PlatformUnspecified, "https://www.instagram.com/jan.devries/")
	}
}

func BenchmarkQuery(b *testing.B) {
	n := newTestNormalizer(b)
	for _, bc := range []struct{ name, in string }{
		{"phone", "06-12345678"},
		{"email", "Jan@Example.NL"},
		{"social_prefix", "x:@jan"},
		{"social_url", "https://instagram.com/jan"},
		{"postal", "1234 ab 10"},
		{"withheld", "anonymous"},
		{"unrecognized", "jan de vries"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = n.Query(bc.in)
			}
		})
	}
}
