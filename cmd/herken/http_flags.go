package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/herken/herken/server"
	"github.com/herken/herken/server/gateway"
)

// httpFlags configure the HTTP/JSON gateway (server/gateway).
type httpFlags struct {
	Addr string
}

func (f *httpFlags) addFlags(e *envFlags) {
	e.String(&f.Addr, "http-addr", "", "also serve the API as HTTP/JSON on this address (e.g. localhost:8080): GET /v1/lookup?phone=…, the OpenAPI document at /v1/openapi.json; with --tls-cert over HTTPS; off by default")
}

func (f *httpFlags) validate(tls tlsFlags) error {
	if f.Addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(f.Addr); err != nil {
		return fmt.Errorf("--http-addr %q: want host:port", f.Addr)
	}
	if tls.ClientCA != "" {
		return errors.New("--http-addr does not work with --tls-client-ca yet: HTTP callers authenticate with API keys")
	}
	return nil
}

// startGateway serves the HTTP/JSON gateway: the gRPC server also serves
// an in-memory listener, and the gateway calls it over that, so every
// HTTP call passes the same interceptors. stop shuts both down.
func (f *httpFlags) startGateway(ctx context.Context, srv *server.Server, t tlsFlags, grpcTLS bool, log *slog.Logger) (stop func(), err error) {
	if f.Addr == "" {
		return func() {}, nil
	}
	mem := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(mem) }()
	creds := insecure.NewCredentials()
	if grpcTLS {
		// The server speaks TLS on every listener. This connection is an
		// in-memory pipe inside the process: there is nobody to verify.
		creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: true}) //nolint:gosec
	}
	conn, err := grpc.NewClient("passthrough:///herken-gateway",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return mem.DialContext(ctx) }),
		grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, err
	}
	h, err := gateway.New(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	lis, err := net.Listen("tcp", f.Addr)
	if err != nil {
		conn.Close()
		return nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if t.Cert != "" {
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			lis.Close()
			conn.Close()
			return nil, fmt.Errorf("--http-addr with --tls-cert: %w", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		lis = tls.NewListener(lis, hs.TLSConfig)
	}
	go func() {
		if err := hs.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP gateway stopped", "error", err)
		}
	}()
	log.Info("HTTP/JSON gateway serving", "http_addr", lis.Addr().String(), "tls", t.Cert != "")
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		conn.Close()
	}, nil
}
