package server

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/server/metrics"
	"github.com/herken/herken/server/poplink"
)

// ScreenPop configures the screen pop links (ScreenPopService).
type ScreenPop struct {
	// Signer seals and opens the links' tokens; nil turns the screen pop
	// off (FAILED_PRECONDITION / SCREEN_POP_UNAVAILABLE).
	Signer *poplink.Signer
	// PageURL is the address of the HTTP server that serves the page, e.g.
	// "https://herken.example.nl"; a link is PageURL + "/screen-pop/" +
	// token. Required with Signer.
	PageURL string
	// DefaultTTL is how long a link opens when the caller does not say;
	// default 2 minutes, at least 1s, at most MaxScreenPopTTL.
	DefaultTTL time.Duration
}

// MaxScreenPopTTL is the longest a screen pop link may open: a link is a
// bearer capability, and a call is over long before.
const MaxScreenPopTTL = 15 * time.Minute

// Validate checks p and fills defaults.
func (p *ScreenPop) Validate() error {
	if p.DefaultTTL == 0 {
		p.DefaultTTL = 2 * time.Minute
	}
	if !validTTL(p.DefaultTTL) {
		return errors.New("server: the screen pop TTL must be between 1s and 15m")
	}
	if p.Signer == nil && p.PageURL == "" {
		return nil
	}
	u, err := url.Parse(p.PageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("server: the screen pop page URL must be an http(s) address without query, e.g. https://herken.example.nl")
	}
	p.PageURL = strings.TrimSuffix(p.PageURL, "/")
	return nil
}

func validTTL(d time.Duration) bool { return d >= time.Second && d <= MaxScreenPopTTL }

type screenPopServer struct {
	herkenv1.UnimplementedScreenPopServiceServer
	*Server
}

func (s *Server) screenPopOff() error {
	return newStatus(codes.FailedPrecondition, &herken.Error{
		Reason: ReasonScreenPopUnavailable, Message: "this server has no screen pop: start it with an HTTP address (--http-addr)",
	})
}

func (s screenPopServer) CreateScreenPopLink(ctx context.Context, req *herkenv1.CreateScreenPopLinkRequest) (*herkenv1.CreateScreenPopLinkResponse, error) {
	var v violations
	n := s.normalize(req.GetIdentifier(), "identifier", &v)
	ttl := s.cfg.ScreenPop.DefaultTTL
	if d := req.GetTtl(); d != nil {
		switch got := d.AsDuration(); {
		case !d.IsValid() || got != 0 && !validTTL(got):
			v.addf(herken.ReasonFieldInvalid, "ttl", "must be 0 (the default) or between 1s and 15m")
		case got > 0:
			ttl = got
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	signer := s.cfg.ScreenPop.Signer
	if signer == nil {
		return nil, s.screenPopOff()
	}
	exp := s.svc.Now().Add(ttl).Truncate(time.Millisecond) // what a token holds
	tok, err := signer.Seal(poplink.Claims{Identifier: n.Identifier, Withheld: n.Withheld, Signer: callerName(ctx), Expires: exp})
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &herkenv1.CreateScreenPopLinkResponse{
		Url:        s.cfg.ScreenPop.PageURL + "/screen-pop/" + tok,
		Token:      tok,
		ExpireTime: timeToPB(exp),
	}, nil
}

func (s screenPopServer) GetScreenPop(ctx context.Context, req *herkenv1.GetScreenPopRequest) (*herkenv1.GetScreenPopResponse, error) {
	grant, ok := linkFromContext(ctx)
	claims := grant.Claims
	if !ok && s.cfg.ScreenPop.Signer == nil {
		return nil, s.screenPopOff() // no link can open here
	}
	if !ok {
		// Only a call that passed authLink gets here with claims; anything
		// else is a bug, not the caller's.
		return nil, toStatus(ctx, s.log, errors.New("GetScreenPop without link claims"), "")
	}
	var v violations
	pick := ""
	if req.GetCustomer() != "" {
		id, err := parseCustomerName(req.GetCustomer(), "customer")
		v.add(err, "")
		pick = id
	}
	limit := interactionLimit(req.GetInteractionLimit(), &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	pop, err := s.svc.ScreenPop(ctx, herken.ScreenPopQuery{
		Caller:       identity.Normalized{Identifier: claims.Identifier, Withheld: claims.Withheld},
		Pick:         pick,
		NamePrefix:   req.GetNamePrefix(),
		HistoryLimit: limit,
		Search:       grant.search,
	})
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	out := &herkenv1.GetScreenPopResponse{
		Outcome:             herkenv1.MatchOutcome(pop.Lookup.Outcome),
		CanonicalIdentifier: canonicalToPB(pop.Lookup.Input.Identifier),
		Withheld:            pop.Lookup.Input.Withheld,
		Customer:            recognizedToPB(pop.Shown),
		Candidates:          summariesToPB(pop.Lookup.Candidates),
		SearchResults:       summariesToPB(pop.Search),
		ExpireTime:          timeToPB(claims.Expires),
		SignedBy:            claims.Signer,
		SearchAllowed:       grant.search,
	}
	now := s.svc.Now()
	for _, p := range pop.Broken {
		out.BrokenPromises = append(out.BrokenPromises, promiseToPB(p, now))
	}
	for _, in := range pop.Unanswered {
		out.UnansweredFeedback = append(out.UnansweredFeedback, interactionToPB(in))
	}
	return out, nil
}

type linkKey struct{}

// linkGrant is what an opened link allows.
type linkGrant struct {
	poplink.Claims
	// search: the link may search by name (its signer may read customers).
	search bool
}

func linkFromContext(ctx context.Context) (linkGrant, bool) {
	g, ok := ctx.Value(linkKey{}).(linkGrant)
	return g, ok
}

// authLink authenticates GetScreenPop (auth.ScopeLink) by its link
// instead of an API key: it opens the token and names the caller after the
// key that signed it, so the rate limiter, the audit trail, logs and
// metrics count the view against that key. A link whose key was revoked,
// or lost the lookup scope, since it was signed no longer opens.
func (s *Server) authLink(ctx context.Context, req any, handler grpc.UnaryHandler) (any, error) {
	signer := s.cfg.ScreenPop.Signer
	if signer == nil {
		return nil, s.screenPopOff()
	}
	// A request that does not decode has no link to look at: it is
	// INVALID_ARGUMENT, as for every other RPC.
	if err := undecodable(req); err != nil {
		return nil, err
	}
	r, _ := req.(*herkenv1.GetScreenPopRequest)
	claims, err := signer.Open(r.GetToken(), s.svc.Now())
	// Without authentication every caller has every scope; with it, a link
	// may do what its key may do now: look up its identifier (lookup), and
	// search customers by name only if the key may read them (write).
	search := true
	if err == nil && s.cfg.Keys != nil {
		id, ok := s.cfg.Keys.Named(claims.Signer)
		if !ok || !id.Has(auth.ScopeLookup) {
			err = poplink.ErrInvalid
		}
		search = id.Has(auth.ScopeWrite)
	}
	switch {
	case errors.Is(err, poplink.ErrExpired):
		s.refused(ctx, metrics.ReasonUnauthenticated)
		return nil, newStatus(codes.Unauthenticated, &herken.Error{
			Reason: ReasonScreenPopLinkExpired, Message: "this screen pop link has expired: ask for a new one",
		})
	case err != nil:
		s.refused(ctx, metrics.ReasonUnauthenticated)
		return nil, newStatus(codes.Unauthenticated, &herken.Error{
			Reason: ReasonScreenPopLinkInvalid, Message: "this is not a valid screen pop link",
		})
	}
	ctx = auth.NewContext(ctx, auth.Identity{Name: claims.Signer})
	noteCaller(ctx, claims.Signer)
	return handler(context.WithValue(ctx, linkKey{}, linkGrant{Claims: claims, search: search}), req)
}
