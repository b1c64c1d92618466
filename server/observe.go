package server

// PLACEHOLDER: the metrics helper replaces this file.

import (
	"context"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/grpc"
)

func (s *Server) observeInterceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	return []grpc.UnaryServerInterceptor{logging.UnaryServerInterceptor(rpcLogger(s.log), logging.WithLogOnEvents(logging.FinishCall),
			logging.WithLevels(codeToLevel))}, []grpc.StreamServerInterceptor{logging.StreamServerInterceptor(rpcLogger(s.log), logging.WithLogOnEvents(logging.FinishCall),
			logging.WithLevels(codeToLevel))}
}

// requestID is the call's request id: the x-request-id header, or one
// minted for the call.
func requestID(ctx context.Context) string { return "" }

// refused counts a call refused before its handler (reason: unauthenticated,
// permission_denied, rate_limited) under the caller's key name.
func (s *Server) refused(ctx context.Context, reason string) {}
