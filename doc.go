// Package herken holds the domain of herken: customers and their linked
// identifiers, interactions (history and feedback), promises, the rules
// that govern them (service.go, rules.go), the Service that applies them,
// and the Store interface every storage backend implements.
//
// It may import the standard library, golang.org/x/text and
// github.com/herken/herken/identity (canonical identifiers) — nothing of
// gRPC, protobuf or any store. The gRPC layer (server) translates requests
// into Service calls; the stores (store/badgerstore, store/memstore) apply
// the rules atomically and pass the conformance suite in store/storetest.
// Errors are *Error values with a Code and a machine Reason; the server maps
// each Code to one gRPC status code.
package herken
