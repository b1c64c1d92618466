package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
)

// listTests cover ListCustomers: its filters, order, pages and indexes.
var listTests = []storeTest{
	{"ListCustomersFilters", testListCustomersFilters},
	{"ListCustomersNameFolding", testListCustomersNameFolding},
	{"ListCustomersLongPrefix", testListCustomersLongPrefix},
	{"ListCustomersPageToken", testListCustomersPageToken},
	{"ListCustomersSkipsMergedAndErased", testListCustomersSkipsMergedAndErased},
	{"ListCustomersFollowsUpdates", testListCustomersFollowsUpdates},
}

// listCustomerPages follows page tokens to the end and returns every
// page's customers in order, failing when a page is larger than the page
// size, or empty with a next page token.
func listCustomerPages(t *testing.T, s herken.Store, q herken.CustomerQuery) []herken.Customer {
	t.Helper()
	all, _ := listCustomerPagesN(t, s, q)
	return all
}

func listCustomerPagesN(t *testing.T, s herken.Store, q herken.CustomerQuery) (all []herken.Customer, pages int) {
	t.Helper()
	for {
		list, next, err := s.ListCustomers(ctx, q)
		if err != nil {
			t.Fatalf("ListCustomers(%+v) page %d: %v", q, pages+1, err)
		}
		pages++
		if len(list) > q.PageSize {
			t.Fatalf("ListCustomers(%+v) page %d has %d customers", q, pages, len(list))
		}
		all = append(all, list...)
		if next == "" {
			return all, pages
		}
		if len(list) == 0 || pages > 1000 {
			t.Fatalf("ListCustomers(%+v) page %d is empty (or endless) but has a next page token", q, pages)
		}
		q.PageToken = next
	}
}

func customerIDs(cs []herken.Customer) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// wantListed is what q lists of live: the customers q.Matches, by update
// time then id when q.ByUpdateTime(), else by id.
func wantListed(live []herken.Customer, q herken.CustomerQuery) []string {
	var out []herken.Customer
	for _, c := range live {
		if q.Matches(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b herken.Customer) int {
		if q.ByUpdateTime() {
			if c := a.UpdateTime.Compare(b.UpdateTime); c != 0 {
				return c
			}
		}
		return strings.Compare(a.ID, b.ID)
	})
	return customerIDs(out)
}

// checkListed lists q at several page sizes and compares with wantListed:
// the same customers in the same order, each as GetCustomer reads it, in
// as many pages as needed and no more.
func checkListed(t *testing.T, s herken.Store, live []herken.Customer, q herken.CustomerQuery) []string {
	t.Helper()
	want := wantListed(live, q)
	records := map[string]string{}
	for _, c := range live {
		records[c.ID] = showCustomer(c, false)
	}
	for _, size := range []int{1, 2, 3, 100} {
		q.PageSize = size
		list, pages := listCustomerPagesN(t, s, q)
		if got := customerIDs(list); !slices.Equal(got, want) {
			t.Fatalf("ListCustomers(%+v) = %v\nwant %v", q, names(live, got), names(live, want))
		}
		if wantPages := max(1, (len(want)+size-1)/size); pages != wantPages {
			t.Fatalf("ListCustomers(%+v): %d pages, want %d (no empty last page)", q, pages, wantPages)
		}
		for _, c := range list {
			if showCustomer(c, false) != records[c.ID] {
				t.Fatalf("ListCustomers(%+v) listed\n%+v\nwant\n%s", q, c, records[c.ID])
			}
		}
	}
	return want
}

// names prints ids with the display names of live, for messages.
func names(live []herken.Customer, ids []string) []string {
	var out []string
	for _, id := range ids {
		i := slices.IndexFunc(live, func(c herken.Customer) bool { return c.ID == id })
		if i < 0 {
			out = append(out, id+"(?)")
			continue
		}
		out = append(out, fmt.Sprintf("%s(%q %v %s)", id, live[i].DisplayName, live[i].Tags, live[i].UpdateTime.Format(time.DateOnly)))
	}
	return out
}

// createListed creates a customer with a name, tags and update time.
func createListed(t *testing.T, s herken.Store, id, name string, tags []string, updated time.Time) herken.Customer {
	t.Helper()
	c := NewCustomer(name)
	if id != "" {
		c.ID = id
	}
	c.Tags, c.UpdateTime = tags, updated
	return mustCreate(t, s, c)
}

func testListCustomersFilters(t *testing.T, s herken.Store) {
	if list, next, err := s.ListCustomers(ctx, herken.CustomerQuery{PageSize: 10}); err != nil || len(list) != 0 || next != "" {
		t.Fatalf("empty store lists %d, %q, %v", len(list), next, err)
	}
	var live []herken.Customer
	for _, c := range []struct {
		id, name string
		tags     []string
		day      int
	}{
		{"", "Jan de Vries", []string{"demo"}, 1},
		{"", "De  Vries", []string{"vip", "demo"}, 2},
		{"", "Yılmaz", []string{"vip"}, 1},
		{"", "Anna Bakker", nil, 3},
		{"a", "de Vries-Bakker", []string{"vip"}, 2},
		{"zzzz", "Şahin", []string{"demo"}, 0},
		{"", "yilmaz", []string{"demo", "vip"}, 4},
		{"", "", []string{"vip"}, 1},
		{"", "Jansen", []string{"vip"}, 1},
		{"", "Jan", []string{"vipper"}, 1},
	} {
		live = append(live, createListed(t, s, c.id, c.name, c.tags, dayAt(c.day)))
	}
	for _, q := range []herken.CustomerQuery{
		{},
		{Tag: "vip"},
		{Tag: "vi"},
		{Tag: "none"},
		{UpdatedSince: dayAt(1)},
		{UpdatedSince: dayAt(2)},
		{UpdatedSince: dayAt(1).Add(time.Nanosecond)},
		{UpdatedSince: dayAt(9)},
		{NamePrefix: "de vries"},
		{NamePrefix: "de"},
		{NamePrefix: "j"},
		{NamePrefix: "jan"},
		{NamePrefix: "jan "},
		{NamePrefix: "vries"},
		{NamePrefix: "zzz"},
		{Tag: "vip", UpdatedSince: dayAt(1)},
		{Tag: "vip", NamePrefix: "de"},
		{Tag: "vip", NamePrefix: "y"},
		{UpdatedSince: dayAt(2), NamePrefix: "de"},
		{Tag: "demo", UpdatedSince: dayAt(1), NamePrefix: "j"},
		{Tag: "vip", UpdatedSince: dayAt(2), NamePrefix: "y"},
	} {
		checkListed(t, s, live, q)
	}
	// A few spelled out, so the model above is not the only judge.
	count := func(q herken.CustomerQuery) int { q.PageSize = 100; return len(listCustomerPages(t, s, q)) }
	for q, want := range map[herken.CustomerQuery]int{
		{}:                                   10,
		{Tag: "vip"}:                         6,
		{NamePrefix: "jan"}:                  3,
		{NamePrefix: "de vries"}:             3, // "Jan de Vries" too: a word's start
		{UpdatedSince: dayAt(2)}:             4,
		{Tag: "vip", UpdatedSince: dayAt(2)}: 3,
	} {
		if got := count(q); got != want {
			t.Errorf("ListCustomers(%+v) listed %d, want %d", q, got, want)
		}
	}
	q := herken.CustomerQuery{UpdatedSince: dayAt(1), PageSize: 100}
	list := listCustomerPages(t, s, q)
	if !slices.IsSortedFunc(list, func(a, b herken.Customer) int {
		return cmp.Or(a.UpdateTime.Compare(b.UpdateTime), strings.Compare(a.ID, b.ID))
	}) || list[len(list)-1].DisplayName != "yilmaz" {
		t.Fatalf("by update time: %v", names(live, customerIDs(list)))
	}
}

// testListCustomersNameFolding: a name prefix finds names whatever their
// case, accents and spacing (the caller folds the query with FoldName), at
// the start of the name or of any word in it.
func testListCustomersNameFolding(t *testing.T, s herken.Store) {
	var live []herken.Customer
	for _, name := range []string{"Yılmaz", "  YILMAZ Kaya", "De  Vries", "de vries-Bakker", "Müller", "Çelik", "Şahin", "Ærøskøbing B.V.", "Ĳsselmeer", "Straße", "Jan"} {
		live = append(live, createListed(t, s, "", name, []string{"demo"}, epoch))
	}
	for query, want := range map[string][]string{
		"yilmaz":      {"Yılmaz", "  YILMAZ Kaya"},
		"kaya":        {"  YILMAZ Kaya"},
		"bv":          nil,
		"b.v":         {"Ærøskøbing B.V."},
		"yilmaz k":    {"  YILMAZ Kaya"},
		"de vries":    {"De  Vries", "de vries-Bakker"},
		"de vries-":   {"de vries-Bakker"},
		"muller":      {"Müller"},
		"celik":       {"Çelik"},
		"sahin":       {"Şahin"},
		"aeroskobing": {"Ærøskøbing B.V."},
		"ijssel":      {"Ĳsselmeer"},
		"strasse":     {"Straße"},
		"vries":       {"De  Vries", "de vries-Bakker"}, // a word's start
		"ries":        nil,
		"vries-b":     {"de vries-Bakker"},
		"bakker":      nil, // '-' does not start a word
		"j":           {"Jan"},
	} {
		q := herken.CustomerQuery{NamePrefix: herken.FoldName(query)}
		got := checkListed(t, s, live, q)
		var gotNames []string
		for _, id := range got {
			gotNames = append(gotNames, live[slices.IndexFunc(live, func(c herken.Customer) bool { return c.ID == id })].DisplayName)
		}
		if !slices.Equal(slices.Sorted(slices.Values(gotNames)), slices.Sorted(slices.Values(want))) {
			t.Errorf("name prefix %q finds %q, want %q", query, gotNames, want)
		}
	}
}

// testListCustomersLongPrefix: names and queries longer than the indexed
// prefix (MaxIndexedPrefixRunes runes, not bytes).
func testListCustomersLongPrefix(t *testing.T, s herken.Store) {
	n := herken.MaxIndexedPrefixRunes
	base := strings.Repeat("ж", n-1) + "k" // n runes, 2n-1 bytes
	var live []herken.Customer
	for _, name := range []string{
		base + "ovalenko",
		base + "aterina",
		base,
		strings.Repeat("ж", n-1),
		strings.Repeat("ж", n-1) + "l",
		strings.Repeat("a", 80) + "x",
		strings.Repeat("a", 80) + "y",
	} {
		live = append(live, createListed(t, s, "", name, []string{"demo"}, epoch))
	}
	for _, tc := range []struct {
		prefix string
		want   int
	}{
		{base + "ova", 1},
		{base + "ovalenko", 1},
		{base + "ovalenkox", 0},
		{base + "o", 1},
		{base, 3},
		{strings.Repeat("ж", n-1), 5},
		{strings.Repeat("ж", n-1) + "l", 1},
		{strings.Repeat("ж", n), 0},
		{strings.Repeat("a", 60), 2},
		{strings.Repeat("a", 80) + "x", 1},
		{strings.Repeat("a", 81), 0},
	} {
		q := herken.CustomerQuery{NamePrefix: tc.prefix}
		if got := checkListed(t, s, live, q); len(got) != tc.want {
			t.Errorf("prefix of %d runes finds %d, want %d", len([]rune(tc.prefix)), len(got), tc.want)
		}
	}
	// Combined with the other filters, still decided past the index.
	q := herken.CustomerQuery{NamePrefix: base + "a", Tag: "demo", UpdatedSince: epoch}
	if got := checkListed(t, s, live, q); len(got) != 1 {
		t.Errorf("combined long prefix finds %d", len(got))
	}
}

func testListCustomersPageToken(t *testing.T, s herken.Store) {
	for i := range 6 {
		createListed(t, s, "", fmt.Sprint("de vries ", i), []string{"vip"}, dayAt(1))
		createListed(t, s, "", fmt.Sprint("jansen ", i), []string{"demo"}, dayAt(2))
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
	for _, base := range []herken.CustomerQuery{
		{PageSize: 2},
		{Tag: "vip", PageSize: 2},
		{UpdatedSince: dayAt(1), PageSize: 2},
		{Tag: "vip", UpdatedSince: dayAt(1), PageSize: 2},
		{NamePrefix: "de vries", PageSize: 2},
		{Tag: "vip", UpdatedSince: dayAt(1), NamePrefix: "de", PageSize: 2},
	} {
		first, token, err := s.ListCustomers(ctx, base)
		if err != nil || token == "" || len(first) != 2 {
			t.Fatalf("%+v: first page %d, %q, %v", base, len(first), token, err)
		}
		bad := []struct {
			name  string
			token string
			edit  func(q *herken.CustomerQuery)
		}{
			{"garbage", "abc", nil},
			{"not base64", "!!!!", nil},
			{"too long", strings.Repeat("A", 5000), nil},
			{"first byte edited", flip(token, 0), nil},
			{"last byte edited", flip(token, len(token)-1), nil},
			{"truncated", token[:len(token)-4], nil},
			{"other tag", token, func(q *herken.CustomerQuery) { q.Tag = "demo" }},
			{"tag toggled", token, func(q *herken.CustomerQuery) {
				if q.Tag == "" {
					q.Tag = "vip"
				} else {
					q.Tag = ""
				}
			}},
			{"other since", token, func(q *herken.CustomerQuery) { q.UpdatedSince = dayAt(2) }},
			{"since toggled", token, func(q *herken.CustomerQuery) {
				if q.UpdatedSince.IsZero() {
					q.UpdatedSince = dayAt(1)
				} else {
					q.UpdatedSince = time.Time{}
				}
			}},
			{"other prefix", token, func(q *herken.CustomerQuery) { q.NamePrefix = "jansen" }},
			{"prefix toggled", token, func(q *herken.CustomerQuery) {
				if q.NamePrefix == "" {
					q.NamePrefix = "de"
				} else {
					q.NamePrefix = ""
				}
			}},
		}
		for _, tc := range bad {
			q := base
			q.PageToken = tc.token
			if tc.edit != nil {
				tc.edit(&q)
			}
			_, _, err := s.ListCustomers(ctx, q)
			if e := wantErr(t, err, herken.ErrPageToken); e.Field != "page_token" {
				t.Errorf("%+v, %s: field %q", base, tc.name, e.Field)
			}
		}
		// The unchanged filters continue, at any page size.
		q := base
		q.PageToken, q.PageSize = token, 100
		rest, next, err := s.ListCustomers(ctx, q)
		if err != nil || next != "" {
			t.Fatalf("%+v: rest %d, %q, %v", base, len(rest), next, err)
		}
		q.PageToken, q.PageSize = "", 100
		whole := listCustomerPages(t, s, q)
		if got := customerIDs(append(first, rest...)); !slices.Equal(got, customerIDs(whole)) {
			t.Fatalf("%+v: paged %v, whole %v", base, got, customerIDs(whole))
		}
	}
	// Tokens of other lists open no list of customers, and the other way
	// round.
	c := createListed(t, s, "", "Jan", nil, epoch)
	for m := range 3 {
		mustAppend(t, s, c.ID, newInteraction(minuteAt(m), "x"))
		mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(time.Duration(m)*time.Hour), ""))
	}
	_, itok := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, PageSize: 1})
	_, ptok, err := s.ListPromises(ctx, herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 1})
	if err != nil || itok == "" || ptok == "" {
		t.Fatalf("tokens %q %q %v", itok, ptok, err)
	}
	for _, tok := range []string{itok, ptok} {
		_, _, err := s.ListCustomers(ctx, herken.CustomerQuery{PageSize: 2, PageToken: tok})
		wantErr(t, err, herken.ErrPageToken)
	}
	_, ctok, _ := s.ListCustomers(ctx, herken.CustomerQuery{PageSize: 2})
	_, _, err = s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: c.ID, PageSize: 1, PageToken: ctok})
	wantErr(t, err, herken.ErrPageToken)
	_, _, err = s.ListPromises(ctx, herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 1, PageToken: ctok})
	wantErr(t, err, herken.ErrPageToken)
}

// testListCustomersSkipsMergedAndErased: merged and erased customers are
// never listed, by any index; a survivor is listed as it is now.
func testListCustomersSkipsMergedAndErased(t *testing.T, s herken.Store) {
	a := createListed(t, s, "", "Anna de Wit", []string{"vip"}, dayAt(1))
	b := createListed(t, s, "", "Bram", []string{"demo"}, dayAt(1))
	c := createListed(t, s, "", "Cor de Wit", []string{"vip"}, dayAt(1))
	d := createListed(t, s, "", "Dirk", []string{"demo"}, dayAt(1))
	e := createListed(t, s, "", "Eva", []string{"eva"}, dayAt(1))
	f := createListed(t, s, "", "Frits", []string{"demo"}, dayAt(1))
	mustMerge(t, s, b.ID, a.ID, dayAt(2))
	mustErase(t, s, c.ID, dayAt(3))
	// The survivor takes the merged customer's name.
	if _, err := s.MergeCustomers(ctx, f.ID, e.ID, planMerge(herken.FieldDisplayName, dayAt(4)), herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	queries := []herken.CustomerQuery{
		{}, {Tag: "vip"}, {Tag: "demo"}, {Tag: "eva"},
		{NamePrefix: "anna"}, {NamePrefix: "cor"}, {NamePrefix: "a"}, {NamePrefix: "c"}, {NamePrefix: "eva"}, {NamePrefix: "frits"}, {NamePrefix: "b"},
		{UpdatedSince: dayAt(1)}, {UpdatedSince: dayAt(2)}, {UpdatedSince: dayAt(4)},
		{Tag: "vip", UpdatedSince: dayAt(1)}, {Tag: "vip", NamePrefix: "b"}, {Tag: "eva", NamePrefix: "eva"},
	}
	check := func(stage string, live []herken.Customer, never ...string) {
		t.Helper()
		for _, q := range queries {
			got := checkListed(t, s, live, q)
			for _, id := range never {
				if slices.Contains(got, id) {
					t.Fatalf("%s: %+v lists %s", stage, q, id)
				}
			}
		}
	}
	check("after merges and erase", []herken.Customer{mustGet(t, s, b.ID), mustGet(t, s, d.ID), mustGet(t, s, f.ID)}, a.ID, c.ID, e.ID)
	if got := customerIDs(listCustomerPages(t, s, herken.CustomerQuery{NamePrefix: "eva", PageSize: 10})); !slices.Equal(got, []string{f.ID}) {
		t.Fatalf("the survivor under its new name: %v", got)
	}
	// Unmerged, each is listed as before again.
	mustUnmerge(t, s, a.ID, dayAt(5))
	mustUnmerge(t, s, e.ID, dayAt(5))
	live := []herken.Customer{mustGet(t, s, a.ID), mustGet(t, s, b.ID), mustGet(t, s, d.ID), mustGet(t, s, e.ID), mustGet(t, s, f.ID)}
	check("after unmerges", live, c.ID)
	if got := customerIDs(listCustomerPages(t, s, herken.CustomerQuery{NamePrefix: "frits", PageSize: 10})); !slices.Equal(got, []string{f.ID}) {
		t.Fatalf("the survivor under its old name: %v", got)
	}
}

// testListCustomersFollowsUpdates: every index follows UpdateCustomer.
func testListCustomersFollowsUpdates(t *testing.T, s herken.Store) {
	jan := createListed(t, s, "", "Jan de Vries", []string{"demo", "nieuw"}, epoch)
	piet := createListed(t, s, "", "Piet", []string{"demo"}, dayAt(1))
	mustUpdate(t, s, jan.ID, func(c *herken.Customer) {
		c.DisplayName, c.Tags = "Yılmaz", []string{"vip", "nieuw"}
		bump(c, dayAt(2))
	})
	live := []herken.Customer{mustGet(t, s, jan.ID), mustGet(t, s, piet.ID)}
	queries := []herken.CustomerQuery{
		{}, {Tag: "demo"}, {Tag: "vip"}, {Tag: "nieuw"},
		{UpdatedSince: epoch}, {UpdatedSince: dayAt(1)}, {UpdatedSince: dayAt(2)},
		{NamePrefix: "yilmaz"}, {NamePrefix: "y"}, {Tag: "vip", UpdatedSince: dayAt(2), NamePrefix: "yil"},
	}
	// Every prefix of the old name is gone from the name index.
	for _, p := range herken.NamePrefixes("Jan de Vries") {
		queries = append(queries, herken.CustomerQuery{NamePrefix: p})
	}
	for _, q := range queries {
		checkListed(t, s, live, q)
	}
	if got := customerIDs(listCustomerPages(t, s, herken.CustomerQuery{UpdatedSince: epoch, PageSize: 10})); !slices.Equal(got, []string{piet.ID, jan.ID}) {
		t.Fatalf("by update time after the update: %v, want Piet then Jan", got)
	}
	if got := listCustomerPages(t, s, herken.CustomerQuery{NamePrefix: "jan", PageSize: 10}); len(got) != 0 {
		t.Fatalf("old name still listed: %v", customerIDs(got))
	}
	// Twice more, the same update time: ties by id.
	mustUpdate(t, s, piet.ID, func(c *herken.Customer) { c.Tags = []string{"vip"}; bump(c, dayAt(2)) })
	live = []herken.Customer{mustGet(t, s, jan.ID), mustGet(t, s, piet.ID)}
	for _, q := range queries {
		checkListed(t, s, live, q)
	}
}
