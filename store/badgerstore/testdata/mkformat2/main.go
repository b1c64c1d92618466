// Command mkformat2 wrote testdata/format2.tar.gz, the format-2 Badger
// store TestOpenFormat2Store opens. It builds only in a worktree of commit
// 2195d35, the last code that wrote format 2 (testdata is not compiled
// here):
//
//	git worktree add /tmp/old 2195d35
//	mkdir /tmp/old/cmd/mkformat2 && cp main.go /tmp/old/cmd/mkformat2/
//	(cd /tmp/old && go run ./cmd/mkformat2 /tmp/format2)
//	tar -C /tmp/format2 --owner=0 --group=0 --numeric-owner -czf ../format2.tar.gz .
//	git worktree remove --force /tmp/old
//
// It prints the ids and the orders the old code listed, which
// format2_test.go records.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/identity/badgerstore"
)

var (
	ctx  = context.Background()
	base = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	// Idempotency records outlive the test data (Badger TTLs are absolute).
	ttl = 200 * 365 * 24 * time.Hour
)

func must[T any](v T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return v
}

func idem(key string) identity.Idempotency {
	if key == "" {
		return identity.Idempotency{}
	}
	return identity.Idempotency{Key: key, Fingerprint: []byte("fp-" + key), TTL: ttl}
}

func customer(name string, ids ...identity.Identifier) identity.Customer {
	c := identity.Customer{ID: identity.NewID(), DisplayName: name, PreferredLanguage: "nl",
		CreateTime: base.Add(-48 * time.Hour), UpdateTime: base.Add(-48 * time.Hour), Revision: 1}
	for _, id := range ids {
		c.Identifiers = append(c.Identifiers, identity.LinkedIdentifier{Identifier: id, LinkTime: c.CreateTime})
	}
	return c
}

func main() {
	s := must(badgerstore.Open(badgerstore.Options{Dir: os.Args[1], MinFreeBytes: -1}))
	phone := func(v string) identity.Identifier { return identity.Identifier{Kind: identity.KindPhone, Value: v} }
	janPhone, landline := phone("+31612345678"), phone("+31201234567")
	postal := identity.Identifier{Kind: identity.KindPostalAddress, Value: "1234AB 10"}
	jan := must(s.CreateCustomer(ctx, customer("Jan", janPhone,
		identity.Identifier{Kind: identity.KindEmail, Value: "jan@example.nl"},
		identity.Identifier{Kind: identity.KindExternalID, Value: "K-100234"},
		identity.Identifier{Kind: identity.KindSocial, Platform: identity.PlatformX, Value: "x:jandevries"}), idem("req-jan")))
	anna := must(s.CreateCustomer(ctx, customer("Anna", landline, identity.Identifier{Kind: identity.KindEmail, Value: "anna@example.nl"}, postal), idem("")))
	pieter := must(s.CreateCustomer(ctx, customer("Pieter", landline, postal,
		identity.Identifier{Kind: identity.KindSocial, Platform: identity.PlatformWhatsApp, Value: "whatsapp:+31687654321"}), idem("")))

	record := func(t identity.Target, ch identity.Channel, at time.Time, summary, key string) identity.Interaction {
		return must(s.AppendInteraction(ctx, t, identity.Interaction{Channel: ch, Direction: identity.DirectionInbound,
			Outcome: identity.OutcomeResolved, OccurTime: at, CreateTime: at, Agent: "agent-042", Summary: summary}, idem(key)))
	}
	// Jan: twelve interactions (more than a customer record copies), two
	// of them at the same time (ties go by id).
	var janCall, janAnswered identity.Interaction
	for k := 11; k >= 1; k-- {
		at := base.Add(-time.Duration(k) * time.Hour)
		switch k {
		case 3:
			janCall = record(identity.Target{Identifier: janPhone}, identity.ChannelPhone, at, "call", "req-call")
			record(identity.Target{CustomerID: jan.ID}, identity.ChannelEmail, at, "mail at the same time", "")
		case 1:
			janAnswered = record(identity.Target{CustomerID: jan.ID}, identity.ChannelChat, at, "chat", "")
		default:
			record(identity.Target{CustomerID: jan.ID}, identity.ChannelPhone, at, fmt.Sprint("call ", k), "")
		}
	}
	feedback := func(in identity.Interaction, answer bool) {
		must(s.UpdateInteraction(ctx, in.CustomerID, in.ID, func(in *identity.Interaction) error {
			in.Feedback = &identity.Feedback{Score: 2, Comment: "te lang gewacht", SubmitTime: base.Add(-30 * time.Minute)}
			if answer {
				in.Feedback.Answer, in.Feedback.AnsweredBy, in.Feedback.AnswerTime = "excuses", "lead-1", base
			}
			return nil
		}))
	}
	feedback(janCall, false)
	feedback(janAnswered, true)
	ancient := record(identity.Target{CustomerID: anna.ID}, identity.ChannelPhone, time.Date(2020, 1, 6, 10, 0, 0, 0, time.UTC), "old call", "req-ancient")
	annaChat := record(identity.Target{CustomerID: anna.ID}, identity.ChannelChat, base.Add(-2*time.Hour), "chat", "")
	pieterCall := record(identity.Target{CustomerID: pieter.ID}, identity.ChannelPhone, base.Add(-4*time.Hour), "call", "")

	promise := func(cid string, due time.Time, owner, interaction, key string) identity.Promise {
		return must(s.CreatePromise(ctx, identity.Target{CustomerID: cid}, identity.Promise{Kind: identity.PromiseCallback,
			Description: "terugbellen", DueTime: due, Owner: owner, Channel: identity.ChannelPhone, InteractionID: interaction,
			State: identity.PromiseOpen, StateTime: base, CreateTime: base}, idem(key)))
	}
	setState := func(p identity.Promise, to identity.PromiseState) identity.Promise {
		return must(s.UpdatePromise(ctx, p.CustomerID, p.ID, func(p *identity.Promise) error {
			p.State, p.StateTime, p.StateActor = to, base, "agent-042"
			return nil
		}))
	}
	owned := promise(jan.ID, base.Add(4*time.Hour), "team-techniek", janCall.ID, "req-promise")
	unowned := promise(jan.ID, base.Add(5*time.Hour), "", "", "")
	kept := setState(promise(jan.ID, base.Add(-time.Hour), "", "", ""), identity.PromiseKept)
	annaOpen := promise(anna.ID, base.Add(2*time.Hour), "team-techniek", ancient.ID, "")
	cancelled := setState(promise(pieter.ID, base.Add(time.Hour), "team-verkoop", "", ""), identity.PromiseCancelled)
	broken := promise(pieter.ID, base.Add(-3*time.Hour), "team-verkoop", "", "")
	n, _ := must2(s.BreakOverdue(ctx, base.Add(-2*time.Hour), 10, func(p identity.Promise) (identity.Promise, identity.Interaction) {
		p.State, p.StateTime, p.StateActor = identity.PromiseBroken, base, identity.SystemActor
		return p, identity.Interaction{Channel: identity.ChannelSystem, Direction: identity.DirectionOutbound,
			Outcome: identity.OutcomeFollowUp, OccurTime: base.Add(-90 * time.Minute), CreateTime: base, Agent: identity.SystemActor, Summary: "niet nagekomen"}
	}))
	if n != 1 {
		panic("BreakOverdue broke " + fmt.Sprint(n))
	}
	// Retention purges Anna's 2020 call: her promise still names it, and
	// req-ancient still remembers it.
	if n, _ := must2(s.PurgeInteractions(ctx, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), 10)); n != 1 {
		panic("purged " + fmt.Sprint(n))
	}

	rep := must(s.Check(ctx))
	if !rep.OK() {
		panic(fmt.Sprint(rep.Problems))
	}
	fmt.Printf("jan, anna, pieter = %q, %q, %q\n", jan.ID, anna.ID, pieter.ID)
	fmt.Printf("janCall, janAnswered, ancient, annaChat, pieterCall = %q, %q, %q, %q, %q\n", janCall.ID, janAnswered.ID, ancient.ID, annaChat.ID, pieterCall.ID)
	fmt.Printf("owned, unowned, kept, annaOpen, cancelled, broken = %q, %q, %q, %q, %q, %q\n", owned.ID, unowned.ID, kept.ID, annaOpen.ID, cancelled.ID, broken.ID)
	ins, _ := must2(s.ListInteractions(ctx, identity.InteractionQuery{CustomerID: jan.ID, PageSize: 100}))
	fmt.Printf("janHistory = %s\n", ids(ins, func(in identity.Interaction) string { return in.ID }))
	ins, _ = must2(s.ListInteractions(ctx, identity.InteractionQuery{CustomerID: pieter.ID, PageSize: 100}))
	fmt.Printf("pieterHistory = %s\n", ids(ins, func(in identity.Interaction) string { return in.ID }))
	ps, _ := must2(s.ListPromises(ctx, identity.PromiseQuery{CustomerID: jan.ID, PageSize: 100}))
	fmt.Printf("janPromises = %s\n", ids(ps, func(p identity.Promise) string { return p.ID }))
	ps, _ = must2(s.ListPromises(ctx, identity.PromiseQuery{PageSize: 100}))
	fmt.Printf("openPromises = %s\n", ids(ps, func(p identity.Promise) string { return p.ID }))
	must(0, s.Close())
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return a, b
}

func ids[T any](xs []T, id func(T) string) string {
	s := "[]string{"
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", id(x))
	}
	return s + "}"
}
