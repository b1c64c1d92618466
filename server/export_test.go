package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// CallInProcess runs the unary RPC method (a full method name) of s in
// process: through the interceptors New installs and the registered
// handler, with ctx as the handler's context and req as the decoded
// request. It reaches what no client can send over the wire, such as a
// handler whose deadline has passed: grpc-go answers an expired deadline
// on the client, and its server transport answers one itself, before any
// of herken's code runs.
func CallInProcess(ctx context.Context, s *Server, method string, req proto.Message) (any, error) {
	svcName, name, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	for _, svc := range s.services() {
		if svc.desc.ServiceName != svcName {
			continue
		}
		for _, m := range svc.desc.Methods {
			if m.MethodName == name {
				dec := func(v any) error {
					proto.Merge(v.(proto.Message), req)
					return nil
				}
				return m.Handler(svc.impl, ctx, dec, chain(s.unary))
			}
		}
	}
	return nil, fmt.Errorf("no unary method %s", method)
}

// chain folds interceptors into one, the first outermost, as
// grpc.ChainUnaryInterceptor does.
func chain(ics []grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		next := handler
		for i := len(ics) - 1; i >= 0; i-- {
			ic, inner := ics[i], next
			next = func(ctx context.Context, req any) (any, error) { return ic(ctx, req, info, inner) }
		}
		return next(ctx, req)
	}
}
