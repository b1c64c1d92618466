package badgerstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/store/storetest"
)

var (
	bramPhone = storetest.Phone("+31622222222")
	bramEmail = storetest.Email("bram@example.nl")
	corPhone  = storetest.Phone("+31633333333")
	elsPhone  = storetest.Phone("+31644444444")
	doraEmail = storetest.Email("dora@example.nl")
)

// lifeFixture is the check fixture after a customer's life went on: Cor
// merged into Bram, Bram into Jan (a chain whose pointers are flat), and
// Els, with Dora merged into her, erased — through the public methods.
type lifeFixture struct {
	*checkFixture
	bram, cor, els, dora herken.Customer
	bramCall, elsCall    herken.Interaction
	elsPromise           herken.Promise
}

func newLifeFixture(t *testing.T) *lifeFixture {
	t.Helper()
	ctx := context.Background()
	f := &lifeFixture{checkFixture: newCheckFixture(t)}
	s := f.s
	idem := func(key string) herken.WriteOptions {
		return herken.WriteOptions{Idempotency: herken.Idempotency{Key: key, Fingerprint: []byte(key), TTL: time.Hour}, Actor: "agent-042"}
	}
	create := func(name, key string, c herken.Customer) herken.Customer {
		c.DisplayName = name
		got, err := s.CreateCustomer(ctx, c, idem(key))
		if err != nil {
			t.Fatalf("CreateCustomer %s: %v", name, err)
		}
		return got
	}
	record := func(cid string, at time.Time, key string) herken.Interaction {
		in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved,
			OccurTime: at, Agent: "agent-042", Summary: "belt over de verhuizing", CreateTime: at}
		got, err := s.AppendInteraction(ctx, herken.Target{CustomerID: cid}, in, idem(key))
		if err != nil {
			t.Fatalf("AppendInteraction: %v", err)
		}
		return got
	}
	promise := func(cid string, due time.Time, key string) herken.Promise {
		got, err := s.CreatePromise(ctx, herken.Target{CustomerID: cid}, storetest.NewPromise(herken.PromiseCallback, due, "team-verhuizing"), idem(key))
		if err != nil {
			t.Fatalf("CreatePromise: %v", err)
		}
		return got
	}
	merge := func(survivor, merged string, at time.Time) {
		if _, err := s.MergeCustomers(ctx, survivor, merged, func(sv, mg herken.Customer) (herken.Customer, herken.Interaction, error) {
			return herken.PlanMerge(sv, mg, 0, at)
		}, idem("")); err != nil {
			t.Fatalf("MergeCustomers: %v", err)
		}
	}
	f.bram = create("Bram", "req-bram", storetest.NewCustomer("", bramPhone, bramEmail))
	f.bramCall = record(f.bram.ID, checkEpoch.Add(-50*time.Minute), "req-bram-call")
	promise(f.bram.ID, checkEpoch.Add(7*time.Hour), "")
	f.cor = create("Cor", "", storetest.NewCustomer("", corPhone))
	record(f.cor.ID, checkEpoch.Add(-40*time.Minute), "")
	merge(f.bram.ID, f.cor.ID, checkEpoch.Add(time.Hour))
	merge(f.jan.ID, f.bram.ID, checkEpoch.Add(2*time.Hour))

	f.els = create("Els", "req-els", storetest.NewCustomer("", elsPhone, landline))
	f.elsCall = record(f.els.ID, checkEpoch.Add(-20*time.Minute), "req-els-call")
	if _, err := s.UpdateInteraction(ctx, f.els.ID, f.elsCall.ID, func(in *herken.Interaction) error {
		in.Feedback = &herken.Feedback{Score: 1, Comment: "niemand belde terug", SubmitTime: checkEpoch}
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.elsPromise = promise(f.els.ID, checkEpoch.Add(8*time.Hour), "req-els-promise")
	f.dora = create("Dora", "", storetest.NewCustomer("", doraEmail))
	record(f.dora.ID, checkEpoch.Add(-10*time.Minute), "")
	merge(f.els.ID, f.dora.ID, checkEpoch.Add(3*time.Hour))
	ids, err := s.EraseCustomer(ctx, f.els.ID, checkEpoch.Add(4*time.Hour), herken.WriteOptions{})
	if err != nil || !slices.Equal(ids, []string{f.els.ID, f.dora.ID}) {
		t.Fatalf("EraseCustomer = %v, %v", ids, err)
	}
	if f.jan, err = s.GetCustomer(ctx, f.jan.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// editMerge rewrites a merge record.
func editMerge(txn *tx, id string, fn func(m *mergeRec)) error {
	m, err := getMerge(txn, id)
	if err != nil {
		return err
	}
	fn(&m)
	return putMerge(txn, id, m)
}

func TestCheckLifecycleClean(t *testing.T) {
	f := newLifeFixture(t)
	rep := mustCheck(t, f.s)
	if !rep.OK() {
		t.Fatalf("problems after merges and an erasure:\n%s", reportText(t, rep))
	}
	c := rep.Counts
	if c.MergeRecords != 2 || c.MergeTargets != 2 || c.Erased != 2 || c.ErasureJournal != 2 || c.Customers != 4 {
		t.Fatalf("counts %+v", c)
	}
	for _, id := range []string{f.bram.ID, f.cor.ID} {
		if got, err := f.s.Resolve(context.Background(), id); err != nil || got != f.jan.ID {
			t.Fatalf("Resolve(%s) = %s, %v", id, got, err)
		}
	}
	if i := f.jan.IdentifierIndex(corPhone); i < 0 || f.jan.Identifiers[i].MergedFrom != f.bram.ID {
		t.Fatalf("Jan's identifiers %+v", f.jan.Identifiers)
	}
}

// TestCheckLifecycleCorruption breaks each lifecycle invariant on its own
// and expects exactly the problems that name it.
func TestCheckLifecycleCorruption(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(f *lifeFixture, txn *tx) error
		want    []string
	}{
		{"target is a merged name (a chain)", func(f *lifeFixture, txn *tx) error {
			if err := editMerge(txn, f.cor.ID, func(m *mergeRec) { m.target = f.bram.ID }); err != nil {
				return err
			}
			if err := txn.Delete(targetKey(f.jan.ID, f.cor.ID)); err != nil {
				return err
			}
			return txn.Set(targetKey(f.bram.ID, f.cor.ID), nil)
		}, []string{ProblemMergeTargetNotLive, ProblemMergeChainBroken}},
		{"target is another live customer", func(f *lifeFixture, txn *tx) error {
			if err := editMerge(txn, f.cor.ID, func(m *mergeRec) { m.target = f.anna.ID }); err != nil {
				return err
			}
			if err := txn.Delete(targetKey(f.jan.ID, f.cor.ID)); err != nil {
				return err
			}
			return txn.Set(targetKey(f.anna.ID, f.cor.ID), nil)
		}, []string{ProblemMergeChainBroken}},
		{"target erased", func(f *lifeFixture, txn *tx) error {
			if err := editMerge(txn, f.cor.ID, func(m *mergeRec) { m.target = f.els.ID }); err != nil {
				return err
			}
			if err := txn.Delete(targetKey(f.jan.ID, f.cor.ID)); err != nil {
				return err
			}
			return txn.Set(targetKey(f.els.ID, f.cor.ID), nil)
		}, []string{ProblemMergeTargetNotLive, ProblemMergeChainBroken}},
		{"survivor links form a cycle", func(f *lifeFixture, txn *tx) error {
			return editMerge(txn, f.bram.ID, func(m *mergeRec) { m.SurvivorID = f.cor.ID })
		}, []string{ProblemMergeChainBroken, ProblemMergeChainBroken,
			// Jan's identifiers that came with Bram name a merge into another now.
			ProblemMergedFromMismatch, ProblemMergedFromMismatch, ProblemMergedFromMismatch}},
		// (A link to a customer that never existed cannot be written any
		// more: the survivor's part of the record is sealed under its key.)
		{"survivor link to another live customer", func(f *lifeFixture, txn *tx) error {
			return editMerge(txn, f.cor.ID, func(m *mergeRec) { m.SurvivorID = f.anna.ID })
		}, []string{ProblemMergeChainBroken}},
		{"merged name has a customer record", func(f *lifeFixture, txn *tx) error {
			c := herken.Customer{ID: f.bram.ID, DisplayName: "Bram", CreateTime: checkEpoch, UpdateTime: checkEpoch}
			if err := putCustomer(txn, customerRec{Customer: c}); err != nil {
				return err
			}
			return reindexCustomer(txn, nil, &c)
		}, []string{ProblemMergedLive}},
		{"target entry deleted", func(f *lifeFixture, txn *tx) error {
			return txn.Delete(targetKey(f.jan.ID, f.cor.ID))
		}, []string{ProblemTargetIndexMismatch}},
		{"stray target entry", func(f *lifeFixture, txn *tx) error {
			return txn.Set(targetKey(f.anna.ID, f.cor.ID), nil)
		}, []string{ProblemTargetIndexMismatch}},
		{"undecodable merge record", func(f *lifeFixture, txn *tx) error {
			return txn.Set(mergeKey(f.bram.ID), []byte{0xff, 0xff, 0x01})
		}, []string{ProblemUndecodableRecord}},
		{"merge record under another name", func(f *lifeFixture, txn *tx) error {
			return editMerge(txn, f.cor.ID, func(m *mergeRec) { m.Merged.ID = f.bram.ID })
		}, []string{ProblemRecordKeyMismatch}},
		{"merged_from names no merge", func(f *lifeFixture, txn *tx) error {
			return editCustomer(txn, f.jan.ID, func(c *customerRec) {
				c.Identifiers[c.IdentifierIndex(bramEmail)].MergedFrom = herken.NewID()
			})
		}, []string{ProblemMergedFromMismatch}},
		{"merged_from names a live customer", func(f *lifeFixture, txn *tx) error {
			return editCustomer(txn, f.jan.ID, func(c *customerRec) { c.Identifiers[0].MergedFrom = f.anna.ID })
		}, []string{ProblemMergedFromMismatch}},
		{"erased customer has a record", func(f *lifeFixture, txn *tx) error {
			c := herken.Customer{ID: f.els.ID, CreateTime: checkEpoch, UpdateTime: checkEpoch}
			if err := sealAsNew(txn, f.els.ID); err != nil {
				return err
			}
			if err := putCustomer(txn, customerRec{Customer: c}); err != nil {
				return err
			}
			return reindexCustomer(txn, nil, &c) // u/ only
		}, []string{ProblemErasedRemains, ProblemErasedRemains}},
		{"erased customer's interaction left", func(f *lifeFixture, txn *tx) error {
			if err := sealAsNew(txn, f.els.ID); err != nil {
				return err
			}
			return putInteraction(txn, nil, herken.Interaction{ID: herken.NewID(), CustomerID: f.els.ID, Channel: herken.ChannelPhone,
				OccurTime: checkEpoch, Summary: "niet gewist"})
		}, []string{ProblemErasedRemains, ProblemErasedRemains, ProblemErasedRemains}}, // h/ j/ t/
		{"erased customer's promise left", func(f *lifeFixture, txn *tx) error {
			if err := sealAsNew(txn, f.els.ID); err != nil {
				return err
			}
			return putPromiseRecord(txn, f.elsPromise) // its index entries missing are no problem of their own
		}, []string{ProblemErasedRemains, ProblemErasedRemains}}, // p/ q/
		{"erased customer's due entry left", func(f *lifeFixture, txn *tx) error {
			return txn.Set(dueKey(f.elsPromise), nil) // d/ sorts before e/
		}, []string{ProblemErasedRemains}},
		{"erased customer still holds an identifier", func(f *lifeFixture, txn *tx) error {
			return putHolders(txn, landline, []string{f.anna.ID, f.pieter.ID, f.els.ID})
		}, []string{ProblemErasedRemains}},
		{"request record of an erased customer", func(f *lifeFixture, txn *tx) error {
			return putRequest(txn, herken.Idempotency{Key: "req-els", Fingerprint: []byte("x"), TTL: time.Hour}, f.els.ID)
		}, []string{ProblemErasedRemains, ProblemErasedRemains}}, // r/ y/
		{"tag entry of an erased customer", func(f *lifeFixture, txn *tx) error {
			return txn.Set(tagKey("demo", f.els.ID), nil) // a/ sorts before e/
		}, []string{ProblemErasedRemains}},
		{"merge target entry of an erased customer", func(f *lifeFixture, txn *tx) error {
			return txn.Set(targetKey(f.els.ID, f.dora.ID), nil)
		}, []string{ProblemErasedRemains}},
		{"merge record of an erased customer", func(f *lifeFixture, txn *tx) error {
			b, err := getMergeBytes(txn, f.cor.ID)
			if err != nil {
				return err
			}
			// A copy of Cor's record under Dora's name: merged into Bram,
			// pointing at Jan, indexed — but Dora was erased.
			m, err := decodeMergeRecord(txn, f.cor.ID, mergeKey(f.cor.ID), b)
			if err != nil {
				return err
			}
			m.Merged.ID = f.dora.ID
			if err := sealAsNew(txn, f.dora.ID); err != nil {
				return err
			}
			if err := putMerge(txn, f.dora.ID, m); err != nil {
				return err
			}
			return txn.Set(targetKey(f.jan.ID, f.dora.ID), nil)
		}, []string{ProblemErasedRemains}},
		{"journal entry deleted", func(f *lifeFixture, txn *tx) error {
			return txn.Delete(journalKey(checkEpoch.Add(4*time.Hour), f.dora.ID))
		}, []string{ProblemJournalMismatch}},
		{"journal names a customer not erased", func(f *lifeFixture, txn *tx) error {
			return txn.Set(journalKey(checkEpoch, f.anna.ID), nil)
		}, []string{ProblemJournalMismatch}},
		{"tag entry deleted", func(f *lifeFixture, txn *tx) error {
			return txn.Delete(tagKey("demo", f.anna.ID))
		}, []string{ProblemTagIndexMismatch}},
		{"stray tag-by-time entry", func(f *lifeFixture, txn *tx) error {
			return txn.Set(tagTimeKey("vip", checkEpoch, f.anna.ID), nil)
		}, []string{ProblemTagIndexMismatch}},
		{"update entry at the wrong time", func(f *lifeFixture, txn *tx) error {
			if err := txn.Delete(updateKey(f.anna.UpdateTime, f.anna.ID)); err != nil {
				return err
			}
			return txn.Set(updateKey(f.anna.UpdateTime.Add(time.Second), f.anna.ID), nil)
		}, []string{ProblemUpdateIndexMismatch, ProblemUpdateIndexMismatch}},
		{"name entry deleted", func(f *lifeFixture, txn *tx) error {
			return txn.Delete(txn.s.namePrefixKey("an", f.anna.ID))
		}, []string{ProblemNameIndexMismatch}},
		{"name entry of another name", func(f *lifeFixture, txn *tx) error {
			return txn.Set(txn.s.namePrefixKey("ja", f.anna.ID), nil)
		}, []string{ProblemNameIndexMismatch}},
		{"name entry of a missing customer", func(f *lifeFixture, txn *tx) error {
			return txn.Set(txn.s.namePrefixKey("ja", herken.NewID()), nil)
		}, []string{ProblemNameIndexMismatch}},
		{"display name changed without its index", func(f *lifeFixture, txn *tx) error {
			return editCustomer(txn, f.anna.ID, func(c *customerRec) { c.DisplayName = "Ans" })
		}, []string{ProblemNameIndexMismatch, ProblemNameIndexMismatch, ProblemNameIndexMismatch}}, // ans missing; ann, anna stray
		{"request entry deleted", func(f *lifeFixture, txn *tx) error {
			return txn.Delete(requestIndexKey(f.jan.ID, "req-jan"))
		}, []string{ProblemRequestIndexMismatch}},
		{"request entry under another customer", func(f *lifeFixture, txn *tx) error {
			return txn.Set(requestIndexKey(f.anna.ID, "req-jan"), nil)
		}, []string{ProblemRequestIndexMismatch}},
		{"malformed name entry", func(f *lifeFixture, txn *tx) error {
			return txn.Set([]byte(prefixName+"Anna/"+f.anna.ID), nil)
		}, []string{ProblemMalformedKey}},
		{"malformed erased key", func(f *lifeFixture, txn *tx) error {
			return txn.Set([]byte(prefixErased+"anna@example.nl"), nil)
		}, []string{ProblemMalformedKey}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newLifeFixture(t)
			f.update(t, func(txn *tx) error { return tc.corrupt(f, txn) })
			rep := mustCheck(t, f.s)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if got := kindsOf(rep); !slices.Equal(got, want) {
				t.Fatalf("problems %v, want %v\n%s", got, want, reportText(t, rep))
			}
		})
	}
}

func getMergeBytes(txn *tx, id string) ([]byte, error) {
	item, err := txn.Get(mergeKey(id))
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// TestCheckRequestOfMergedCustomer: request records naming a merged name
// (its create, an interaction recorded on it) are not orphans: what they
// made moved to the survivor, where a retry finds it.
func TestCheckRequestOfMergedCustomer(t *testing.T) {
	f := newLifeFixture(t)
	ctx := context.Background()
	rep := mustCheck(t, f.s)
	if !rep.OK() || rep.Counts.Requests != rep.Counts.RequestIndex {
		t.Fatalf("%+v\n%s", rep.Counts, reportText(t, rep))
	}
	w := herken.WriteOptions{Idempotency: herken.Idempotency{Key: "req-bram", Fingerprint: []byte("req-bram"), TTL: time.Hour}}
	got, err := f.s.CreateCustomer(ctx, storetest.NewCustomer("Bram"), w)
	if err != nil || got.ID != f.jan.ID {
		t.Fatalf("retried create of a merged customer = %s, %v; want the survivor %s", got.ID, err, f.jan.ID)
	}
	w.Idempotency.Key, w.Idempotency.Fingerprint = "req-bram-call", []byte("req-bram-call")
	in, err := f.s.AppendInteraction(ctx, herken.Target{CustomerID: f.bram.ID}, f.bramCall, w)
	if err != nil || in.ID != f.bramCall.ID || in.CustomerID != f.jan.ID {
		t.Fatalf("retried append on a merged customer = %+v, %v", in, err)
	}
}
