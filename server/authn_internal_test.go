package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/herken/herken"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/auth"
)

// methodStream is the server transport stream grpc.Method reads.
type methodStream struct {
	grpc.ServerTransportStream
	method string
}

func (m methodStream) Method() string { return m.method }

// TestCallerNameIsTheAuthenticatedName: what the limiter, the audit and
// the handlers see is the name of the key or certificate that called.
func TestCallerNameIsTheAuthenticatedName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	key, err := auth.Create(path, "pbx-1", []auth.Scope{auth.ScopeLookup}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Create(path, "ivr-2", []auth.Scope{auth.ScopeLookup}, true); err != nil {
		t.Fatal(err)
	}
	ring, err := auth.Load(path, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	s, err := New(nil, Config{Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	base := grpc.NewContextWithServerTransportStream(context.Background(), methodStream{method: herkenv1.RecognitionService_Lookup_FullMethodName})

	if got := callerName(base); got != herken.AnonymousActor {
		t.Errorf("callerName without authentication = %q", got)
	}
	ctx, err := s.authenticate(metadata.NewIncomingContext(base, metadata.Pairs("authorization", "Bearer "+key)))
	if err != nil {
		t.Fatal(err)
	}
	if got := callerName(ctx); got != "pbx-1" {
		t.Errorf("callerName with pbx-1's key = %q", got)
	}

	// A verified certificate with a DNS SAN naming ivr-2.
	leaf := &x509.Certificate{Subject: pkix.Name{CommonName: "something else"}, DNSNames: []string{"ivr-2"}}
	tlsPeer := func(verified bool) context.Context {
		st := tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
		if verified {
			st.VerifiedChains = [][]*x509.Certificate{{leaf}}
		}
		return peer.NewContext(base, &peer.Peer{AuthInfo: credentials.TLSInfo{State: st}})
	}
	ctx, err = s.authenticate(tlsPeer(true))
	if err != nil {
		t.Fatal(err)
	}
	if got := callerName(ctx); got != "ivr-2" {
		t.Errorf("callerName with ivr-2's certificate = %q", got)
	}
	if id, _ := auth.FromContext(ctx); !id.Certificate {
		t.Error("identity does not say a certificate authenticated it")
	}
	if _, err := s.authenticate(tlsPeer(false)); err == nil {
		t.Error("an unverified certificate authenticated")
	}
}
