package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/herken/herken"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/server/metrics"
)

// transportStream is the server transport stream grpc.Method and
// grpc.SetTrailer use, without a transport.
type transportStream struct{ method string }

func (s transportStream) Method() string               { return s.method }
func (s transportStream) SetHeader(metadata.MD) error  { return nil }
func (s transportStream) SendHeader(metadata.MD) error { return nil }
func (s transportStream) SetTrailer(metadata.MD) error { return nil }

type discardRecorder struct{}

func (discardRecorder) Record(herken.AuditRecord) {}

// BenchmarkInterceptorChain is what the interceptors New installs cost a
// successful Lookup, without the handler and the transport: bare (no key,
// metrics or audit) and the production stack (key, metrics, audit, a JSON
// logger at INFO). Rate limiting is off so the loop is never refused.
func BenchmarkInterceptorChain(b *testing.B) {
	path := filepath.Join(b.TempDir(), "keys")
	key, err := auth.Create(path, "pbx-1", []auth.Scope{auth.ScopeLookup}, false)
	if err != nil {
		b.Fatal(err)
	}
	ring, err := auth.Load(path, auth.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ring.Close()
	svc := herken.NewService(nil, nil, herken.ServiceConfig{})
	unlimited := Limits{Unlimited: true}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"bare", Config{Limits: unlimited}},
		{"production", Config{Limits: unlimited, Keys: ring, Metrics: metrics.New(), Audit: discardRecorder{},
			Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := New(svc, tc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			info := &grpc.UnaryServerInfo{FullMethod: herkenv1.RecognitionService_Lookup_FullMethodName}
			ctx := grpc.NewContextWithServerTransportStream(context.Background(), transportStream{info.FullMethod})
			ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}})
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer "+key))
			resp := &herkenv1.LookupResponse{
				Outcome:  herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND,
				Customer: &herkenv1.RecognizedCustomer{Customer: &herkenv1.Customer{Name: "customers/0123456789abcdef"}},
			}
			handler := func(context.Context, any) (any, error) { return resp, nil }
			call := chain(s.unary)
			req := &herkenv1.LookupRequest{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := call(ctx, req, info, handler); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
