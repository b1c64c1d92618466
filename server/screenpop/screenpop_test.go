package screenpop

import (
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestLanguage(t *testing.T) {
	for _, tc := range []struct{ query, accept, want string }{
		{"", "", "nl"},
		{"", "en-US,en;q=0.9", "en"},
		{"", "de-DE, fr;q=0.8", "nl"},
		{"", "de-DE, EN-gb;q=0.5, nl;q=0.4", "en"},
		{"?lang=en", "nl", "en"},
		{"?lang=fr", "en", "en"},
	} {
		r := httptest.NewRequest("GET", "/screen-pop/x"+tc.query, nil)
		r.Header.Set("Accept-Language", tc.accept)
		if got := language(r); got != tc.want {
			t.Errorf("%q %q: %s, want %s", tc.query, tc.accept, got, tc.want)
		}
	}
}

// TestTimes: times as an agent reads them, in the page's time zone and
// language.
func TestTimes(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	h := &Handler{cfg: Config{Location: loc}, now: func() time.Time { return now }}
	f := h.funcs()
	when := f["when"].(func(text, *timestamppb.Timestamp) string)
	ago := f["ago"].(func(text, *timestamppb.Timestamp) string)
	nl, en := texts["nl"], texts["en"]
	for _, tc := range []struct {
		got, want string
	}{
		{when(nl, timestamppb.New(now)), "di 1 dec 14:00"},                                            // CET
		{when(en, timestamppb.New(time.Date(2026, 7, 4, 15, 54, 0, 0, time.UTC))), "Sat 4 Jul 17:54"}, // CEST
		{when(nl, timestamppb.New(time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC))), "do 1 jan 00:30"},
		{when(nl, timestamppb.New(time.Date(2025, 12, 31, 22, 30, 0, 0, time.UTC))), "wo 31 dec 2025 23:30"},
		{ago(nl, timestamppb.New(now.Add(-42*time.Hour))), "42 uur geleden"},
		{ago(nl, timestamppb.New(now.Add(-49*time.Hour))), "2 dagen geleden"},
		{ago(en, timestamppb.New(now.Add(-90*time.Second))), "1 minute ago"},
		{ago(en, timestamppb.New(now.Add(-10*time.Second))), "1 minute ago"},
		{ago(nl, timestamppb.New(now.Add(3*time.Hour))), "over 3 uur"},
		{ago(en, timestamppb.New(now.Add(50*time.Hour))), "in 2 days"},
		{nl.OverdueBy(durationpb.New(90 * time.Minute)), "90 minuten"},
		{en.OverdueBy(durationpb.New(25 * time.Hour)), "25 hours"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
