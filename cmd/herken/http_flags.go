package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/server/gateway"
	"github.com/herken/herken/server/poplink"
	"github.com/herken/herken/server/screenpop"
)

// httpFlags configure the HTTP/JSON gateway (server/gateway) and the
// agents' screen pop page (server/screenpop) on the same address.
type httpFlags struct {
	Addr string

	PopSecretFile     string
	PopURL            string
	PopTTL            time.Duration
	PopFrameAncestors string
	PopTimezone       string
}

func (f *httpFlags) addFlags(e *envFlags) {
	e.String(&f.Addr, "http-addr", "", "also serve the API as HTTP/JSON on this address (e.g. localhost:8080): GET /v1/lookup?phone=…, the OpenAPI document at /v1/openapi.json, and the agents' screen pop page at /screen-pop/…; with --tls-cert over HTTPS; off by default")
	e.String(&f.PopSecretFile, "screen-pop-secret-file", "", "file holding the secret (at least 32 bytes; make one with: head -c 32 /dev/urandom | base64 > FILE) that signs screen pop links; give every replica the same file. Unset: a random secret per start, so links open only on this process")
	e.String(&f.PopURL, "screen-pop-url", "", "the screen pop page's address as agents' browsers reach it, put in front of every link (e.g. https://herken.example.nl); default http(s)://<http-addr>")
	e.Duration(&f.PopTTL, "screen-pop-ttl", 2*time.Minute, "how long a screen pop link opens unless the caller asks for less or more (at most 15m)")
	e.String(&f.PopFrameAncestors, "screen-pop-frame-ancestors", "", "comma-separated origins that may show the screen pop in a frame (an agent desktop that embeds it), e.g. https://desktop.example.nl; default none")
	e.String(&f.PopTimezone, "screen-pop-timezone", "Europe/Amsterdam", "time zone the screen pop shows times in")
}

func (f *httpFlags) validate(tls tlsFlags) error {
	if f.Addr == "" {
		if f.PopSecretFile != "" || f.PopURL != "" || f.PopFrameAncestors != "" {
			return errors.New("the --screen-pop-* flags need --http-addr: the screen pop is served there")
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(f.Addr); err != nil {
		return fmt.Errorf("--http-addr %q: want host:port", f.Addr)
	}
	if tls.ClientCA != "" {
		return errors.New("--http-addr does not work with --tls-client-ca yet: HTTP callers authenticate with API keys")
	}
	if host, _, _ := net.SplitHostPort(f.Addr); f.PopURL == "" {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			return fmt.Errorf("--http-addr %q listens on every address: say where agents' browsers reach the screen pop with --screen-pop-url", f.Addr)
		}
	}
	if f.PopTTL == 0 { // 0 would mean the server's default
		return errors.New("--screen-pop-ttl 0s: want between 1s and 15m")
	}
	// The server's own checks, before the store opens.
	if err := (&server.ScreenPop{PageURL: f.PopURL, DefaultTTL: f.PopTTL}).Validate(); err != nil {
		return fmt.Errorf("--screen-pop-ttl / --screen-pop-url: %w", err)
	}
	if _, err := f.page(); err != nil {
		return err
	}
	return nil
}

// page is the screen pop page's configuration.
func (f *httpFlags) page() (screenpop.Config, error) {
	var cfg screenpop.Config
	for a := range strings.SplitSeq(f.PopFrameAncestors, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.FrameAncestors = append(cfg.FrameAncestors, a)
		}
	}
	loc, err := time.LoadLocation(f.PopTimezone)
	if err != nil {
		return cfg, fmt.Errorf("--screen-pop-timezone: %w", err)
	}
	cfg.Location = loc
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("--screen-pop-frame-ancestors: %w", err)
	}
	return cfg, nil
}

// screenPop is the server's screen pop: off without --http-addr; signed
// with the secret file's content, or a random secret (and a warning where
// replicas may share the store).
func (f *httpFlags) screenPop(t tlsFlags, shared bool, log *slog.Logger) (server.ScreenPop, error) {
	if f.Addr == "" {
		return server.ScreenPop{}, nil
	}
	var secret []byte
	if f.PopSecretFile != "" {
		b, err := os.ReadFile(f.PopSecretFile)
		if err != nil {
			return server.ScreenPop{}, fmt.Errorf("--screen-pop-secret-file: %w", err)
		}
		if st, err := os.Stat(f.PopSecretFile); err == nil && st.Mode().Perm()&0o077 != 0 {
			log.Warn("the screen pop secret file can be read by others than its owner: chmod 600 it", "file", f.PopSecretFile, "mode", st.Mode().Perm().String())
		}
		if secret = bytes.TrimSpace(b); len(secret) < poplink.MinSecretBytes {
			return server.ScreenPop{}, fmt.Errorf("--screen-pop-secret-file %s: %d bytes; want at least %d (head -c 32 /dev/urandom | base64 > FILE)", f.PopSecretFile, len(secret), poplink.MinSecretBytes)
		}
	} else {
		secret = poplink.NewSecret()
		if shared {
			log.Warn("screen pop links are signed with a random secret: they open only on this replica; give every replica the same --screen-pop-secret-file")
		}
	}
	signer, err := poplink.NewSigner(secret)
	if err != nil {
		return server.ScreenPop{}, err
	}
	url := f.PopURL
	if url == "" {
		scheme := "http"
		if t.Cert != "" {
			scheme = "https"
		}
		url = scheme + "://" + f.Addr
	}
	return server.ScreenPop{Signer: signer, PageURL: url, DefaultTTL: f.PopTTL}, nil
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
	api, err := gateway.New(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	pageCfg, err := f.page()
	if err != nil {
		conn.Close()
		return nil, err
	}
	pageCfg.Logger = log
	page, err := screenpop.New(herkenv1.NewScreenPopServiceClient(conn), pageCfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	h := http.NewServeMux()
	h.Handle(screenpop.Prefix, page)
	h.Handle("/", api)
	lis, err := net.Listen("tcp", f.Addr)
	if err != nil {
		conn.Close()
		return nil, err
	}
	// ReadTimeout bounds a slow body too (a search form, a JSON request).
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
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
