package server

// PLACEHOLDER: the audit helper replaces this file.

import (
	"google.golang.org/grpc"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

func (s *Server) auditInterceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	return nil, nil
}

type auditServer struct {
	herkenv1.UnimplementedAuditServiceServer
	*Server
}
