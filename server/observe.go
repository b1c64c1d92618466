package server

import (
	"context"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"time"

	middleware "github.com/grpc-ecosystem/go-grpc-middleware/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/metrics"
)

// requestIDHeader carries the request id both ways: a caller may set it to
// tie herken's log line to its own; herken always answers with it.
const requestIDHeader = "x-request-id"

// observeInterceptors are the outermost interceptors, so they see every
// call with its final code, refused ones included: the call's request id
// and state first (everything inside may read it), then the gRPC metrics,
// herken's per-key and outcome counters, and the log line.
func (s *Server) observeInterceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	unary := []grpc.UnaryServerInterceptor{callInfoUnary}
	streams := []grpc.StreamServerInterceptor{callInfoStream}
	if m := s.cfg.Metrics; m != nil {
		unary = append(unary, m.UnaryServerInterceptor(), s.countUnary)
		streams = append(streams, m.StreamServerInterceptor(), s.countStream)
	}
	unary = append(unary, s.logUnary)
	streams = append(streams, s.logStream)
	return unary, streams
}

// callInfo is what the outer interceptors know of a call. It lives in the
// call's context, set up before anything else runs.
type callInfo struct {
	id string
	// caller is the key name once authentication knows it (noteCaller).
	// The interceptors inside run on the same goroutine, so no lock.
	caller string
}

type callInfoKey struct{}

func infoOf(ctx context.Context) *callInfo {
	ci, _ := ctx.Value(callInfoKey{}).(*callInfo)
	return ci
}

// requestID is the call's request id: the x-request-id header, or one
// minted for the call.
func requestID(ctx context.Context) string {
	if ci := infoOf(ctx); ci != nil {
		return ci.id
	}
	return ""
}

// noteCaller tells the outer interceptors (log line, per-key metrics) who
// the authenticated caller is. They run outside authentication, so they
// never see the context it derives; authentication calls this once it
// knows the key name.
func noteCaller(ctx context.Context, name string) {
	if ci := infoOf(ctx); ci != nil {
		ci.caller = name
	}
}

// keyName is the caller's key name for logs and metrics.
func keyName(ctx context.Context) string {
	if ci := infoOf(ctx); ci != nil && ci.caller != "" {
		return ci.caller
	}
	return callerName(ctx)
}

// refused counts a call refused before its handler (reason: unauthenticated,
// permission_denied, rate_limited) under the caller's key name.
func (s *Server) refused(ctx context.Context, reason string) {
	m := s.cfg.Metrics
	if m == nil {
		return
	}
	key := metrics.KeyUnknown // no key herken knows
	if reason != metrics.ReasonUnauthenticated {
		key = keyName(ctx)
	}
	m.Refused(key, reason)
}

// withCallInfo starts a call's state with its request id and sends the id
// back in the response trailer. Not the header: a header set before the
// handler fails turns the error into a non-trailers-only response, which
// clients count as committed and never retry (client.ServiceConfig retries
// reads on UNAVAILABLE).
func withCallInfo(ctx context.Context) (context.Context, metadata.MD) {
	id := ""
	if v := metadata.ValueFromIncomingContext(ctx, requestIDHeader); len(v) == 1 && validRequestID(v[0]) {
		id = v[0]
	} else {
		id = newRequestID()
	}
	return context.WithValue(ctx, callInfoKey{}, &callInfo{id: id}), metadata.MD{requestIDHeader: {id}}
}

func callInfoUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx, md := withCallInfo(ctx)
	_ = grpc.SetTrailer(ctx, md)
	return h(ctx, req)
}

func callInfoStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx, md := withCallInfo(ss.Context())
	_ = ss.SetHeader(md) // a stream's header: its trailer would come only when it ends
	w := middleware.WrapServerStream(ss)
	w.WrappedContext = ctx
	return h(srv, w)
}

// validRequestID: 1..64 of [A-Za-z0-9._-] with at least one letter.
// Anything else is replaced, so a caller cannot put arbitrary text (or
// personal data) into the logs: no '@' or '+', and no all-digit id, which
// could be a phone number written without separators.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	letter := false
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-':
		default:
			return false
		}
	}
	return letter
}

// newRequestID is 16 random hex digits: unique enough to find a call in the
// logs; not a secret, so the fast generator will do.
func newRequestID() string {
	var b [8]byte
	u := rand.Uint64()
	for i := range b {
		b[i] = byte(u >> (8 * i))
	}
	return hex.EncodeToString(b[:])
}

// countUnary counts the call per key and code, and a recognition call's
// outcome.
func (s *Server) countUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	m := s.cfg.Metrics
	m.Call(keyName(ctx), status.Code(err).String())
	if err == nil {
		switch info.FullMethod {
		case herkenv1.RecognitionService_Lookup_FullMethodName, herkenv1.RecognitionService_Resolve_FullMethodName:
			if method, outcome := recognitionOutcome(resp); outcome != "" {
				m.Outcome(method, outcome)
			}
		}
	}
	return resp, err
}

func (s *Server) countStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	err := h(srv, ss)
	s.cfg.Metrics.Call(keyName(ss.Context()), status.Code(err).String())
	return err
}

// recognitionOutcome is the outcome label of a Lookup or Resolve response.
func recognitionOutcome(resp any) (method, outcome string) {
	switch r := resp.(type) {
	case *herkenv1.LookupResponse:
		switch {
		case r.GetWithheld():
			return metrics.MethodLookup, metrics.OutcomeWithheld
		case r.GetOutcome() == herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND:
			return metrics.MethodLookup, metrics.OutcomeFound
		case r.GetOutcome() == herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS:
			return metrics.MethodLookup, metrics.OutcomeAmbiguous
		case r.GetOutcome() == herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND:
			return metrics.MethodLookup, metrics.OutcomeNotFound
		}
	case *herkenv1.ResolveResponse:
		switch r.GetOutcome() {
		case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED, herkenv1.ResolveOutcome_RESOLVE_OUTCOME_PARTIAL:
			return metrics.MethodResolve, metrics.OutcomeFound
		case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_AMBIGUOUS:
			return metrics.MethodResolve, metrics.OutcomeAmbiguous
		case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_CONFLICT:
			return metrics.MethodResolve, metrics.OutcomeConflict
		case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_NOT_FOUND:
			for _, m := range r.GetMatches() {
				if !m.GetWithheld() {
					return metrics.MethodResolve, metrics.OutcomeNotFound
				}
			}
			return metrics.MethodResolve, metrics.OutcomeWithheld
		}
	}
	return "", ""
}

// logUnary and logStream write the one line of a finished call
// (logCall).
func (s *Server) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	s.logCall(ctx, info.FullMethod, start, err, true)
	return resp, err
}

func (s *Server) logStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	// A stream's length is its work (an import of 10,000 records, a
	// backup, a health watch), not a slow call: a success is DEBUG.
	s.logCall(ss.Context(), info.FullMethod, start, err, false)
	return err
}

// logCall writes a finished call's line: a failed call at its code's level
// (codeToLevel), a successful one at DEBUG, or WARN when slower than
// SlowCall, so the default (INFO) writes a line per failed or slow call
// only and stays bounded under load. The fields are built only when the
// level is enabled: a fast successful Lookup pays for the clock alone.
// Never a payload: requests and responses hold personal data, and status
// messages never do.
func (s *Server) logCall(ctx context.Context, method string, start time.Time, err error, slowWarns bool) {
	d := time.Since(start)
	code := status.Code(err)
	lvl, msg := slog.LevelDebug, "call"
	switch {
	case err != nil:
		lvl, msg = codeToLevel(code), "call failed"
	case slowWarns && d > s.cfg.SlowCall:
		lvl, msg = slog.LevelWarn, "slow call"
	}
	if !s.log.Enabled(ctx, lvl) {
		return
	}
	fields := []any{"method", method, "key", keyName(ctx), "request_id", requestID(ctx), "grpc.code", code.String(), "duration", d}
	if err != nil {
		fields = append(fields, "grpc.error", err.Error())
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		fields = append(fields, "peer.address", p.Addr.String())
	}
	s.log.Log(ctx, lvl, msg, fields...)
}
