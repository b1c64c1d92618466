package tlsfiles_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/herken/herken/server/tlsfiles"
	"github.com/herken/herken/server/tlsfiles/tlsfilestest"
)

// serve serves the health service with creds on loopback.
func serve(t *testing.T, creds credentials.TransportCredentials) string {
	t.Helper()
	srv := grpc.NewServer(grpc.Creds(creds))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// check makes one health call on a new connection and returns the serial
// number of the certificate the server presented.
func check(t *testing.T, addr string, cfg *tls.Config) (*big.Int, error) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var p peer.Peer
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Peer(&p)); err != nil {
		return nil, err
	}
	info := p.AuthInfo.(credentials.TLSInfo)
	if v := info.State.Version; v < tls.VersionTLS12 {
		t.Errorf("TLS version %x", v)
	}
	return info.State.PeerCertificates[0].SerialNumber, nil
}

func rootsOf(ca *tlsfilestest.CA) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTLSHandshakeAndReload(t *testing.T) {
	dir := t.TempDir()
	ca := tlsfilestest.NewCA(t, "test CA")
	first := ca.Server(t)
	certFile, keyFile := first.Write(t, dir, "server")
	var logs syncBuffer
	creds, err := tlsfiles.ServerCredentials(certFile, keyFile, "", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, creds)
	client := &tls.Config{RootCAs: rootsOf(ca), ServerName: "localhost"}

	serial, err := check(t, addr, client)
	if err != nil || serial.Cmp(first.Serial) != 0 {
		t.Fatalf("handshake: serial %v, %v", serial, err)
	}
	// A client that does not trust the CA is refused.
	if _, err := check(t, addr, &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "localhost"}); status.Code(err) != codes.Unavailable {
		t.Errorf("untrusting client: %v", err)
	}
	// TLS 1.1 is refused.
	if _, err := check(t, addr, &tls.Config{RootCAs: rootsOf(ca), ServerName: "localhost", MaxVersion: tls.VersionTLS11}); err == nil {
		t.Error("TLS 1.1 accepted")
	}

	// A broken rewrite (the certificate replaced, its key not yet) keeps the
	// old certificate and is logged.
	second := ca.Server(t)
	tlsfilestest.WriteFile(t, certFile, second.CertPEM)
	waitFor(t, "bad reload logged", func() bool {
		// Handshakes trigger the check; each must still get the first certificate.
		if serial, err := check(t, addr, client); err != nil || serial.Cmp(first.Serial) != 0 {
			t.Fatalf("after a broken rewrite: serial %v, %v; want the first", serial, err)
		}
		return strings.Contains(logs.String(), "do not load")
	})

	// The key arrives: new connections get the new certificate.
	tlsfilestest.WriteFile(t, keyFile, second.KeyPEM)
	waitFor(t, "new certificate served", func() bool {
		serial, err := check(t, addr, client)
		return err == nil && serial.Cmp(second.Serial) == 0
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// The files are checked at most once a second, on a handshake.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
	}
}

func TestMTLS(t *testing.T) {
	dir := t.TempDir()
	ca := tlsfilestest.NewCA(t, "test CA")
	certFile, keyFile := ca.Server(t).Write(t, dir, "server")
	clientCA := tlsfilestest.NewCA(t, "client CA")
	creds, err := tlsfiles.ServerCredentials(certFile, keyFile, clientCA.Write(t, dir, "clients"), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, creds)
	cfg := func(client *tlsfilestest.CA) *tls.Config {
		c := &tls.Config{RootCAs: rootsOf(ca), ServerName: "localhost"}
		if client != nil {
			l := client.Client(t, "pbx-1")
			kp, err := tls.X509KeyPair(l.CertPEM, l.KeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			c.Certificates = []tls.Certificate{kp}
		}
		return c
	}
	if _, err := check(t, addr, cfg(clientCA)); err != nil {
		t.Errorf("client with a certificate of the client CA: %v", err)
	}
	if _, err := check(t, addr, cfg(nil)); status.Code(err) != codes.Unavailable {
		t.Errorf("client without a certificate: %v", err)
	}
	if _, err := check(t, addr, cfg(ca)); status.Code(err) != codes.Unavailable {
		t.Errorf("client certificate of another CA: %v", err)
	}

	// The client CA file is reloaded too: a new client CA admits its clients.
	newCA := tlsfilestest.NewCA(t, "new client CA")
	tlsfilestest.WriteFile(t, dir+"/clients.crt", newCA.PEM)
	waitFor(t, "new client CA in force", func() bool { _, err := check(t, addr, cfg(newCA)); return err == nil })
}

func TestFirstLoadFails(t *testing.T) {
	dir := t.TempDir()
	ca := tlsfilestest.NewCA(t, "test CA")
	certFile, keyFile := ca.Server(t).Write(t, dir, "server")
	other := ca.Server(t)
	_, otherKey := other.Write(t, dir, "other")
	for name, files := range map[string][3]string{
		"missing cert":    {dir + "/nope.crt", keyFile, ""},
		"mismatched key":  {certFile, otherKey, ""},
		"missing CA":      {certFile, keyFile, dir + "/nope.crt"},
		"CA is not a PEM": {certFile, keyFile, otherKey},
	} {
		if _, err := tlsfiles.ServerCredentials(files[0], files[1], files[2], nil); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
