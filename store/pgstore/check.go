package pgstore

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/herken/herken"
)

// Report is what Check found: row counts per table and every broken
// invariant. Problems name ids and tables, never personal data (an
// identifier is named by its kind, not its value).
type Report struct {
	Counts        map[string]int64 `json:"counts"`
	Problems      []string         `json:"problems"`
	ProblemCounts map[string]int   `json:"problem_counts"`
	Omitted       int              `json:"problems_omitted,omitempty"`
}

// maxProblems is how many problems a Report lists (all are counted).
const maxProblems = 100

// OK reports whether the check found nothing wrong.
func (r Report) OK() bool { return r.Total() == 0 }

// Total is the number of problems found, listed or not.
func (r Report) Total() int { return len(r.Problems) + r.Omitted }

func (r *Report) add(kind, format string, args ...any) {
	r.ProblemCounts[kind]++
	if len(r.Problems) >= maxProblems {
		r.Omitted++
		return
	}
	r.Problems = append(r.Problems, kind+": "+fmt.Sprintf(format, args...))
}

// WriteText prints the report for people.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(r.Counts)) {
		fmt.Fprintf(&b, "  %-24s %d\n", k, r.Counts[k])
	}
	if r.OK() {
		b.WriteString("no problems\n")
	} else {
		fmt.Fprintf(&b, "%d problems:\n", r.Total())
		kinds := slices.Sorted(maps.Keys(r.ProblemCounts))
		for _, k := range kinds {
			fmt.Fprintf(&b, "  %-32s %d\n", k, r.ProblemCounts[k])
		}
		for _, p := range r.Problems {
			b.WriteString("  " + p + "\n")
		}
		if r.Omitted > 0 {
			fmt.Fprintf(&b, "  ... and %d more (counted above, not listed)\n", r.Omitted)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Check verifies, in one snapshot, every invariant the store's queries
// rely on: the identifier index against the customers' identifiers, the
// tag and name indexes and the columns beside each record against the
// record, history and promises against live customers, names, merge
// records, the erasure journal and idempotency keys against each other.
// It reads every table once; it may run on a live database. The error is
// for a check that could not run, not for problems found.
func (s *Store) Check(ctx context.Context) (Report, error) {
	rep := Report{Counts: map[string]int64{}, ProblemCounts: map[string]int{}, Problems: []string{}}
	err := s.read(ctx, func(t *tx) error {
		c := &checker{t: t, rep: &rep, customers: map[string]herken.Customer{}, names: map[string]*string{}}
		for _, step := range []func() error{c.readCustomers, c.readNames, c.checkHolders, c.checkTags, c.checkNameIndex,
			c.checkInteractions, c.checkPromises, c.checkMerges, c.checkErasures, c.checkRequests, c.countAudit} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	return rep, nil
}

type checker struct {
	t         *tx
	rep       *Report
	customers map[string]herken.Customer
	names     map[string]*string         // merged (survivor) or erased (nil)
	links     map[string]map[string]bool // identKey -> customers listing it
}

// each runs fn on every row of sql, counting them under table.
func (c *checker) each(table, sql string, dest []any, fn func() error) error {
	rows, err := c.t.Query(c.t.ctx, sql)
	if err != nil {
		return err
	}
	tag, err := pgx.ForEachRow(rows, dest, fn)
	c.rep.Counts[table] += tag.RowsAffected()
	return err
}

func (c *checker) readCustomers() error {
	var id string
	var upd int64
	var data []byte
	c.links = map[string]map[string]bool{}
	return c.each("customers", `SELECT id, update_ns, data FROM customers`, []any{&id, &upd, &data}, func() error {
		cu, err := decode[herken.Customer](data)
		if err != nil {
			c.rep.add("customer-undecodable", "customer %s", id)
			return nil
		}
		if cu.ID != id || ns(cu.UpdateTime) != upd {
			c.rep.add("customer-columns", "customer %s: id or update_ns disagrees with its record", id)
		}
		c.customers[id] = cu
		for _, l := range cu.Identifiers {
			k := identKey(l.Identifier)
			if c.links[k] == nil {
				c.links[k] = map[string]bool{}
			}
			c.links[k][id] = true
		}
		return nil
	})
}

func (c *checker) readNames() error {
	var id string
	var survivor *string
	var erased bool
	return c.each("names", `SELECT id, survivor, erased FROM names`, []any{&id, &survivor, &erased}, func() error {
		if _, live := c.customers[id]; live {
			c.rep.add("name-live", "customer %s is live and also merged or erased", id)
		}
		if survivor != nil {
			s := *survivor
			if _, live := c.customers[s]; !live {
				c.rep.add("name-survivor", "merged name %s points at %s, which is not live", id, s)
			}
			c.names[id] = &s
		} else {
			c.names[id] = nil
		}
		return nil
	})
}

func (c *checker) checkHolders() error {
	var k string
	var hs []string
	seen := map[string]bool{}
	err := c.each("holders", `SELECT ident, holders FROM holders`, []any{&k, &hs}, func() error {
		id, ok := parseIdentKey(k)
		kind := "unknown"
		if ok {
			kind = id.Kind.String()
		}
		seen[k] = true
		switch {
		case len(hs) == 0:
			c.rep.add("holders-empty", "a %s identifier has an index row with no holder", kind)
		case len(hs) > herken.MaxHoldersPerIdentity:
			c.rep.add("holders-share-limit", "a %s identifier has %d holders", kind, len(hs))
		case ok && !id.Shareable() && len(hs) > 1:
			c.rep.add("holders-exclusive", "an exclusive %s identifier has %d holders", kind, len(hs))
		}
		if len(slices.Compact(slices.Sorted(slices.Values(hs)))) != len(hs) {
			c.rep.add("holders-duplicate", "a %s identifier lists a holder twice", kind)
		}
		for _, h := range hs {
			if !c.links[k][h] {
				c.rep.add("holders-stale", "a %s identifier's index names %s, which does not list it (or is not live)", kind, h)
			}
		}
		for h := range c.links[k] {
			if !slices.Contains(hs, h) {
				c.rep.add("holders-missing", "customer %s lists a %s identifier the index does not give it", h, kind)
			}
		}
		return nil
	})
	for k, cs := range c.links {
		if !seen[k] {
			id, _ := parseIdentKey(k)
			for h := range cs {
				c.rep.add("holders-missing", "customer %s lists a %s identifier that has no index row", h, id.Kind.String())
			}
		}
	}
	return err
}

// checkSet compares an index's rows per customer with what the records say.
func (c *checker) checkSet(kind string, got map[string][]string, want func(cu herken.Customer) []string) {
	for id, cu := range c.customers {
		w := slices.Compact(slices.Sorted(slices.Values(want(cu))))
		g := slices.Sorted(slices.Values(got[id]))
		if !slices.Equal(w, g) {
			c.rep.add(kind, "customer %s: %d index rows, its record calls for %d", id, len(g), len(w))
		}
	}
	for id := range got {
		if _, ok := c.customers[id]; !ok {
			c.rep.add(kind, "index rows name %s, which is not live", id)
		}
	}
}

func (c *checker) checkTags() error {
	got := map[string][]string{}
	var tag, id string
	var upd int64
	err := c.each("customer_tags", `SELECT tag, customer_id, update_ns FROM customer_tags`, []any{&tag, &id, &upd}, func() error {
		got[id] = append(got[id], tag)
		if cu, ok := c.customers[id]; ok && ns(cu.UpdateTime) != upd {
			c.rep.add("tag-index-time", "customer %s: a tag row's update_ns disagrees with its record", id)
		}
		return nil
	})
	c.checkSet("tag-index", got, func(cu herken.Customer) []string { return cu.Tags })
	return err
}

func (c *checker) checkNameIndex() error {
	got := map[string][]string{}
	var prefix, id string
	err := c.each("customer_names", `SELECT prefix, customer_id FROM customer_names`, []any{&prefix, &id}, func() error {
		got[id] = append(got[id], prefix)
		return nil
	})
	c.checkSet("name-index", got, func(cu herken.Customer) []string { return herken.NamePrefixes(cu.DisplayName) })
	return err
}

func (c *checker) checkInteractions() error {
	var cid, id string
	var occur int64
	var contact bool
	var fb *int64
	var data []byte
	return c.each("interactions", `SELECT customer_id, id, occur_ns, contact, feedback_ns, data FROM interactions`,
		[]any{&cid, &id, &occur, &contact, &fb, &data}, func() error {
			if _, ok := c.customers[cid]; !ok {
				c.rep.add("interaction-orphan", "interaction %s of %s, which is not live", id, cid)
			}
			in, err := decode[herken.Interaction](data)
			if err != nil {
				c.rep.add("interaction-undecodable", "interaction %s of %s", id, cid)
				return nil
			}
			want := feedbackNS(in)
			if in.ID != id || in.CustomerID != cid || ns(in.OccurTime) != occur || in.Channel.IsContact() != contact ||
				(want == nil) != (fb == nil) || want != nil && *want != *fb {
				c.rep.add("interaction-columns", "interaction %s of %s: columns disagree with its record", id, cid)
			}
			return nil
		})
}

func (c *checker) checkPromises() error {
	var cid, id, owner string
	var due int64
	var open bool
	var data []byte
	return c.each("promises", `SELECT customer_id, id, due_ns, open, owner, data FROM promises`,
		[]any{&cid, &id, &due, &open, &owner, &data}, func() error {
			if _, ok := c.customers[cid]; !ok {
				c.rep.add("promise-orphan", "promise %s of %s, which is not live", id, cid)
			}
			p, err := decode[herken.Promise](data)
			if err != nil {
				c.rep.add("promise-undecodable", "promise %s of %s", id, cid)
				return nil
			}
			if p.ID != id || p.CustomerID != cid || ns(p.DueTime) != due || (p.State == herken.PromiseOpen) != open || p.Owner != owner {
				c.rep.add("promise-columns", "promise %s of %s: columns disagree with its record", id, cid)
			}
			return nil
		})
}

func (c *checker) checkMerges() error {
	var merged, survivor string
	var data []byte
	return c.each("merge_records", `SELECT merged_id, survivor_id, data FROM merge_records`, []any{&merged, &survivor, &data}, func() error {
		if to, ok := c.names[merged]; !ok || to == nil {
			c.rep.add("merge-record-name", "merge record of %s, which is not a merged name", merged)
		}
		if _, live := c.customers[survivor]; !live {
			if to, ok := c.names[survivor]; !ok || to == nil {
				c.rep.add("merge-record-survivor", "merge record of %s names survivor %s, neither live nor merged", merged, survivor)
			}
		}
		rec, err := decode[herken.MergeRecord](data)
		if err != nil || rec.Merged.ID != merged || rec.SurvivorID != survivor {
			c.rep.add("merge-record-columns", "merge record of %s: columns disagree with its record", merged)
		}
		return nil
	})
}

func (c *checker) checkErasures() error {
	var id string
	return c.each("erasures", `SELECT customer_id FROM erasures`, []any{&id}, func() error {
		if to, ok := c.names[id]; !ok || to != nil {
			c.rep.add("erasure-tombstone", "journal entry for %s, which is not erased", id)
		}
		return nil
	})
}

func (c *checker) checkRequests() error {
	var cid string
	return c.each("requests", `SELECT customer_id FROM requests`, []any{&cid}, func() error {
		if to, ok := c.names[cid]; ok && to == nil {
			c.rep.add("request-erased", "an idempotency key names %s, which was erased", cid)
		}
		return nil
	})
}

func (c *checker) countAudit() error {
	var n int64
	err := c.t.QueryRow(c.t.ctx, `SELECT count(*) FROM audit`).Scan(&n)
	c.rep.Counts["audit"] = n
	return err
}
