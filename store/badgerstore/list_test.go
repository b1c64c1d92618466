package badgerstore

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/store/storetest"
)

// TestListCustomersReadsOnlyItsIndex: every filter is served from its
// index. A customer record that does not decode, and matches no filter,
// is never read by a filtered list (it would fail with INTERNAL); only the
// unfiltered list, which is every customer, reads it.
func TestListCustomersReadsOnlyItsIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	a := storetest.NewCustomer("Yılmaz")
	a.Tags, a.UpdateTime = []string{"vip"}, at.Add(2*time.Hour)
	b := storetest.NewCustomer("Jansen")
	b.Tags, b.UpdateTime = []string{"demo"}, at
	for _, c := range []herken.Customer{a, b} {
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.testUpdate(func(txn *tx) error { return txn.Set(customerKey(b.ID), []byte{0xff, 0xff}) }); err != nil {
		t.Fatal(err)
	}
	for _, q := range []herken.CustomerQuery{
		{NamePrefix: "yilmaz"}, {NamePrefix: "y"}, {Tag: "vip"}, {UpdatedSince: at.Add(time.Hour)},
		{Tag: "vip", UpdatedSince: at.Add(time.Hour)}, {NamePrefix: "yil", Tag: "vip", UpdatedSince: at},
	} {
		got, next, err := s.ListCustomers(ctx, q)
		if err != nil || next != "" || len(got) != 1 || got[0].ID != a.ID {
			t.Fatalf("ListCustomers(%+v) = %v %q %v, want only %s", q, got, next, err, a.ID)
		}
	}
	if _, _, err := s.ListCustomers(ctx, herken.CustomerQuery{}); err == nil {
		t.Fatal("the unfiltered list did not read the broken record")
	}
}

// TestListCustomersByTagAndTime: a tag with updated-since lists by update
// time (w/), paging through customers that share an update time by id.
func TestListCustomersByTagAndTime(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	var want []herken.Customer
	// vip at 6, 6, 5, 3 minutes (and one at 0, before updated-since);
	// demo customers between them.
	for i, m := range []int{6, 6, 5, 3, 0, 6, 4} {
		c := storetest.NewCustomer("klant")
		c.Tags, c.UpdateTime = []string{"vip"}, at.Add(time.Duration(m)*time.Minute)
		if i >= 5 {
			c.Tags = []string{"demo"}
		}
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if i < 4 {
			want = append(want, c)
		}
	}
	slices.SortFunc(want, func(x, y herken.Customer) int {
		if c := x.UpdateTime.Compare(y.UpdateTime); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	q := herken.CustomerQuery{Tag: "vip", UpdatedSince: at.Add(time.Minute), PageSize: 2}
	var got []herken.Customer
	for {
		page, next, err := s.ListCustomers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		q.PageToken = next
	}
	if len(got) != len(want) {
		t.Fatalf("got %d customers, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("order: %d is %s, want %s", i, got[i].ID, want[i].ID)
		}
	}
}

// TestCheckLifecycleReportHasNoPersonalData: problems in the tag, name and
// request indexes are reported without the tag, the name (or its hex) or
// the request id.
func TestCheckLifecycleReportHasNoPersonalData(t *testing.T) {
	f := newLifeFixture(t)
	f.update(t, func(txn *tx) error {
		for _, k := range [][]byte{
			tagKey("schuldhulp", f.anna.ID), tagTimeKey("schuldhulp", checkEpoch, f.anna.ID),
			txn.s.namePrefixKey("jansen", f.anna.ID), requestIndexKey(f.anna.ID, "call-31612345678"),
		} {
			if err := txn.Set(k, nil); err != nil {
				return err
			}
		}
		return editCustomer(txn, f.anna.ID, func(c *customerRec) { c.DisplayName = "Jansen" })
	})
	rep := mustCheck(t, f.s)
	if rep.OK() {
		t.Fatal("no problems found")
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{reportText(t, rep), string(js)} {
		for _, pii := range []string{"schuldhulp", "jansen", "Jansen", "6a616e73656e", "616e6e61", "call-", "31612345678"} {
			if strings.Contains(out, pii) {
				t.Fatalf("report contains %q:\n%s", pii, out)
			}
		}
	}
	for _, want := range []string{"a/<tag>/" + f.anna.ID, "s/<name>/" + f.anna.ID, "y/" + f.anna.ID + "/<redacted>"} {
		if !strings.Contains(reportText(t, rep), want) {
			t.Fatalf("report lacks %q:\n%s", want, reportText(t, rep))
		}
	}
}
