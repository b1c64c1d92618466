//go:build unix

package crash

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// The lifecycle writers: update, link, unlink, merge, unmerge and erase, on
// a pool of customers of their own (so that the history and promise model
// above keeps its names). The model knows what each customer is — live,
// merged into whom, erased — and which identifiers it holds; a write in
// doubt at a kill marks the customers it touched, and verification reads
// their state back from the server before checking the rest strictly.
// What must hold across kills: an acknowledged change is there, a merge or
// erase is all or nothing (herken check), merged names lead to the live
// survivor, and erased customers are gone from every lookup.

const maxLinked = 3 // extra numbers per pool customer

type lifeState int

const (
	lifeLive lifeState = iota
	lifeMerged
	lifeErased
)

type lifeCustomer struct {
	name   string
	email  string   // unique, linked at create
	phones []string // extra unique numbers, linked by AddIdentifier
	tag    string   // the last tag set by UpdateCustomer ("" none)
	state  lifeState
	into   *lifeCustomer // lifeMerged: the direct survivor
	busy   bool          // a writer holds it
	doubt  bool          // a write on it is in doubt: read it back before checking
	// What the write in doubt may have done to it besides nothing: read
	// back, its state must be the model's or this one. A GetCustomer
	// answer is flat (the live end of a chain of merges), so it cannot
	// tell the direct survivor: that comes from the model, never from the
	// answer.
	mayMergeInto *lifeCustomer // merged into this (live) survivor
	mayUnmerge   bool          // live again
	mayErase     bool          // erased (itself, or its target with it)
}

type lifeModel struct {
	pool  []*lifeCustomer
	stats struct {
		creates, updates, links, unlinks, merges, unmerges, erases, rejected, doubts atomic.Int64
	}
}

// target is the live customer c's name leads to.
func (c *lifeCustomer) target() *lifeCustomer {
	for c.state == lifeMerged {
		c = c.into
	}
	return c
}

// life does one lifecycle write.
func (h *harness) life(ctx context.Context, srv *server, rng *rand.Rand) {
	m := h.m
	m.mu.Lock()
	n := len(m.life.pool)
	m.mu.Unlock()
	switch r := rng.IntN(100); {
	case r < 25 || n < 6:
		h.lifeCreate(ctx, srv)
	case r < 40:
		h.lifeUpdate(ctx, srv, rng)
	case r < 55:
		h.lifeLink(ctx, srv, rng)
	case r < 62:
		h.lifeUnlink(ctx, srv, rng)
	case r < 80:
		h.lifeMerge(ctx, srv, rng)
	case r < 92:
		h.lifeUnmerge(ctx, srv, rng)
	default:
		h.lifeErase(ctx, srv, rng)
	}
}

func (h *harness) lifeCreate(ctx context.Context, srv *server) {
	m := h.m
	n := m.next.Add(1)
	c := &lifeCustomer{email: fmt.Sprintf("leven%d.%s@crash.example", n, m.run)}
	req := &herkenv1.CreateCustomerRequest{
		RequestId:   fmt.Sprintf("lc-%s-%d", m.run, n),
		Customer:    &herkenv1.Customer{DisplayName: fmt.Sprintf("Leven %d", n)},
		Identifiers: []*herkenv1.Identifier{emailID(c.email)},
	}
	resp, err := srv.customers.CreateCustomer(ctx, req)
	if classify(err) != acked {
		// An unacknowledged create is never used: nothing else names it,
		// and herken check still sees it whole or absent.
		return
	}
	c.name = resp.GetCustomer().GetName()
	h.trace("life create %s %s", c.name, c.email)
	m.mu.Lock()
	m.life.pool = append(m.life.pool, c)
	m.mu.Unlock()
	m.life.stats.creates.Add(1)
	m.stats.acked.Add(1)
}

// pickLive reserves a live, settled customer (wantPhones: with an extra number).
func (m *model) pickLive(rng *rand.Rand, wantPhones bool, not *lifeCustomer) *lifeCustomer {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range 8 {
		if len(m.life.pool) == 0 {
			return nil
		}
		c := m.life.pool[rng.IntN(len(m.life.pool))]
		if c.state == lifeLive && !c.busy && !c.doubt && c != not && (!wantPhones || len(c.phones) > 0) {
			c.busy = true
			return c
		}
	}
	return nil
}

func (m *model) release(doubt bool, cs ...*lifeCustomer) {
	m.mu.Lock()
	for _, c := range cs {
		c.busy = false
		c.doubt = c.doubt || doubt
	}
	m.mu.Unlock()
	if doubt {
		m.life.stats.doubts.Add(1)
	}
}

// settle books the outcome of a write on cs: ok runs under the lock when it
// was acknowledged; a rejection is a bug unless allowed says it is a rule.
func (h *harness) settle(err error, rpc string, ok func(), allowed func(codes.Code) bool, cs ...*lifeCustomer) {
	m := h.m
	switch classify(err) {
	case acked:
		m.mu.Lock()
		ok()
		m.mu.Unlock()
		m.stats.acked.Add(1)
		m.release(false, cs...)
	case rejected:
		if allowed == nil || !allowed(status.Code(err)) {
			h.t.Errorf("cycle %d: %s rejected: %v", h.cycle, rpc, err)
		}
		m.life.stats.rejected.Add(1)
		m.release(false, cs...)
	default:
		m.release(true, cs...)
	}
}

func (h *harness) lifeUpdate(ctx context.Context, srv *server, rng *rand.Rand) {
	c := h.m.pickLive(rng, false, nil)
	if c == nil {
		return
	}
	tag := fmt.Sprintf("t%d", h.m.next.Add(1))
	_, err := srv.customers.UpdateCustomer(ctx, &herkenv1.UpdateCustomerRequest{
		Customer:   &herkenv1.Customer{Name: c.name, Tags: []string{tag}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"tags"}},
	})
	h.settle(err, "UpdateCustomer", func() { c.tag = tag; h.m.life.stats.updates.Add(1) }, nil, c)
}

func (h *harness) lifeLink(ctx context.Context, srv *server, rng *rand.Rand) {
	c := h.m.pickLive(rng, false, nil)
	if c == nil {
		return
	}
	if len(c.phones) >= maxLinked {
		h.m.release(false, c)
		return
	}
	phone := fmt.Sprintf("+3162%07d", h.m.next.Add(1))
	_, err := srv.customers.AddIdentifier(ctx, &herkenv1.AddIdentifierRequest{
		Customer: c.name, Identifier: phoneID(phone), Source: "crash", Label: "mobiel",
	})
	h.trace("life link %s %s: %v", c.name, phone, err)
	h.settle(err, "AddIdentifier", func() { c.phones = append(c.phones, phone); h.m.life.stats.links.Add(1) }, nil, c)
}

func (h *harness) lifeUnlink(ctx context.Context, srv *server, rng *rand.Rand) {
	c := h.m.pickLive(rng, true, nil)
	if c == nil {
		return
	}
	phone := c.phones[rng.IntN(len(c.phones))]
	_, err := srv.customers.RemoveIdentifier(ctx, &herkenv1.RemoveIdentifierRequest{Customer: c.name, Identifier: phoneID(phone)})
	h.settle(err, "RemoveIdentifier", func() {
		c.phones = slices.DeleteFunc(c.phones, func(p string) bool { return p == phone })
		h.m.life.stats.unlinks.Add(1)
	}, nil, c)
}

func (h *harness) lifeMerge(ctx context.Context, srv *server, rng *rand.Rand) {
	a := h.m.pickLive(rng, false, nil)
	if a == nil {
		return
	}
	b := h.m.pickLive(rng, false, a)
	if b == nil {
		h.m.release(false, a)
		return
	}
	_, err := srv.customers.MergeCustomers(ctx, &herkenv1.MergeCustomersRequest{Survivor: a.name, Merged: b.name})
	h.trace("life merge %s into %s: %v", b.name, a.name, err)
	if classify(err) == inDoubt {
		h.m.mu.Lock()
		b.mayMergeInto = a
		h.m.mu.Unlock()
	}
	h.settle(err, "MergeCustomers", func() {
		b.state, b.into = lifeMerged, a
		// b's numbers now go with a; the model keeps them on b and checks
		// that they lead to b's target.
		h.m.life.stats.merges.Add(1)
	}, func(c codes.Code) bool { return c == codes.FailedPrecondition }, a, b) // IDENTIFIER_LIMIT
}

func (h *harness) lifeUnmerge(ctx context.Context, srv *server, rng *rand.Rand) {
	m := h.m
	m.mu.Lock()
	var b *lifeCustomer
	for range 8 {
		if len(m.life.pool) == 0 {
			break
		}
		c := m.life.pool[rng.IntN(len(m.life.pool))]
		if c.state == lifeMerged && !c.busy && !c.doubt && c.into.state == lifeLive && !c.into.busy && !c.into.doubt {
			b = c
			break
		}
	}
	if b == nil {
		m.mu.Unlock()
		return
	}
	a := b.into
	a.busy, b.busy = true, true
	m.mu.Unlock()
	_, err := srv.customers.UnmergeCustomers(ctx, &herkenv1.UnmergeCustomersRequest{Merged: b.name})
	h.trace("life unmerge %s from %s: %v", b.name, a.name, err)
	if classify(err) == inDoubt {
		m.mu.Lock()
		b.mayUnmerge = true
		m.mu.Unlock()
	}
	h.settle(err, "UnmergeCustomers", func() {
		b.state, b.into = lifeLive, nil
		m.life.stats.unmerges.Add(1)
	}, nil, a, b)
}

func (h *harness) lifeErase(ctx context.Context, srv *server, rng *rand.Rand) {
	c := h.m.pickLive(rng, false, nil)
	if c == nil {
		return
	}
	// Everything merged into c goes with it; those are not picked by
	// anyone while c is busy (unmerge needs a settled survivor).
	m := h.m
	m.mu.Lock()
	var gone []*lifeCustomer
	for _, o := range m.life.pool {
		if o.state == lifeMerged && o.target() == c {
			gone = append(gone, o)
		}
	}
	m.mu.Unlock()
	_, err := srv.customers.EraseCustomer(ctx, &herkenv1.EraseCustomerRequest{Name: c.name})
	h.trace("life erase %s (gone %d): %v", c.name, len(gone), err)
	if classify(err) == inDoubt {
		m.mu.Lock()
		for _, o := range append(gone, c) {
			o.mayErase = true
		}
		m.mu.Unlock()
	}
	h.settle(err, "EraseCustomer", func() {
		c.state = lifeErased
		for _, o := range gone {
			o.state, o.into = lifeErased, nil
		}
		m.life.stats.erases.Add(1)
	}, nil, c)
	if classify(err) == inDoubt {
		m.release(true, gone...)
	}
}

// verifyLife reads back the customers a write in doubt touched, then checks
// every pool customer against the model.
func (h *harness) verifyLife(srv *server) {
	h.t.Helper()
	m := h.m
	m.mu.Lock()
	pool := slices.Clone(m.life.pool)
	m.mu.Unlock()
	// Settle doubts first: each customer's state is what the server says,
	// among what the model allows.
	for _, c := range pool {
		if !c.doubt {
			continue
		}
		ctx, cancel := vctx()
		resp, err := srv.customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: c.name})
		cancel()
		h.trace("life doubt %s (model state %d into %v): server %s merged_name %q %v", c.name, c.state, c.into != nil, resp.GetCustomer().GetName(), resp.GetMergedName(), err)
		switch {
		case status.Code(err) == codes.NotFound && reasonOf(err) == "CUSTOMER_ERASED":
			if !c.mayErase {
				h.lost("%s is erased; no erasure of it was in doubt", c.name)
			}
			c.state, c.into = lifeErased, nil
		case err != nil:
			h.fatalf(srv, "read back %s: %v", c.name, err)
		case resp.GetMergedName() != "":
			// Its merged name leads to the live end of its chain: either
			// the chain the model has (a write on it did not happen: an
			// erasure, an unmerge) or the survivor of its merge in doubt.
			got := resp.GetCustomer().GetName()
			switch {
			case c.state == lifeMerged && c.target().name == got:
				// unchanged: c.into stays its direct survivor
			case c.mayMergeInto != nil && c.mayMergeInto.name == got:
				c.state, c.into = lifeMerged, c.mayMergeInto
			default:
				h.lost("%s was merged into %s, which no write made or left in doubt", c.name, got)
				continue
			}
		default:
			if c.state != lifeLive && !c.mayUnmerge {
				h.lost("%s is live; no unmerge of it was in doubt", c.name)
			}
			c.state, c.into = lifeLive, nil
			// Which of its tags an UpdateCustomer set cannot be told from
			// the ones a merge in doubt joined in (an unmerge takes those
			// away again): no tag is expected until the next acknowledged
			// update.
			c.tag = ""
			c.phones = nil
			for _, l := range resp.GetCustomer().GetIdentifiers() {
				if l.GetIdentifier().GetKind() == herkenv1.IdentifierKind_IDENTIFIER_KIND_PHONE_NUMBER && l.GetMergedFrom() == "" {
					c.phones = append(c.phones, l.GetIdentifier().GetValue())
				}
			}
		}
		c.doubt, c.mayMergeInto, c.mayUnmerge, c.mayErase = false, nil, false, false
	}
	for _, c := range pool {
		h.verifyLifeCustomer(srv, c)
	}
}

func (h *harness) verifyLifeCustomer(srv *server, c *lifeCustomer) {
	ctx, cancel := vctx()
	defer cancel()
	resp, err := srv.customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: c.name})
	ids := append([]string{c.email}, c.phones...)
	switch c.state {
	case lifeErased:
		if reasonOf(err) != "CUSTOMER_ERASED" {
			h.lost("erased %s answers %v", c.name, err)
		}
		for _, id := range ids {
			h.wantHolder(srv, c, id, "")
		}
		return
	case lifeMerged:
		t := c.target()
		if err != nil || resp.GetCustomer().GetName() != t.name || resp.GetMergedName() != c.name {
			h.lost("merged %s: GetCustomer = %s (merged_name %q), %v; want its survivor %s", c.name, resp.GetCustomer().GetName(), resp.GetMergedName(), err, t.name)
		}
		for _, id := range ids {
			h.wantHolder(srv, c, id, t.name)
		}
	default:
		if err != nil || resp.GetCustomer().GetName() != c.name || resp.GetMergedName() != "" {
			h.lost("live %s: GetCustomer = %s (merged_name %q), %v", c.name, resp.GetCustomer().GetName(), resp.GetMergedName(), err)
			return
		}
		if c.tag != "" && !slices.Contains(resp.GetCustomer().GetTags(), c.tag) {
			h.lost("%s lost its tag %s: %v", c.name, c.tag, resp.GetCustomer().GetTags())
		}
		for _, id := range ids {
			h.wantHolder(srv, c, id, c.name)
		}
	}
}

// wantHolder checks that identifier id (an email or a phone) of c finds
// holder, or nothing when holder is "".
func (h *harness) wantHolder(srv *server, c *lifeCustomer, id, holder string) {
	ident := emailID(id)
	if id[0] == '+' {
		ident = phoneID(id)
	}
	_, holders, err := lookup(srv, ident, 0)
	switch {
	case err != nil:
		h.fatalf(srv, "lookup during verification: %v", err)
	case holder == "" && len(holders) != 0:
		h.lost("identifier of erased %s still finds %v", c.name, holders)
	case holder != "" && !slices.Equal(holders, []string{holder}):
		h.lost("identifier of %s finds %v, want %s", c.name, holders, holder)
	}
}

// reasonOf is the ErrorInfo reason of err, "" if none.
func reasonOf(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return ""
	}
	for _, d := range st.Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok {
			return ei.GetReason()
		}
	}
	return ""
}

func (h *harness) lifeSummary() string {
	s := &h.m.life.stats
	return fmt.Sprintf("lifecycle: %d creates, %d updates, %d links, %d unlinks, %d merges, %d unmerges, %d erases acknowledged; %d rejected by a rule, %d in doubt",
		s.creates.Load(), s.updates.Load(), s.links.Load(), s.unlinks.Load(), s.merges.Load(), s.unmerges.Load(), s.erases.Load(), s.rejected.Load(), s.doubts.Load())
}
