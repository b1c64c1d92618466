// Package herkenv1 holds the herken.v1 API: the messages and gRPC services
// generated from proto/herken/v1/*.proto (do not edit the *.pb.go files;
// run make generate). It imports only protobuf, gRPC and genproto.
package herkenv1
