package badgerstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/recordpb"
	"github.com/herken/herken/store/storetest"
)

var checkEpoch = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

var (
	janPhone   = storetest.Phone("+31612345678")
	janEmail   = storetest.Email("jan@example.nl")
	janCRM     = storetest.External("K-100234")
	janX       = storetest.Social(identity.PlatformX, "x:jandevries")
	landline   = storetest.Phone("+31201234567")
	annaEmail  = storetest.Email("anna@example.nl")
	household  = identity.Identifier{Kind: identity.KindPostalAddress, Value: "1234AB 10"}
	pieterApp  = storetest.Social(identity.PlatformWhatsApp, "whatsapp:+31687654321")
	limitPhone = storetest.Phone("+31301234567")
)

// checkFixture is a clean store written through the public Store methods:
// shared and exclusive identifiers, history with feedback in both states,
// promises in every state, idempotency records.
type checkFixture struct {
	s                         *Store
	jan, anna, pieter, quiet  herken.Customer
	janCall, janMail          herken.Interaction
	janAnswered, quietNote    herken.Interaction
	annaChat                  herken.Interaction
	owned, unowned, kept      herken.Promise
	cancelled, broken, inMail herken.Promise
}

func newCheckFixture(t *testing.T) *checkFixture {
	t.Helper()
	ctx := context.Background()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &checkFixture{s: s}
	idem := func(key string) herken.WriteOptions {
		return herken.WriteOptions{Idempotency: herken.Idempotency{Key: key, Fingerprint: []byte(key), TTL: time.Hour}}
	}
	create := func(name string, key string, ids ...identity.Identifier) herken.Customer {
		c, err := s.CreateCustomer(ctx, storetest.NewCustomer(name, ids...), idem(key))
		if err != nil {
			t.Fatalf("CreateCustomer %s: %v", name, err)
		}
		return c
	}
	f.jan = create("Jan", "req-jan", janPhone, janEmail, janCRM, janX)
	f.anna = create("Anna", "", landline, annaEmail, household)
	f.pieter = create("Pieter", "", landline, household, pieterApp)
	f.quiet = create("Stil", "")

	record := func(tg herken.Target, ch herken.Channel, at time.Time, key string) herken.Interaction {
		in := herken.Interaction{ID: herken.NewID(), Channel: ch, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved,
			OccurTime: at, Agent: "agent-042", Summary: "vraag over factuur", CreateTime: at}
		got, err := s.AppendInteraction(ctx, tg, in, idem(key))
		if err != nil {
			t.Fatalf("AppendInteraction: %v", err)
		}
		return got
	}
	f.janCall = record(herken.Target{Identifier: janPhone}, herken.ChannelPhone, checkEpoch.Add(-3*time.Hour), "req-call")
	f.janMail = record(herken.Target{CustomerID: f.jan.ID}, herken.ChannelEmail, checkEpoch.Add(-2*time.Hour), "")
	f.janAnswered = record(herken.Target{CustomerID: f.jan.ID}, herken.ChannelChat, checkEpoch.Add(-time.Hour), "")
	f.annaChat = record(herken.Target{CustomerID: f.anna.ID}, herken.ChannelChat, checkEpoch.Add(-time.Hour), "")
	f.quietNote = record(herken.Target{CustomerID: f.quiet.ID}, herken.ChannelLetter, checkEpoch.Add(-time.Hour), "")

	feedback := func(in herken.Interaction, answer bool) herken.Interaction {
		got, err := s.UpdateInteraction(ctx, in.CustomerID, in.ID, func(in *herken.Interaction) error {
			in.Feedback = &herken.Feedback{Score: 2, Comment: "te lang gewacht", SubmitTime: checkEpoch.Add(-30 * time.Minute)}
			if answer {
				in.Feedback.Answer, in.Feedback.AnsweredBy, in.Feedback.AnswerTime = "excuses", "lead-1", checkEpoch
			}
			return nil
		}, herken.WriteOptions{})
		if err != nil {
			t.Fatalf("UpdateInteraction: %v", err)
		}
		return got
	}
	f.janCall = feedback(f.janCall, false)
	f.janAnswered = feedback(f.janAnswered, true)

	promise := func(cid string, due time.Time, owner, interaction, key string) herken.Promise {
		p := storetest.NewPromise(herken.PromiseCallback, due, owner)
		p.InteractionID = interaction
		got, err := s.CreatePromise(ctx, herken.Target{CustomerID: cid}, p, idem(key))
		if err != nil {
			t.Fatalf("CreatePromise: %v", err)
		}
		return got
	}
	setState := func(p herken.Promise, to herken.PromiseState) herken.Promise {
		got, err := s.UpdatePromise(ctx, p.CustomerID, p.ID, func(p *herken.Promise) error {
			p.State, p.StateTime, p.StateActor = to, checkEpoch, "agent-042"
			return nil
		}, herken.WriteOptions{})
		if err != nil {
			t.Fatalf("UpdatePromise: %v", err)
		}
		return got
	}
	f.owned = promise(f.jan.ID, checkEpoch.Add(4*time.Hour), "team-techniek", f.janCall.ID, "req-promise")
	f.unowned = promise(f.jan.ID, checkEpoch.Add(5*time.Hour), "", "", "")
	f.inMail = promise(f.jan.ID, checkEpoch.Add(6*time.Hour), "", f.janMail.ID, "")
	f.kept = setState(promise(f.jan.ID, checkEpoch.Add(-time.Hour), "", "", ""), herken.PromiseKept)
	f.cancelled = setState(promise(f.pieter.ID, checkEpoch.Add(time.Hour), "team-verkoop", "", ""), herken.PromiseCancelled)
	f.broken = promise(f.anna.ID, checkEpoch.Add(-3*time.Hour), "team-techniek", f.annaChat.ID, "")
	n, _, err := s.BreakOverdue(ctx, checkEpoch.Add(-time.Hour), 10, func(p herken.Promise) (herken.Promise, herken.Interaction, bool) {
		p.State, p.StateTime, p.StateActor = herken.PromiseBroken, checkEpoch, herken.SystemActor
		return p, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelSystem, Direction: herken.DirectionOutbound,
			Outcome: herken.OutcomeFollowUp, OccurTime: checkEpoch, CreateTime: checkEpoch, Agent: herken.SystemActor, Summary: "niet nagekomen"}, true
	}, herken.WriteOptions{})
	if err != nil || n != 1 {
		t.Fatalf("BreakOverdue = %d, %v", n, err)
	}
	if f.broken, err = s.GetPromise(ctx, f.broken.CustomerID, f.broken.ID); err != nil || f.broken.State != herken.PromiseBroken {
		t.Fatalf("broken promise: %+v %v", f.broken, err)
	}
	// Recording moved their last contact: corruptions start from the stored records.
	for _, c := range []*herken.Customer{&f.jan, &f.anna, &f.pieter, &f.quiet} {
		if *c, err = s.GetCustomer(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *checkFixture) update(t *testing.T, fn func(txn *tx) error) {
	t.Helper()
	if err := f.s.testUpdate(fn); err != nil {
		t.Fatal(err)
	}
}

func mustCheck(t *testing.T, s *Store) Report {
	t.Helper()
	rep, err := s.Check(context.Background())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return rep
}

func kindsOf(rep Report) []string {
	var out []string
	for _, p := range rep.Problems {
		out = append(out, p.Kind)
	}
	slices.Sort(out)
	return out
}

func reportText(t *testing.T, rep Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCheckClean(t *testing.T) {
	f := newCheckFixture(t)
	rep := mustCheck(t, f.s)
	if !rep.OK() {
		t.Fatalf("clean store has problems:\n%s", reportText(t, rep))
	}
	want := Counts{
		Customers: 4, IdentifierIndex: 8, IdentifierLinks: 10,
		Interactions: 6, InteractionLocators: 6, TimeIndex: 6, FeedbackIndex: 1,
		Promises: 6, PromiseLocators: 6, OpenPromises: 3, DueIndex: 3, OwnerIndex: 1,
		Requests: 3, RequestIndex: 3, Meta: 2, KeyRefs: 4,
		TagIndex: 4, TagTimeIndex: 4, UpdateIndex: 4, NameIndex: 3 + 4 + 6 + 4, // Jan, Anna, Pieter, Stil
	}
	if rep.Counts != want {
		t.Fatalf("counts\n got %+v\nwant %+v", rep.Counts, want)
	}
	if txt := reportText(t, rep); !strings.Contains(txt, "no problems") || !strings.Contains(txt, "customers (c/)") {
		t.Fatalf("text report:\n%s", txt)
	}
}

// editCustomer rewrites a stored customer record, summaries and all.
func editCustomer(txn *tx, id string, fn func(c *customerRec)) error {
	c, err := getCustomerRec(txn, id)
	if err != nil {
		return err
	}
	fn(&c)
	return putCustomer(txn, c)
}

func addIdentifier(txn *tx, id string, ident identity.Identifier) error {
	return editCustomer(txn, id, func(c *customerRec) {
		c.Identifiers = append(c.Identifiers, herken.LinkedIdentifier{Identifier: ident, LinkTime: checkEpoch})
	})
}

// deleteCustomer deletes a customer's record and its list-index entries,
// nothing else.
func deleteCustomer(txn *tx, c herken.Customer) error {
	if err := reindexCustomer(txn, &c, nil); err != nil {
		return err
	}
	return txn.Delete(customerKey(c.ID))
}

// putPromiseRecord writes a promise record and its locator, nothing else.
func putPromiseRecord(txn *tx, p herken.Promise) error {
	b, err := encodePromise(txn, p.CustomerID, promiseKey(p), p)
	if err != nil {
		return err
	}
	if err := txn.Set(promiseKey(p), b); err != nil {
		return err
	}
	return txn.Set(promiseLocator(p.CustomerID, p.ID), []byte(timeHex(p.DueTime)))
}

// deleteInteraction deletes an interaction with its locator and index
// entries, as a purge would, leaving its customer's summary alone.
func deleteInteraction(txn *tx, in herken.Interaction) error {
	for _, k := range append(interactionIndexKeys(in), interactionKey(in), interactionLocator(in.CustomerID, in.ID)) {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// format2ID is a format-2 interaction id: 16 hex digits of MaxInt64 minus
// the occur time, then 8 of chance.
func format2ID(occur time.Time) string { return newestHex(occur) + "0badf00d" }

// TestCheckFindsCorruption breaks the store one way at a time, writing keys
// directly, and expects exactly the problems that break names.
func TestCheckFindsCorruption(t *testing.T) {
	garbage := []byte{0xff, 0xff, 0xff, 0x01, 0x02}
	tests := []struct {
		name    string
		corrupt func(t *testing.T, f *checkFixture, txn *tx) error
		want    []string
	}{
		{"index entry deleted", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Delete(txn.s.identifierKey(janEmail))
		}, []string{ProblemIdentifierNotIndexed}},
		{"dangling holder", func(t *testing.T, f *checkFixture, txn *tx) error {
			return putHolders(txn, landline, []string{f.anna.ID, f.pieter.ID, herken.NewID()})
		}, []string{ProblemIndexMissingCustomer}},
		{"holder does not list the identifier", func(t *testing.T, f *checkFixture, txn *tx) error {
			return putHolders(txn, annaEmail, []string{f.anna.ID, f.jan.ID})
		}, []string{ProblemIndexHolderMismatch}},
		{"index names another customer", func(t *testing.T, f *checkFixture, txn *tx) error {
			return putHolders(txn, janEmail, []string{f.anna.ID})
		}, []string{ProblemIdentifierNotIndexed, ProblemIndexHolderMismatch}},
		{"duplicate holder", func(t *testing.T, f *checkFixture, txn *tx) error {
			return putHolders(txn, landline, []string{f.anna.ID, f.pieter.ID, f.anna.ID})
		}, []string{ProblemIndexDuplicateHolder}},
		{"empty index entry", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(txn.s.identifierKey(storetest.Phone("+31101234567")), nil)
		}, []string{ProblemIndexEmpty}},
		{"exclusive identifier shared", func(t *testing.T, f *checkFixture, txn *tx) error {
			if err := addIdentifier(txn, f.anna.ID, janCRM); err != nil {
				return err
			}
			return putHolders(txn, janCRM, []string{f.jan.ID, f.anna.ID})
		}, []string{ProblemExclusiveShared}},
		{"exclusive social handle shared", func(t *testing.T, f *checkFixture, txn *tx) error {
			if err := addIdentifier(txn, f.anna.ID, janX); err != nil {
				return err
			}
			return putHolders(txn, janX, []string{f.jan.ID, f.anna.ID})
		}, []string{ProblemExclusiveShared}},
		{"whatsapp number shared is fine", func(t *testing.T, f *checkFixture, txn *tx) error {
			if err := addIdentifier(txn, f.jan.ID, pieterApp); err != nil {
				return err
			}
			return putHolders(txn, pieterApp, []string{f.pieter.ID, f.jan.ID})
		}, nil},
		{"holders over limit", func(t *testing.T, f *checkFixture, txn *tx) error {
			var ids []string
			for i := 0; i <= herken.MaxHoldersPerIdentity; i++ {
				c := storetest.NewCustomer(fmt.Sprint("huisgenoot ", i), limitPhone)
				if err := giveKey(txn, c.ID); err != nil {
					return err
				}
				if err := putCustomer(txn, customerRec{Customer: c}); err != nil {
					return err
				}
				if err := reindexCustomer(txn, nil, &c); err != nil {
					return err
				}
				ids = append(ids, c.ID)
			}
			return putHolders(txn, limitPhone, ids)
		}, []string{ProblemHoldersOverLimit}},
		{"customer lists an identifier twice", func(t *testing.T, f *checkFixture, txn *tx) error {
			return addIdentifier(txn, f.jan.ID, janEmail)
		}, []string{ProblemIdentifierDuplicate}},
		{"customer deleted, history kept", func(t *testing.T, f *checkFixture, txn *tx) error {
			return deleteCustomer(txn, f.quiet)
		}, []string{ProblemHistoryOrphan}},
		{"customer deleted, index, history and promises kept", func(t *testing.T, f *checkFixture, txn *tx) error {
			return deleteCustomer(txn, f.anna)
		}, []string{ProblemHistoryOrphan, ProblemHistoryOrphan, ProblemIndexMissingCustomer, ProblemIndexMissingCustomer,
			ProblemIndexMissingCustomer, ProblemPromiseOrphan}},
		{"promise KEPT in p/, open indexes left", func(t *testing.T, f *checkFixture, txn *tx) error {
			p := f.unowned
			p.State = herken.PromiseKept
			return putPromiseRecord(txn, p)
		}, []string{ProblemDueIndexMismatch, ProblemOpenIndexMismatch, ProblemOpenCountMismatch}},
		{"owned promise KEPT in p/, open indexes left", func(t *testing.T, f *checkFixture, txn *tx) error {
			p := f.owned
			p.State = herken.PromiseKept
			return putPromiseRecord(txn, p)
		}, []string{ProblemDueIndexMismatch, ProblemOpenIndexMismatch, ProblemOwnerIndexMismatch, ProblemOpenCountMismatch}},
		{"promise reopened in p/ without indexes", func(t *testing.T, f *checkFixture, txn *tx) error {
			p := f.cancelled
			p.State = herken.PromiseOpen
			return putPromiseRecord(txn, p)
		}, []string{ProblemDueIndexMismatch, ProblemOpenIndexMismatch, ProblemOwnerIndexMismatch, ProblemOpenCountMismatch}},
		{"open entry deleted", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Delete(openKey(f.unowned))
		}, []string{ProblemOpenIndexMismatch}},
		{"due entry deleted", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Delete(dueKey(f.owned))
		}, []string{ProblemDueIndexMismatch}},
		{"owner entry under another owner", func(t *testing.T, f *checkFixture, txn *tx) error {
			p := f.owned
			p.Owner = "team-verkoop"
			if err := txn.Delete(ownerKey(f.owned)); err != nil {
				return err
			}
			return txn.Set(ownerKey(p), nil)
		}, []string{ProblemOwnerIndexMismatch, ProblemOwnerIndexMismatch}},
		{"time entry deleted", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Delete(timeKey(f.janMail))
		}, []string{ProblemTimeIndexMismatch}},
		{"stray time entry", func(t *testing.T, f *checkFixture, txn *tx) error {
			at := checkEpoch.Add(-time.Minute)
			return txn.Set(timeKey(herken.Interaction{ID: herken.NewID(), CustomerID: f.jan.ID, OccurTime: at}), nil)
		}, []string{ProblemTimeIndexMismatch}},
		{"time entry at the wrong time", func(t *testing.T, f *checkFixture, txn *tx) error {
			moved := f.janMail
			moved.OccurTime = moved.OccurTime.Add(time.Second)
			if err := txn.Delete(timeKey(f.janMail)); err != nil {
				return err
			}
			return txn.Set(timeKey(moved), nil)
		}, []string{ProblemTimeIndexMismatch, ProblemTimeIndexMismatch}},
		{"feedback entry deleted", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Delete(feedbackKey(f.janCall))
		}, []string{ProblemFeedbackIndexMismatch}},
		{"feedback entry for answered feedback", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(feedbackKey(f.janAnswered), nil)
		}, []string{ProblemFeedbackIndexMismatch}},
		{"interaction of a promise deleted", func(t *testing.T, f *checkFixture, txn *tx) error {
			// Deleted as a purge would, summaries and all, but it is not the
			// oldest: retention does not explain it.
			if err := deleteInteraction(txn, f.janMail); err != nil {
				return err
			}
			c, err := getCustomerRec(txn, f.jan.ID)
			if err != nil {
				return err
			}
			c.count--
			if err := refreshRecent(txn, &c); err != nil {
				return err
			}
			return putCustomer(txn, c)
		}, []string{ProblemPromiseInteractionMissing}},
		{"interaction deleted, summaries left", func(t *testing.T, f *checkFixture, txn *tx) error {
			return deleteInteraction(txn, f.janAnswered)
		}, []string{ProblemInteractionCountMismatch, ProblemRecentMismatch}},
		{"interaction count off", func(t *testing.T, f *checkFixture, txn *tx) error {
			return editCustomer(txn, f.jan.ID, func(c *customerRec) { c.count++ })
		}, []string{ProblemInteractionCountMismatch}},
		{"open-promise count off", func(t *testing.T, f *checkFixture, txn *tx) error {
			return editCustomer(txn, f.jan.ID, func(c *customerRec) { c.openPromises-- })
		}, []string{ProblemOpenCountMismatch}},
		{"recent copy stale", func(t *testing.T, f *checkFixture, txn *tx) error {
			return editCustomer(txn, f.jan.ID, func(c *customerRec) { c.recent[1].Summary = "oud" })
		}, []string{ProblemRecentMismatch}},
		{"recent copy missing", func(t *testing.T, f *checkFixture, txn *tx) error {
			return editCustomer(txn, f.jan.ID, func(c *customerRec) { c.recent = c.recent[1:] })
		}, []string{ProblemRecentMismatch}},
		{"recent copies without history", func(t *testing.T, f *checkFixture, txn *tx) error {
			jan, err := getCustomerRec(txn, f.jan.ID)
			if err != nil {
				return err
			}
			return editCustomer(txn, f.pieter.ID, func(c *customerRec) { c.recent = jan.recent })
		}, []string{ProblemRecentMismatch}},
		{"request names a missing interaction", func(t *testing.T, f *checkFixture, txn *tx) error {
			// An id, no time: nothing says retention took it.
			return putRequest(txn, herken.Idempotency{Key: "req-lost", Fingerprint: []byte("x"), TTL: time.Hour},
				f.jan.ID+"/"+herken.NewID())
		}, []string{ProblemRequestOrphan}},
		{"request names a missing interaction newer than the oldest", func(t *testing.T, f *checkFixture, txn *tx) error {
			return putRequestRecord(txn, herken.Idempotency{Key: "req-lost", Fingerprint: []byte("x"), TTL: time.Hour},
				&recordpb.RequestRecord{ResultId: f.jan.ID + "/" + herken.NewID(), InteractionOccurTime: checkEpoch.Add(-time.Minute).UnixNano()})
		}, []string{ProblemRequestOrphan}},
		{"request names an interaction older than the oldest", func(t *testing.T, f *checkFixture, txn *tx) error {
			// Retention explains it.
			return putRequestRecord(txn, herken.Idempotency{Key: "req-old", Fingerprint: []byte("x"), TTL: time.Hour},
				&recordpb.RequestRecord{ResultId: f.jan.ID + "/" + herken.NewID(), InteractionOccurTime: checkEpoch.Add(-5 * time.Hour).UnixNano()})
		}, nil},
		{"request names a format-2 interaction older than the oldest", func(t *testing.T, f *checkFixture, txn *tx) error {
			return putRequest(txn, herken.Idempotency{Key: "req-old", Fingerprint: []byte("x"), TTL: time.Hour},
				f.jan.ID+"/"+format2ID(checkEpoch.Add(-5*time.Hour)))
		}, nil},
		{"request names a format-2 interaction newer than the oldest", func(t *testing.T, f *checkFixture, txn *tx) error {
			return putRequest(txn, herken.Idempotency{Key: "req-lost", Fingerprint: []byte("x"), TTL: time.Hour},
				f.jan.ID+"/"+format2ID(checkEpoch.Add(-time.Minute)))
		}, []string{ProblemRequestOrphan}},
		{"promise names a missing interaction older than the oldest", func(t *testing.T, f *checkFixture, txn *tx) error {
			p := promiseRec{Promise: f.unowned, interactionOccur: checkEpoch.Add(-5 * time.Hour)}
			p.InteractionID = herken.NewID()
			b, err := encodePromiseRec(txn, p.CustomerID, promiseKey(p.Promise), p)
			if err != nil {
				return err
			}
			return txn.Set(promiseKey(p.Promise), b)
		}, nil},
		{"promise names a missing interaction at an unknown time", func(t *testing.T, f *checkFixture, txn *tx) error {
			p := f.unowned
			p.InteractionID = herken.NewID()
			return putPromiseRecord(txn, p)
		}, []string{ProblemPromiseInteractionMissing}},
		{"promise names a missing format-2 interaction older than the oldest", func(t *testing.T, f *checkFixture, txn *tx) error {
			p := f.unowned
			p.InteractionID = format2ID(checkEpoch.Add(-5 * time.Hour))
			return putPromiseRecord(txn, p)
		}, nil},
		{"request names a missing customer", func(t *testing.T, f *checkFixture, txn *tx) error {
			return putRequest(txn, herken.Idempotency{Key: "req-gone", Fingerprint: []byte("x"), TTL: time.Hour}, herken.NewID())
		}, []string{ProblemRequestOrphan}},
		{"promise of a missing customer", func(t *testing.T, f *checkFixture, txn *tx) error {
			p := f.kept
			p.CustomerID = herken.NewID()
			if err := sealAsNew(txn, p.CustomerID); err != nil {
				return err
			}
			return putPromiseRecord(txn, p)
		}, []string{ProblemPromiseOrphan}},
		{"interaction under another id", func(t *testing.T, f *checkFixture, txn *tx) error {
			copied := f.janMail
			copied.ID = herken.NewID()
			b, err := encodeInteraction(txn, f.jan.ID, interactionKey(copied), f.janMail)
			if err != nil {
				return err
			}
			if err := txn.Set(interactionKey(copied), b); err != nil {
				return err
			}
			if err := txn.Set(interactionLocator(f.jan.ID, copied.ID), []byte(newestHex(copied.OccurTime))); err != nil {
				return err
			}
			return txn.Set(timeKey(copied), nil)
		}, []string{ProblemRecordKeyMismatch, ProblemInteractionCountMismatch, ProblemRecentMismatch}},
		{"promise due time moved without its key", func(t *testing.T, f *checkFixture, txn *tx) error {
			// The record and its open-promise entries say the new due time,
			// the p/ key (and its locator) the old one: lists are out of order.
			moved := f.owned
			moved.DueTime = moved.DueTime.Add(time.Hour)
			b, err := encodePromise(txn, moved.CustomerID, promiseKey(f.owned), moved)
			if err != nil {
				return err
			}
			if err := txn.Set(promiseKey(f.owned), b); err != nil {
				return err
			}
			for _, k := range openIndexKeys(f.owned) {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			for _, k := range openIndexKeys(moved) {
				if err := txn.Set(k, nil); err != nil {
					return err
				}
			}
			return nil
		}, []string{ProblemIDTimeMismatch}},
		{"interaction occur time moved without its key", func(t *testing.T, f *checkFixture, txn *tx) error {
			moved := f.quietNote
			moved.OccurTime = moved.OccurTime.Add(time.Minute)
			b, err := encodeInteraction(txn, moved.CustomerID, interactionKey(f.quietNote), moved)
			if err != nil {
				return err
			}
			if err := txn.Set(interactionKey(f.quietNote), b); err != nil {
				return err
			}
			if err := txn.Delete(timeKey(f.quietNote)); err != nil {
				return err
			}
			if err := txn.Set(timeKey(moved), nil); err != nil {
				return err
			}
			return editCustomer(txn, f.quiet.ID, func(c *customerRec) { c.recent[0] = moved; c.LastContactTime = moved.OccurTime })
		}, []string{ProblemIDTimeMismatch}},
		{"last contact behind", func(t *testing.T, f *checkFixture, txn *tx) error {
			return editCustomer(txn, f.jan.ID, func(c *customerRec) { c.LastContactTime = checkEpoch.Add(-10 * time.Hour) })
		}, []string{ProblemLastContactBehind}},
		{"garbage customer", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(customerKey(f.jan.ID), garbage)
		}, []string{ProblemUndecodableRecord}},
		{"customer of a future format", func(t *testing.T, f *checkFixture, txn *tx) error {
			b, err := marshalOpts.Marshal(&recordpb.CustomerRecord{Format: 2, Id: f.anna.ID})
			if err != nil {
				return err
			}
			return txn.Set(customerKey(f.anna.ID), b)
		}, []string{ProblemUndecodableRecord}},
		{"garbage interaction", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(interactionKey(f.janCall), garbage)
		}, []string{ProblemUndecodableRecord}},
		{"garbage promise", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(promiseKey(f.owned), garbage)
		}, []string{ProblemUndecodableRecord}},
		{"garbage index entry", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(txn.s.identifierKey(landline), garbage)
		}, []string{ProblemUndecodableRecord}},
		{"garbage request", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(requestKey("req-jan"), garbage)
		}, []string{ProblemUndecodableRecord}},
		{"unknown prefix", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set([]byte("z/+31612345678"), []byte("jan@example.nl"))
		}, []string{ProblemUnknownKey}},
		{"unknown meta key", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set([]byte("m/extra"), nil)
		}, []string{ProblemUnknownKey}},
		{"key without a prefix", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set([]byte("+31612345678"), nil)
		}, []string{ProblemUnknownKey}},
		{"malformed history key", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set([]byte("h/jan@example.nl/1"), garbage)
		}, []string{ProblemMalformedKey}},
		{"format-2 history key left behind", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set([]byte(prefixHistory+f.jan.ID+"/"+format2ID(checkEpoch)), garbage)
		}, []string{ProblemMalformedKey}},
		{"format-2 open entry instead of the format-3 one", func(t *testing.T, f *checkFixture, txn *tx) error {
			if err := txn.Delete(openKey(f.unowned)); err != nil {
				return err
			}
			return txn.Set([]byte(prefixOpen+f.jan.ID+"/"+f.unowned.ID), nil)
		}, []string{ProblemMalformedKey, ProblemOpenIndexMismatch}},
		{"open entry at another due time", func(t *testing.T, f *checkFixture, txn *tx) error {
			moved := f.unowned
			moved.DueTime = moved.DueTime.Add(time.Minute)
			if err := txn.Delete(openKey(f.unowned)); err != nil {
				return err
			}
			return txn.Set(openKey(moved), nil)
		}, []string{ProblemOpenIndexMismatch, ProblemOpenIndexMismatch}},
		{"interaction locator deleted", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Delete(interactionLocator(f.quiet.ID, f.quietNote.ID))
		}, []string{ProblemInteractionLocatorMismatch}},
		{"stray interaction locator", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(interactionLocator(f.jan.ID, herken.NewID()), []byte(newestHex(checkEpoch)))
		}, []string{ProblemInteractionLocatorMismatch}},
		{"interaction locator holds another time", func(t *testing.T, f *checkFixture, txn *tx) error {
			// The record has no locator that finds it, and the locator names
			// no record: both sides are named.
			return txn.Set(interactionLocator(f.quiet.ID, f.quietNote.ID), []byte(newestHex(checkEpoch)))
		}, []string{ProblemInteractionLocatorMismatch, ProblemInteractionLocatorMismatch}},
		{"interaction locator holds no time", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(interactionLocator(f.quiet.ID, f.quietNote.ID), []byte("yesterday"))
		}, []string{ProblemInteractionLocatorMismatch, ProblemInteractionLocatorMismatch}},
		{"promise locator deleted", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Delete(promiseLocator(f.jan.ID, f.kept.ID))
		}, []string{ProblemPromiseLocatorMismatch}},
		{"stray promise locator", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(promiseLocator(f.jan.ID, herken.NewID()), []byte(timeHex(checkEpoch)))
		}, []string{ProblemPromiseLocatorMismatch}},
		{"promise locator holds another due time", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set(promiseLocator(f.jan.ID, f.kept.ID), []byte(timeHex(checkEpoch)))
		}, []string{ProblemPromiseLocatorMismatch, ProblemPromiseLocatorMismatch}},
		{"malformed locator key", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set([]byte(prefixLocateIn+f.jan.ID+"/"+newestHex(checkEpoch)+"/"+f.janCall.ID), []byte(newestHex(checkEpoch)))
		}, []string{ProblemMalformedKey}},
		{"malformed time key", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set([]byte("t/yesterday/"+f.jan.ID+"/"+f.janCall.ID), nil)
		}, []string{ProblemMalformedKey}},
		{"secret missing", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Delete([]byte(keySecret))
		}, []string{ProblemSecretMissing}},
		{"format missing", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Delete([]byte(keyFormat))
		}, []string{ProblemFormatMissing}},
		{"format unsupported", func(t *testing.T, f *checkFixture, txn *tx) error {
			return txn.Set([]byte(keyFormat), []byte("99"))
		}, []string{ProblemFormatUnsupported}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newCheckFixture(t)
			f.update(t, func(txn *tx) error { return tc.corrupt(t, f, txn) })
			rep := mustCheck(t, f.s)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if got := kindsOf(rep); !slices.Equal(got, want) {
				t.Fatalf("problems %v, want %v\n%s", got, want, reportText(t, rep))
			}
			if rep.OK() != (len(want) == 0) || rep.Total() != len(want) {
				t.Fatalf("OK() = %v, Total() = %d", rep.OK(), rep.Total())
			}
		})
	}
}

// TestCheckAfterRetention: retention purges every interaction but the
// newest, among them the ones three promises were made in (allowed: a
// promise keeps the name) and one a request id still names (allowed too: a
// retry answers INTERACTION_NOT_FOUND, not INTERNAL). Ids are opaque, so
// the check knows those interactions were older than what is left only
// from the occur times the store copied when the promise was made (kept
// through UpdatePromise and BreakOverdue) and when the request recorded one.
func TestCheckAfterRetention(t *testing.T) {
	f := newCheckFixture(t)
	ctx := context.Background()
	if _, err := f.s.UpdatePromise(ctx, f.jan.ID, f.owned.ID, func(p *herken.Promise) error {
		p.State, p.StateTime, p.StateNote = herken.PromiseKept, checkEpoch, "teruggebeld"
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	n, _, err := f.s.PurgeInteractions(ctx, checkEpoch.Add(-time.Minute), 10, herken.WriteOptions{})
	if err != nil || n != 5 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	rep := mustCheck(t, f.s)
	if !rep.OK() {
		t.Fatalf("problems after a legitimate purge:\n%s", reportText(t, rep))
	}
	for _, p := range []herken.Promise{f.owned, f.inMail, f.broken} {
		if p.InteractionID == "" {
			t.Fatalf("promise %s names no interaction", p.ID)
		}
	}
}

// TestPromiseKeepsInteractionTime: the occur time CreatePromise copies
// is the interaction's, and survives updates that keep the name.
func TestPromiseKeepsInteractionTime(t *testing.T) {
	f := newCheckFixture(t)
	ctx := context.Background()
	read := func(p herken.Promise) promiseRec {
		t.Helper()
		var pr promiseRec
		err := f.s.testView(func(txn *tx) error {
			var err error
			pr, err = getPromiseRec(txn, p.CustomerID, p.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	if got := read(f.inMail).interactionOccur; !got.Equal(f.janMail.OccurTime) {
		t.Fatalf("inMail: occur time %v, want %v", got, f.janMail.OccurTime)
	}
	if got := read(f.broken).interactionOccur; !got.Equal(f.annaChat.OccurTime) {
		t.Fatalf("broken (through BreakOverdue): occur time %v, want %v", got, f.annaChat.OccurTime)
	}
	if got := read(f.unowned).interactionOccur; !got.IsZero() {
		t.Fatalf("unowned names no interaction, occur time %v", got)
	}
	// Renamed to another interaction: the time follows the name.
	if _, err := f.s.UpdatePromise(ctx, f.jan.ID, f.inMail.ID, func(p *herken.Promise) error {
		p.InteractionID = f.janAnswered.ID
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := read(f.inMail).interactionOccur; !got.Equal(f.janAnswered.OccurTime) {
		t.Fatalf("renamed: occur time %v, want %v", got, f.janAnswered.OccurTime)
	}
}

// TestCheckReportHasNoPersonalData breaks the store around identifiers,
// owners and request ids and checks neither the text nor the JSON report
// quotes any of them.
func TestCheckReportHasNoPersonalData(t *testing.T) {
	f := newCheckFixture(t)
	f.update(t, func(txn *tx) error {
		steps := []func() error{
			func() error { return txn.Delete(txn.s.identifierKey(janEmail)) },                       // not indexed
			func() error { return putHolders(txn, janPhone, []string{f.jan.ID, "jan@example.nl"}) }, // malformed holder
			func() error { return putHolders(txn, janCRM, []string{f.jan.ID, f.anna.ID}) },          // exclusive shared
			func() error { return putHolders(txn, janX, []string{f.jan.ID, f.jan.ID}) },             // duplicate
			func() error { return txn.Set([]byte("z/+31612345678"), nil) },                          // unknown key
			func() error { return txn.Set([]byte("i/q:jan@example.nl"), nil) },                      // malformed index key
			func() error { return txn.Set([]byte("c/jan@example.nl"), nil) },                        // malformed customer key
			func() error { return txn.Delete(customerKey(f.anna.ID)) },                              // orphans everywhere
			func() error { return txn.Delete(dueKey(f.owned)) },                                     // owner index still there
			func() error {
				return txn.Set(ownerKey(herken.Promise{Owner: "jan@example.nl", DueTime: checkEpoch, CustomerID: f.jan.ID, ID: f.unowned.ID}), nil)
			},
			func() error { return txn.Set(requestKey("req-jan"), []byte{0xff, 0xff}) }, // undecodable request
			func() error {
				return putRequest(txn, herken.Idempotency{Key: "call-31612345678", Fingerprint: []byte("x"), TTL: time.Hour}, herken.NewID())
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	rep := mustCheck(t, f.s)
	if rep.OK() {
		t.Fatal("no problems found")
	}
	t.Log("\n" + reportText(t, rep))
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{reportText(t, rep), string(js)} {
		for _, pii := range []string{"+31612345678", "31612345678", "612345678", "jan@example.nl", "example.nl",
			"anna@", "K-100234", "jandevries", "1234AB", "+31201234567", "team-techniek", "req-jan", "call-", "Jan", "Anna"} {
			if strings.Contains(out, pii) {
				t.Fatalf("report contains %q:\n%s", pii, out)
			}
		}
	}
	for _, want := range []string{"i/e:<redacted>", "i/x:<redacted>", "customers/" + f.jan.ID, "identifier kind email", "o/<owner>/", "r/<redacted>"} {
		if !strings.Contains(reportText(t, rep), want) {
			t.Fatalf("report lacks %q:\n%s", want, reportText(t, rep))
		}
	}
}

// TestCheckBoundsTheProblemList: a store broken everywhere still gives a
// small report with complete counts.
func TestCheckBoundsTheProblemList(t *testing.T) {
	f := newCheckFixture(t)
	const n = maxProblems + 200
	f.update(t, func(txn *tx) error {
		for i := range n {
			at := checkEpoch.Add(time.Duration(i) * time.Second)
			if err := txn.Set(timeKey(herken.Interaction{ID: herken.NewID(), CustomerID: f.jan.ID, OccurTime: at}), nil); err != nil {
				return err
			}
		}
		return nil
	})
	rep := mustCheck(t, f.s)
	if rep.ProblemCounts[ProblemTimeIndexMismatch] != n || len(rep.Problems) != maxProblems || rep.Omitted != 200 || rep.Total() != n {
		t.Fatalf("counts %v, listed %d, omitted %d", rep.ProblemCounts, len(rep.Problems), rep.Omitted)
	}
	if !strings.Contains(reportText(t, rep), "and 200 more") {
		t.Fatal("text report does not say problems were left out")
	}
}

func TestCheckContextCancelled(t *testing.T) {
	f := newCheckFixture(t)
	f.update(t, func(txn *tx) error {
		for i := range 5000 {
			if err := txn.Set(fmt.Appendf(nil, "c/%016d", i), nil); err != nil {
				return err
			}
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.s.Check(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Check with a cancelled context: %v, want context.Canceled", err)
	}
}

// TestCheckDir checks a store on disk read-only, and refuses one in use.
func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := CheckDir(dir); err == nil || !strings.Contains(err.Error(), "no store") {
		t.Fatalf("CheckDir of an empty directory: %v", err)
	}
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCustomer(context.Background(), storetest.NewCustomer("Jan", janPhone), herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckDir(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("CheckDir of an open store: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := CheckDir(dir)
	if err != nil || !rep.OK() || rep.Counts.Customers != 1 || rep.Counts.IdentifierIndex != 1 {
		t.Fatalf("CheckDir = %+v, %v", rep, err)
	}
	// Read-only: the check wrote nothing, and the store opens again.
	s, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
