package server

import (
	"context"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	grpcauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/herken/herken"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/server/metrics"
)

// authInterceptors authenticate every call as the scope table says
// (auth.ScopeFor): health checks need nothing (load balancers and
// orchestrators probe without a key); a screen pop view (auth.ScopeLink)
// needs its signed link, opened by authLink, with or without keys; every
// other call needs a key with its RPC's scope. Without a keyring there is
// no key to check: every caller is herken.AnonymousActor with every scope.
func (s *Server) authInterceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	unary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		scope, known := auth.ScopeFor(info.FullMethod)
		switch {
		case scope == auth.ScopeLink && known:
			return s.authLink(ctx, req, handler)
		case s.cfg.Keys == nil || isHealth(info.FullMethod):
			return handler(ctx, req)
		}
		ctx, err := s.authorize(ctx, scope, known)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
	var streams []grpc.StreamServerInterceptor
	if s.cfg.Keys == nil && s.cfg.ScreenPop.Signer == nil {
		return nil, nil // nothing to check: no interceptor on every call
	}
	if s.cfg.Keys != nil {
		notHealth := selector.MatchFunc(func(_ context.Context, c interceptors.CallMeta) bool {
			return c.Service != healthpb.Health_ServiceDesc.ServiceName
		})
		streams = append(streams, selector.StreamServerInterceptor(grpcauth.StreamServerInterceptor(s.authenticate), notHealth))
	}
	return []grpc.UnaryServerInterceptor{unary}, streams
}

func isHealth(fullMethod string) bool {
	rest, ok := strings.CutPrefix(fullMethod, "/"+healthpb.Health_ServiceDesc.ServiceName)
	return ok && strings.HasPrefix(rest, "/")
}

// authenticate is the streams' AuthFunc: authorize for the stream's RPC.
func (s *Server) authenticate(ctx context.Context) (context.Context, error) {
	method, _ := grpc.Method(ctx)
	scope, known := auth.ScopeFor(method)
	return s.authorize(ctx, scope, known)
}

// authorize names the caller (bearer key, else a client certificate that
// stands for a key) and checks that it holds scope, its RPC's (known is
// false for an RPC without a row in the scope table).
func (s *Server) authorize(ctx context.Context, scope auth.Scope, known bool) (context.Context, error) {
	id, err := s.identify(ctx)
	if err != nil {
		s.refused(ctx, metrics.ReasonUnauthenticated)
		return nil, err
	}
	ctx = auth.NewContext(ctx, id)
	noteCaller(ctx, id.Name)               // for the log line and metrics outside this interceptor
	ok := known && scope != auth.ScopeLink // a link's RPC is no key's
	if !ok {
		// A registered RPC without a row in the scope table: refused until
		// someone decides its scope.
		s.refused(ctx, metrics.ReasonPermissionDenied)
		return nil, newStatus(codes.PermissionDenied, &herken.Error{
			Reason: ReasonScopeMissing, Message: "no API key may call this method",
		})
	}
	if !id.Has(scope) {
		s.refused(ctx, metrics.ReasonPermissionDenied)
		return nil, newStatus(codes.PermissionDenied, &herken.Error{
			Reason:   ReasonScopeMissing,
			Message:  "this API key lacks the " + string(scope) + " scope this method needs",
			Metadata: map[string]string{"scope": string(scope)},
		})
	}
	return ctx, nil
}

// identify finds the caller. A bearer key, if the call has an
// authorization header, decides; otherwise a verified client certificate
// named in a "certificate" entry of the keys file.
func (s *Server) identify(ctx context.Context) (auth.Identity, error) {
	vals := metadata.ValueFromIncomingContext(ctx, "authorization")
	if len(vals) == 0 {
		if id, ok := s.certificateIdentity(ctx); ok {
			return id, nil
		}
		return auth.Identity{}, newStatus(codes.Unauthenticated, &herken.Error{
			Reason: ReasonAPIKeyMissing, Message: `no API key: send "authorization: Bearer <key>"`,
		})
	}
	scheme, token, found := strings.Cut(vals[0], " ")
	if len(vals) > 1 || !found || !strings.EqualFold(scheme, "bearer") || token == "" {
		return auth.Identity{}, newStatus(codes.Unauthenticated, &herken.Error{
			Reason: ReasonAPIKeyInvalid, Message: `the authorization header is not "Bearer <key>"`,
		})
	}
	id, ok := s.cfg.Keys.Authenticate(strings.TrimSpace(token))
	if !ok {
		return auth.Identity{}, newStatus(codes.Unauthenticated, &herken.Error{
			Reason: ReasonAPIKeyInvalid, Message: "unknown or revoked API key",
		})
	}
	return id, nil
}

// certificateIdentity is the keys file's certificate entry for the
// verified client certificate of the connection, if any. Only a chain the
// TLS layer verified against the client CA counts.
func (s *Server) certificateIdentity(ctx context.Context) (auth.Identity, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return auth.Identity{}, false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.PeerCertificates) == 0 {
		return auth.Identity{}, false
	}
	leaf := info.State.PeerCertificates[0]
	names := append([]string{leaf.Subject.CommonName}, leaf.DNSNames...)
	for _, u := range leaf.URIs {
		names = append(names, u.String())
	}
	return s.cfg.Keys.Certificate(names)
}

// callerName is the name of the key (or certificate) that made the call,
// herken.AnonymousActor without authentication.
func callerName(ctx context.Context) string {
	if id, ok := auth.FromContext(ctx); ok {
		return id.Name
	}
	return herken.AnonymousActor
}
