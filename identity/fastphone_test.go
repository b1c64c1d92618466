package identity

import "testing"

func TestFastPhone(t *testing.T) {
	n, err := NewNormalizer(NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"06 12345678", "+31612345678", true},
		{"06-12345678", "+31612345678", true},
		{"0612345678", "+31612345678", true},
		{"+31612345678", "+31612345678", true},
		{"+31 6 1234 5678", "+31612345678", true},
		{"0031612345678", "+31612345678", true},
		{"0031 6 12345678", "+31612345678", true},
		{"(020) 123-4567", "+31201234567", true},
		{"020.123.45.67", "+31201234567", true},
		{"+32 470 12 34 56", "+32470123456", true},
		{"0032470123456", "+32470123456", true},
		{"tel:+31612345678", "", false},
		{"06-12345678 x12", "", false},
		{"anonymous", "", false},
		{"", "", false},
		{"612345678", "", false}, // no prefix: ambiguous
		// International without '+': only the parser can tell them from
		// national numbers ("435632522" is +31 43 5632522, not +43 5632522).
		{"4915123456789", "", false},
		{"31612345678", "", false},
		{"12125550100", "", false},
		{"435632522", "", false},
		{"+0612345678", "", false}, // country codes never start with 0
		{"06 1234", "", false},     // too short
		{"+31 6 12 34 56 78 90 12 34", "", false},
		{"0６12345678", "", false}, // full-width digit: full path
		{"06+12345678", "", false},
		{" +31 6 12345678", "+31612345678", true},
		// A leading separator is not a number to Query either.
		{"-0612345678", "", false},
		{".06 12345678", "", false},
		{")0612345678", "", false},
		{"- 06 12345678", "", false},
		// "(0)" after a country code: the parser drops the trunk 0.
		{"+31 (0)6 12345678", "", false},
		{"0031 (0)6 12345678", "", false},
	}
	for _, tc := range tests {
		got, ok := n.FastPhone(tc.raw)
		if ok != tc.ok || ok && (got.Kind != KindPhone || got.Value != tc.want) {
			t.Errorf("FastPhone(%q) = %v %v, want %q %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
	us, _ := NewNormalizer(NormalizerConfig{DefaultRegion: "US"})
	if _, ok := us.FastPhone("+31612345678"); ok {
		t.Error("fast path enabled for a region that does not dial 0 / 00")
	}
}

// FuzzFastPhone: whenever the fast candidate is itself a canonical number,
// it is exactly what the full parser makes of the same input. That is what
// makes trusting an index hit on the candidate safe.
func FuzzFastPhone(f *testing.F) {
	for _, s := range []string{"06 12345678", "+31612345678", "0031 6 12345678", "00310612345678", "+31 (0)6 12345678",
		"-0612345678", " +31 6 12345678", "(020) 123-4567", "+32 470 12 34 56", "0800-1234", "0900 123 45 67", "+4930123456", "+1 415 555 2671", "097 012345678",
		"4915123456789", "31612345678", "12125550100", "435632522", "(49) 15123456789"} {
		f.Add(s)
	}
	n, err := NewNormalizer(NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cand, ok := n.FastPhone(raw)
		if !ok {
			return
		}
		canon, err := n.Phone(cand.Value)
		if err != nil || canon.Identifier != cand {
			return // not canonical: never in the index, so never trusted
		}
		full, err := n.Phone(raw)
		if err != nil || full.Identifier != cand {
			t.Fatalf("FastPhone(%q) = %q, a canonical number, but the parser says %v (%v)", raw, cand.Value, full.Identifier, err)
		}
		// A free-form query takes the fast path too: Query must agree.
		q, err := n.Query(raw)
		if err != nil || q.Identifier != cand {
			t.Fatalf("FastPhone(%q) = %q, a canonical number, but Query says %v (%v)", raw, cand.Value, q.Identifier, err)
		}
	})
}

// FuzzPhoneFastPath: Phone (which skips the parser for plain numbers of
// the default region) gives exactly what the parser alone gives, result and
// error alike.
func FuzzPhoneFastPath(f *testing.F) {
	for _, s := range []string{"06 12345678", "+31612345678", "0031 6 12345678", "+31 (0)6 12345678", "06-00012345",
		"+31 6 00193084", "020-1234567", "0800-1234", "+3161234567", "+316123456789", "0612345678;ext=12", "anonymous", "000",
		"+31 970 12345678", "088 1234567", "+31 85 1234567", "+32 470 12 34 56", "0031 06 12345678"} {
		f.Add(s)
	}
	n, err := NewNormalizer(NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fast, fmsg := n.phone(raw)
		slow, smsg := n.phoneSlow(raw)
		if fast != slow || fmsg != smsg {
			t.Fatalf("Phone(%q) = %+v %q, the parser says %+v %q", raw, fast, fmsg, slow, smsg)
		}
	})
}
