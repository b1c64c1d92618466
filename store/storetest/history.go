package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
)

// historyTests cover ListInteractions, feedback and retention.
var historyTests = []storeTest{
	{"ListNewestFirst", testListNewestFirst},
	{"ListUnknownCustomer", testListUnknownCustomer},
	{"ListChannels", testListChannels},
	{"ListTimeRange", testListTimeRange},
	{"ListPages", testListPages},
	{"ListPageTokenInvalid", testListPageTokenInvalid},
	{"UpdateInteraction", testUpdateInteraction},
	{"UpdateInteractionNotFound", testUpdateInteractionNotFound},
	{"FeedbackIndex", testFeedbackIndex},
	{"FeedbackIndexPages", testFeedbackIndexPages},
	{"Purge", testPurge},
	{"PurgeManyBatches", testPurgeManyBatches},
}

// minuteAt is epoch plus m minutes.
func minuteAt(m int) time.Time { return epoch.Add(time.Duration(m) * time.Minute) }

func mustListInteractions(t *testing.T, s herken.Store, q herken.InteractionQuery) ([]herken.Interaction, string) {
	t.Helper()
	list, next, err := s.ListInteractions(ctx, q)
	if err != nil {
		t.Fatalf("ListInteractions(%+v): %v", q, err)
	}
	return list, next
}

// listInteractionPages follows page tokens to the end and returns every page's items in
// order, failing when a page is larger than the page size or there are
// more pages than items could need.
func listInteractionPages(t *testing.T, s herken.Store, q herken.InteractionQuery) (all []herken.Interaction, pages int) {
	t.Helper()
	for {
		list, next, err := s.ListInteractions(ctx, q)
		if err != nil {
			t.Fatalf("ListInteractions page %d: %v", pages+1, err)
		}
		pages++
		if len(list) > q.PageSize {
			t.Fatalf("page %d has %d items, page size %d", pages, len(list), q.PageSize)
		}
		all = append(all, list...)
		if next == "" {
			return all, pages
		}
		if len(list) == 0 || pages > 1000 {
			t.Fatalf("page %d is empty (or endless) but has a next page token", pages)
		}
		q.PageToken = next
	}
}

func summariesOf(list []herken.Interaction) string {
	var out []string
	for _, in := range list {
		out = append(out, in.Summary)
	}
	return strings.Join(out, ",")
}

func onChannel(in herken.Interaction, c herken.Channel) herken.Interaction {
	in.Channel = c
	return in
}

func testListNewestFirst(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	other := mustCreate(t, s, NewCustomer("Kees"))
	mustAppend(t, s, other.ID, newInteraction(minuteAt(30), "other"))
	// Recorded out of order; two at the same instant.
	for _, m := range []int{3, 1, 4, 2, 5} {
		mustAppend(t, s, c.ID, newInteraction(minuteAt(m), fmt.Sprint(m)))
	}
	mustAppend(t, s, c.ID, newInteraction(minuteAt(4), "4b"))
	list, next := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, PageSize: 50})
	got := summariesOf(list)
	if got != "5,4,4b,3,2,1" && got != "5,4b,4,3,2,1" || next != "" {
		t.Fatalf("list = %s (next %q), want 5,4,4b,3,2,1 newest first", got, next)
	}
	for _, in := range list {
		if in.CustomerID != c.ID || !herken.ValidID(in.ID) || in.Agent != "agent-042" || in.Duration != 3*time.Minute {
			t.Fatalf("listed interaction %+v", in)
		}
	}
	// A page size of 0 is the store's default, not "nothing".
	if list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID}); len(list) != 6 {
		t.Fatalf("page size 0 listed %d", len(list))
	}
	// A customer without history lists nothing.
	empty := mustCreate(t, s, NewCustomer("Leeg"))
	if list, next := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: empty.ID, PageSize: 10}); len(list) != 0 || next != "" {
		t.Fatalf("empty history listed %d, next %q", len(list), next)
	}
}

func testListUnknownCustomer(t *testing.T, s herken.Store) {
	for _, id := range []string{herken.NewID(), "bogus", "../c/x"} {
		_, _, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: id, PageSize: 10})
		wantErr(t, err, herken.ErrCustomerNotFound)
	}
}

func testListChannels(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	chans := []herken.Channel{herken.ChannelPhone, herken.ChannelEmail, herken.ChannelChat, herken.ChannelSystem}
	for m := 1; m <= 12; m++ {
		mustAppend(t, s, c.ID, onChannel(newInteraction(minuteAt(m), fmt.Sprint(m)), chans[m%len(chans)]))
	}
	tests := []struct {
		chans []herken.Channel
		want  string
	}{
		{nil, "12,11,10,9,8,7,6,5,4,3,2,1"},
		{[]herken.Channel{herken.ChannelEmail}, "9,5,1"},
		{[]herken.Channel{herken.ChannelChat, herken.ChannelEmail}, "10,9,6,5,2,1"},
		{[]herken.Channel{herken.ChannelSystem}, "11,7,3"},
		{[]herken.Channel{herken.ChannelWhatsApp}, ""},
	}
	for _, tc := range tests {
		list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, Channels: tc.chans, PageSize: 50})
		if got := summariesOf(list); got != tc.want {
			t.Errorf("channels %v: %s, want %s", tc.chans, got, tc.want)
		}
		for _, in := range list {
			if !slices.Contains(tc.chans, in.Channel) && tc.chans != nil {
				t.Errorf("channels %v listed %v", tc.chans, in.Channel)
			}
		}
	}
	// Channels are a set: a token issued for [chat email] continues [email chat].
	q := herken.InteractionQuery{CustomerID: c.ID, Channels: []herken.Channel{herken.ChannelChat, herken.ChannelEmail}, PageSize: 4}
	first, next := mustListInteractions(t, s, q)
	q.Channels = []herken.Channel{herken.ChannelEmail, herken.ChannelChat, herken.ChannelEmail}
	q.PageToken = next
	rest, _ := mustListInteractions(t, s, q)
	if got := summariesOf(append(first, rest...)); got != "10,9,6,5,2,1" {
		t.Fatalf("paged with reordered channels: %s", got)
	}
}

func testListTimeRange(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	for m := 1; m <= 10; m++ {
		mustAppend(t, s, c.ID, newInteraction(minuteAt(m), fmt.Sprint(m)))
	}
	// One a nanosecond before 7 and one a nanosecond after 3: the bounds
	// are exact, [start, end).
	mustAppend(t, s, c.ID, newInteraction(minuteAt(7).Add(-time.Nanosecond), "7-"))
	mustAppend(t, s, c.ID, newInteraction(minuteAt(3).Add(-time.Nanosecond), "3-"))
	tests := []struct {
		start, end time.Time
		want       string
	}{
		{minuteAt(3), minuteAt(7), "7-,6,5,4,3"},
		{time.Time{}, minuteAt(3), "3-,2,1"},
		{minuteAt(9), time.Time{}, "10,9"},
		{minuteAt(3), minuteAt(3).Add(time.Nanosecond), "3"},
		{minuteAt(11), time.Time{}, ""},
		{time.Time{}, minuteAt(1), ""},
		{time.Time{}, time.Unix(0, 1), ""},
		{time.Unix(0, 0), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), "10,9,8,7,7-,6,5,4,3,3-,2,1"},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, ""},
	}
	for _, tc := range tests {
		list, next := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, Start: tc.start, End: tc.end, PageSize: 50})
		if got := summariesOf(list); got != tc.want || next != "" {
			t.Errorf("[%v, %v): %s (next %q), want %s", tc.start, tc.end, got, next, tc.want)
		}
	}
	// Paged within a range: each page stays inside it.
	all, pages := listInteractionPages(t, s, herken.InteractionQuery{CustomerID: c.ID, Start: minuteAt(2), End: minuteAt(9), PageSize: 2})
	if got := summariesOf(all); got != "8,7,7-,6,5,4,3,3-,2" || pages != 5 {
		t.Fatalf("paged range: %s in %d pages", got, pages)
	}
}

func testListPages(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	other := mustCreate(t, s, NewCustomer("Kees"))
	const n = 23
	var want []string
	for m := n; m >= 1; m-- {
		want = append(want, fmt.Sprint(m))
	}
	for m := 1; m <= n; m++ {
		mustAppend(t, s, c.ID, newInteraction(minuteAt(m), fmt.Sprint(m)))
		mustAppend(t, s, other.ID, newInteraction(minuteAt(m), "other"))
	}
	for _, size := range []int{1, 5, 7, 22, 23, 24} {
		all, pages := listInteractionPages(t, s, herken.InteractionQuery{CustomerID: c.ID, PageSize: size})
		if got := summariesOf(all); got != strings.Join(want, ",") {
			t.Errorf("page size %d: %s", size, got)
		}
		if wantPages := (n + size - 1) / size; pages != wantPages {
			t.Errorf("page size %d: %d pages, want %d (no empty last page)", size, pages, wantPages)
		}
		seen := map[string]bool{}
		for _, in := range all {
			if seen[in.ID] {
				t.Errorf("page size %d: %s listed twice", size, in.Summary)
			}
			seen[in.ID] = true
		}
	}
	// A write between pages neither repeats nor skips what was listed:
	// the token is a position in the key order.
	q := herken.InteractionQuery{CustomerID: c.ID, PageSize: 10}
	first, next := mustListInteractions(t, s, q)
	mustAppend(t, s, c.ID, newInteraction(minuteAt(100), "newest"))
	q.PageToken = next
	// The page size may change between pages; the filters may not.
	q.PageSize = 20
	rest, next := mustListInteractions(t, s, q)
	if got := summariesOf(append(first, rest...)); got != strings.Join(want, ",") || next != "" {
		t.Fatalf("after a write between pages: %s (next %q)", got, next)
	}
}

func testListPageTokenInvalid(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	other := mustCreate(t, s, NewCustomer("Kees"))
	for m := 1; m <= 5; m++ {
		in := mustAppend(t, s, c.ID, newInteraction(minuteAt(m), fmt.Sprint(m)))
		mustAppend(t, s, other.ID, newInteraction(minuteAt(m), "other"))
		if _, err := s.UpdateInteraction(ctx, c.ID, in.ID, func(in *herken.Interaction) error {
			in.Feedback = &herken.Feedback{Score: 2, SubmitTime: minuteAt(60 + m)}
			return nil
		}, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	base := herken.InteractionQuery{CustomerID: c.ID, Channels: []herken.Channel{herken.ChannelPhone}, Start: minuteAt(1), End: minuteAt(10), PageSize: 2}
	_, token := mustListInteractions(t, s, base)
	if token == "" {
		t.Fatal("no next page token")
	}
	flip := func(tok string, i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	bad := []struct {
		name  string
		token string
		edit  func(q *herken.InteractionQuery)
	}{
		{"garbage", "abc", nil},
		{"not base64", "!!!!", nil},
		{"too long", strings.Repeat("A", 5000), nil},
		{"first byte edited", flip(token, 0), nil},
		{"last byte edited", flip(token, len(token)-1), nil},
		{"truncated", token[:len(token)-4], nil},
		{"other customer", token, func(q *herken.InteractionQuery) { q.CustomerID = other.ID }},
		{"other channels", token, func(q *herken.InteractionQuery) { q.Channels = []herken.Channel{herken.ChannelEmail} }},
		{"no channels", token, func(q *herken.InteractionQuery) { q.Channels = nil }},
		{"other start", token, func(q *herken.InteractionQuery) { q.Start = minuteAt(2) }},
		{"no end", token, func(q *herken.InteractionQuery) { q.End = time.Time{} }},
		{"feedback filter", token, func(q *herken.InteractionQuery) { q.UnansweredFeedback = true }},
		{"all customers", token, func(q *herken.InteractionQuery) { q.CustomerID, q.UnansweredFeedback = "", true }},
	}
	for _, tc := range bad {
		q := base
		q.PageToken = tc.token
		if tc.edit != nil {
			tc.edit(&q)
		}
		_, _, err := s.ListInteractions(ctx, q)
		if e := wantErr(t, err, herken.ErrPageToken); e.Field != "page_token" {
			t.Errorf("%s: field %q", tc.name, e.Field)
		}
	}
	// And the other way round: a feedback-list token does not open a
	// customer's history.
	_, fbToken := mustListInteractions(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 1})
	if fbToken == "" {
		t.Fatal("no feedback page token")
	}
	_, _, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: c.ID, PageSize: 1, PageToken: fbToken})
	wantErr(t, err, herken.ErrPageToken)
	// The unchanged query still works with the token.
	q := base
	q.PageToken = token
	mustListInteractions(t, s, q)
}

func testUpdateInteraction(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	in := mustAppend(t, s, c.ID, newInteraction(minuteAt(1), "gebeld"))
	got, err := s.UpdateInteraction(ctx, c.ID, in.ID, func(x *herken.Interaction) error {
		x.Feedback = &herken.Feedback{Score: 4, Comment: "prima", SubmitTime: minuteAt(5)}
		// Key fields are fixed whatever fn does.
		x.ID, x.CustomerID, x.OccurTime = "x", "y", minuteAt(99)
		return nil
	}, herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantFB := herken.Feedback{Score: 4, Comment: "prima", SubmitTime: minuteAt(5)}
	if got.Feedback == nil || *got.Feedback != wantFB {
		t.Fatalf("feedback = %+v, want %+v", got.Feedback, wantFB)
	}
	bare := got
	bare.Feedback = nil
	if fmt.Sprint(bare) != fmt.Sprint(in) {
		t.Fatalf("updated:\n got %+v\nwant %+v", got, in)
	}
	want := in
	want.Feedback = &wantFB
	list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, PageSize: 10})
	if len(list) != 1 || list[0].Feedback == nil || *list[0].Feedback != *want.Feedback || !list[0].OccurTime.Equal(minuteAt(1)) {
		t.Fatalf("stored: %+v", list)
	}
	// fn's error aborts: nothing changes, the error comes back as is, and
	// fn's edits to the feedback never reach the stored copy.
	before := digestOf(t, s)
	_, err = s.UpdateInteraction(ctx, c.ID, in.ID, func(x *herken.Interaction) error {
		x.Feedback.Answer, x.Summary = "changed", "changed"
		return herken.ErrFeedbackSubmitted
	}, herken.WriteOptions{})
	wantErr(t, err, herken.ErrFeedbackSubmitted)
	if digestOf(t, s) != before {
		t.Fatal("an aborted update wrote something")
	}
	after, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, PageSize: 10})
	if after[0].Summary != "gebeld" || after[0].Feedback.Answer != "" {
		t.Fatalf("aborted update changed the interaction: %+v %+v", after[0], after[0].Feedback)
	}
	// Updating an interaction never moves the customer's last contact.
	cust, _ := s.GetCustomer(ctx, c.ID)
	if !cust.LastContactTime.Equal(minuteAt(1)) {
		t.Fatalf("last contact %v", cust.LastContactTime)
	}
}

func testUpdateInteractionNotFound(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	other := mustCreate(t, s, NewCustomer("Kees"))
	in := mustAppend(t, s, c.ID, newInteraction(minuteAt(1), "x"))
	called := false
	fn := func(*herken.Interaction) error { called = true; return nil }
	for _, ids := range [][2]string{
		{c.ID, strings.Repeat("0", 24)},
		{other.ID, in.ID}, // another customer's interaction
		{herken.NewID(), in.ID},
		{"bogus", in.ID},
		{c.ID, "bogus"},
		{c.ID, in.ID + "/x"},
		{c.ID, ""},
	} {
		_, err := s.UpdateInteraction(ctx, ids[0], ids[1], fn, herken.WriteOptions{})
		wantErr(t, err, herken.ErrInteractionNotFound)
	}
	if called {
		t.Fatal("fn called for a missing interaction")
	}
}

// submitFeedback sets unanswered feedback submitted at submit.
func submitFeedback(t *testing.T, s herken.Store, in herken.Interaction, submit time.Time) {
	t.Helper()
	if _, err := s.UpdateInteraction(ctx, in.CustomerID, in.ID, func(x *herken.Interaction) error {
		x.Feedback = &herken.Feedback{Score: 1, Comment: "te lang gewacht", SubmitTime: submit}
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatalf("feedback: %v", err)
	}
}

func answerFeedback(t *testing.T, s herken.Store, in herken.Interaction, when time.Time) {
	t.Helper()
	if _, err := s.UpdateInteraction(ctx, in.CustomerID, in.ID, func(x *herken.Interaction) error {
		x.Feedback.Answer, x.Feedback.AnsweredBy, x.Feedback.AnswerTime = "excuses, tegoed gegeven", "team-care", when
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatalf("answer: %v", err)
	}
}

func testFeedbackIndex(t *testing.T, s herken.Store) {
	jan := mustCreate(t, s, NewCustomer("Jan"))
	kees := mustCreate(t, s, NewCustomer("Kees"))
	j1 := mustAppend(t, s, jan.ID, newInteraction(minuteAt(1), "j1"))
	j2 := mustAppend(t, s, jan.ID, newInteraction(minuteAt(2), "j2"))
	k1 := mustAppend(t, s, kees.ID, onChannel(newInteraction(minuteAt(3), "k1"), herken.ChannelEmail))
	mustAppend(t, s, kees.ID, newInteraction(minuteAt(4), "k2")) // no feedback
	// Submission order, not occur order: k1, j2, j1.
	submitFeedback(t, s, k1, minuteAt(10))
	submitFeedback(t, s, j2, minuteAt(11))
	submitFeedback(t, s, j1, minuteAt(12))
	all := herken.InteractionQuery{UnansweredFeedback: true, PageSize: 50}
	if list, _ := mustListInteractions(t, s, all); summariesOf(list) != "k1,j2,j1" {
		t.Fatalf("unanswered across customers: %s, want k1,j2,j1 (oldest submission first)", summariesOf(list))
	}
	// Other filters apply across customers too.
	emailOnly := all
	emailOnly.Channels = []herken.Channel{herken.ChannelEmail}
	if list, _ := mustListInteractions(t, s, emailOnly); summariesOf(list) != "k1" {
		t.Fatalf("unanswered email: %s", summariesOf(list))
	}
	ranged := all
	ranged.Start, ranged.End = minuteAt(2), minuteAt(4)
	if list, _ := mustListInteractions(t, s, ranged); summariesOf(list) != "k1,j2" {
		t.Fatalf("unanswered in [2, 4): %s", summariesOf(list))
	}
	// One customer's unanswered feedback, in history order.
	one := herken.InteractionQuery{CustomerID: jan.ID, UnansweredFeedback: true, PageSize: 50}
	if list, _ := mustListInteractions(t, s, one); summariesOf(list) != "j2,j1" {
		t.Fatalf("Jan's unanswered: %s", summariesOf(list))
	}
	// Answered feedback leaves the index; the interaction keeps it.
	answerFeedback(t, s, j2, minuteAt(20))
	if list, _ := mustListInteractions(t, s, all); summariesOf(list) != "k1,j1" {
		t.Fatalf("after answering j2: %s", summariesOf(list))
	}
	if list, _ := mustListInteractions(t, s, one); summariesOf(list) != "j1" {
		t.Fatalf("Jan's unanswered after answering j2: %s", summariesOf(list))
	}
	hist, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: jan.ID, PageSize: 50})
	if hist[0].Summary != "j2" || !hist[0].Feedback.Answered() || hist[0].Feedback.AnsweredBy != "team-care" {
		t.Fatalf("answered feedback not kept: %+v", hist[0].Feedback)
	}
	answerFeedback(t, s, k1, minuteAt(21))
	answerFeedback(t, s, j1, minuteAt(22))
	if list, next := mustListInteractions(t, s, all); len(list) != 0 || next != "" {
		t.Fatalf("all answered, still listed: %s", summariesOf(list))
	}
	// Removing feedback (only a store-level edit can) removes the entry;
	// new feedback puts one back.
	submitFeedback(t, s, j1, minuteAt(30))
	if _, err := s.UpdateInteraction(ctx, jan.ID, j1.ID, func(x *herken.Interaction) error { x.Feedback = nil; return nil }, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if list, _ := mustListInteractions(t, s, all); len(list) != 0 {
		t.Fatalf("removed feedback still listed: %s", summariesOf(list))
	}
}

func testFeedbackIndexPages(t *testing.T, s herken.Store) {
	var want []string
	for i := 0; i < 4; i++ {
		c := mustCreate(t, s, NewCustomer(fmt.Sprint("klant ", i)))
		for m := 0; m < 4; m++ {
			in := mustAppend(t, s, c.ID, newInteraction(minuteAt(m), fmt.Sprint(i, "-", m)))
			if m%2 == 0 {
				// Customer i's submissions interleave with the others'.
				submitFeedback(t, s, in, minuteAt(100+m*10+i))
			}
		}
	}
	for m := 0; m < 4; m += 2 {
		for i := 0; i < 4; i++ {
			want = append(want, fmt.Sprint(i, "-", m))
		}
	}
	all, pages := listInteractionPages(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 3})
	if got := summariesOf(all); got != strings.Join(want, ",") || pages != 3 {
		t.Fatalf("paged unanswered feedback: %s in %d pages, want %s in 3", got, pages, strings.Join(want, ","))
	}
}

func testPurge(t *testing.T, s herken.Store) {
	jan := mustCreate(t, s, NewCustomer("Jan"))
	kees := mustCreate(t, s, NewCustomer("Kees"))
	old1 := mustAppend(t, s, jan.ID, newInteraction(minuteAt(1), "old1"))
	mustAppend(t, s, kees.ID, newInteraction(minuteAt(2), "old2"))
	old3 := mustAppend(t, s, jan.ID, newInteraction(minuteAt(3), "old3"))
	keep := mustAppend(t, s, jan.ID, newInteraction(minuteAt(10), "keep"))
	mustAppend(t, s, kees.ID, onChannel(newInteraction(minuteAt(11), "keep2"), herken.ChannelWhatsApp))
	submitFeedback(t, s, old1, minuteAt(20))
	submitFeedback(t, s, keep, minuteAt(21))
	// Answered before the purge: no index entry of it may outlive it.
	submitFeedback(t, s, old3, minuteAt(19))
	answerFeedback(t, s, old3, minuteAt(22))
	before, _ := s.GetCustomer(ctx, kees.ID)

	// A zero limit purges nothing but says work is waiting.
	n, more, err := s.PurgeInteractions(ctx, minuteAt(10), 0, herken.WriteOptions{})
	if err != nil || n != 0 || !more {
		t.Fatalf("purge limit 0: %d %v %v", n, more, err)
	}
	// Oldest first, at most limit.
	n, more, err = s.PurgeInteractions(ctx, minuteAt(10), 2, herken.WriteOptions{})
	if err != nil || n != 2 || !more {
		t.Fatalf("first purge: %d %v %v, want 2 true", n, more, err)
	}
	if list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: jan.ID, PageSize: 50}); summariesOf(list) != "keep,old3" {
		t.Fatalf("Jan after first purge: %s", summariesOf(list))
	}
	if list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: kees.ID, PageSize: 50}); summariesOf(list) != "keep2" {
		t.Fatalf("Kees after first purge: %s", summariesOf(list))
	}
	// old1's feedback went with it; keep's is still waiting.
	if list, _ := mustListInteractions(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 50}); summariesOf(list) != "keep" {
		t.Fatalf("unanswered after purge: %s", summariesOf(list))
	}
	if _, err := s.UpdateInteraction(ctx, jan.ID, old1.ID, func(*herken.Interaction) error { return nil }, herken.WriteOptions{}); !errors.Is(err, herken.ErrInteractionNotFound) {
		t.Fatalf("purged interaction still updatable: %v", err)
	}
	n, more, err = s.PurgeInteractions(ctx, minuteAt(10), 2, herken.WriteOptions{})
	if err != nil || n != 1 || more {
		t.Fatalf("second purge: %d %v %v, want 1 false", n, more, err)
	}
	// The cutoff is exclusive: "keep" occurred exactly at it.
	n, more, err = s.PurgeInteractions(ctx, minuteAt(10), 100, herken.WriteOptions{})
	if err != nil || n != 0 || more {
		t.Fatalf("third purge: %d %v %v, want 0 false (no index entry left behind)", n, more, err)
	}
	if list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: jan.ID, PageSize: 50}); summariesOf(list) != "keep" {
		t.Fatalf("Jan after purges: %s", summariesOf(list))
	}
	// Customers keep their last contact.
	after, _ := s.GetCustomer(ctx, kees.ID)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("purge changed the customer:\n%+v\n%+v", before, after)
	}
	// Everything, and a purge of an empty store.
	n, more, err = s.PurgeInteractions(ctx, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 100, herken.WriteOptions{})
	if err != nil || n != 2 || more {
		t.Fatalf("purge all: %d %v %v", n, more, err)
	}
	if list, next := mustListInteractions(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 50}); len(list) != 0 || next != "" {
		t.Fatalf("feedback index after purging all: %s", summariesOf(list))
	}
	n, more, err = s.PurgeInteractions(ctx, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 100, herken.WriteOptions{})
	if err != nil || n != 0 || more {
		t.Fatalf("purge of nothing: %d %v %v", n, more, err)
	}
	// New history after a purge is listed and purged like any other.
	mustAppend(t, s, jan.ID, newInteraction(minuteAt(5), "late back-fill"))
	if list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: jan.ID, PageSize: 50}); summariesOf(list) != "late back-fill" {
		t.Fatalf("after purge and append: %s", summariesOf(list))
	}
}

// testPurgeManyBatches purges more interactions than one transaction holds.
func testPurgeManyBatches(t *testing.T, s herken.Store) {
	const old, young = 260, 5
	var cs []herken.Customer
	for i := 0; i < 3; i++ {
		cs = append(cs, mustCreate(t, s, NewCustomer(fmt.Sprint("klant ", i))))
	}
	for i := 0; i < old; i++ {
		in := mustAppend(t, s, cs[i%3].ID, newInteraction(epoch.Add(time.Duration(i)*time.Second), "old"))
		if i%7 == 0 {
			submitFeedback(t, s, in, minuteAt(1000+i))
		}
	}
	for i := 0; i < young; i++ {
		mustAppend(t, s, cs[i%3].ID, newInteraction(minuteAt(600+i), "young"))
	}
	n, more, err := s.PurgeInteractions(ctx, minuteAt(500), 150, herken.WriteOptions{})
	if err != nil || n != 150 || !more {
		t.Fatalf("first purge: %d %v %v, want 150 true", n, more, err)
	}
	n, more, err = s.PurgeInteractions(ctx, minuteAt(500), 1000, herken.WriteOptions{})
	if err != nil || n != old-150 || more {
		t.Fatalf("second purge: %d %v %v, want %d false", n, more, err, old-150)
	}
	left := 0
	for _, c := range cs {
		list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, PageSize: 500})
		for _, in := range list {
			if in.Summary != "young" {
				t.Fatalf("old interaction survived: %+v", in)
			}
		}
		left += len(list)
	}
	if left != young {
		t.Fatalf("%d interactions left, want %d", left, young)
	}
	if list, _ := mustListInteractions(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 500}); len(list) != 0 {
		t.Fatalf("feedback of purged interactions still listed: %d", len(list))
	}
}
