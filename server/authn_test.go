package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/server/tlsfiles"
	"github.com/herken/herken/server/tlsfiles/tlsfilestest"
	"github.com/herken/herken/store/memstore"
)

// withKeys authenticates callers against k.
func withKeys(k *auth.Keyring) testOption { return func(c *testConfig) { c.cfg.Keys = k } }

// testKeys is a keys file with one key per scope.
type testKeys struct {
	path                 string
	ring                 *auth.Keyring
	lookup, write, admin string
}

func newTestKeys(t *testing.T, extra ...string) testKeys {
	t.Helper()
	k := testKeys{path: filepath.Join(t.TempDir(), "keys")}
	create := func(name string, scope auth.Scope) string {
		key, err := auth.Create(k.path, name, []auth.Scope{scope}, false)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	k.lookup, k.write, k.admin = create("pbx-1", auth.ScopeLookup), create("crm", auth.ScopeWrite), create("dpo", auth.ScopeAdmin)
	for _, name := range extra { // certificate entries with the lookup scope
		if _, err := auth.Create(k.path, name, []auth.Scope{auth.ScopeLookup}, true); err != nil {
			t.Fatal(err)
		}
	}
	ring, err := auth.Load(k.path, auth.Options{ReloadEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ring.Close() })
	k.ring = ring
	return k
}

func withBearer(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

// scopeCalls call one RPC of each scope, unary and streaming, and return
// its error.
func scopeCalls(conn *grpc.ClientConn) map[string]struct {
	scope auth.Scope
	call  func(context.Context) error
} {
	type c = struct {
		scope auth.Scope
		call  func(context.Context) error
	}
	return map[string]c{
		"Lookup": {auth.ScopeLookup, func(ctx context.Context) error {
			_, err := herkenv1.NewRecognitionServiceClient(conn).Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone("+31612345678")})
			return err
		}},
		"GetCustomer": {auth.ScopeWrite, func(ctx context.Context) error {
			_, err := herkenv1.NewCustomerServiceClient(conn).GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: "customers/abc"})
			return err
		}},
		"GetMaintenanceStatus": {auth.ScopeAdmin, func(ctx context.Context) error {
			_, err := herkenv1.NewMaintenanceServiceClient(conn).GetMaintenanceStatus(ctx, &herkenv1.GetMaintenanceStatusRequest{})
			return err
		}},
		"Backup (stream)": {auth.ScopeAdmin, func(ctx context.Context) error {
			st, err := herkenv1.NewBackupServiceClient(conn).Backup(ctx, &herkenv1.BackupRequest{})
			if err != nil {
				return err
			}
			_, err = st.Recv()
			return err
		}},
	}
}

// refusedByAuth reports whether err is an authentication or scope refusal.
func refusedByAuth(err error) bool {
	c := status.Code(err)
	return c == codes.Unauthenticated || c == codes.PermissionDenied
}

func TestAuthUnauthenticated(t *testing.T) {
	keys := newTestKeys(t)
	ts := newTestServer(t, withKeys(keys.ring))
	headers := []struct {
		name, header, reason string
	}{
		{"no header", "", server.ReasonAPIKeyMissing},
		{"basic scheme", "Basic " + keys.admin, server.ReasonAPIKeyInvalid},
		{"no scheme", keys.admin, server.ReasonAPIKeyInvalid},
		{"empty bearer", "Bearer ", server.ReasonAPIKeyInvalid},
		{"unknown key", "Bearer " + auth.NewKey(), server.ReasonAPIKeyInvalid},
		{"key's hash", "Bearer " + strings.Repeat("0", 64), server.ReasonAPIKeyInvalid},
	}
	for _, h := range headers {
		for name, c := range scopeCalls(ts.Conn) {
			t.Run(h.name+"/"+name, func(t *testing.T) {
				ctx := ctxT(t)
				if h.header != "" {
					ctx = metadata.AppendToOutgoingContext(ctx, "authorization", h.header)
				}
				checkErr(t, c.call(ctx), wantErr{code: codes.Unauthenticated, reason: h.reason})
			})
		}
	}
	// Two authorization headers are ambiguous, even if one is good.
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+keys.admin, "authorization", "Bearer x")
	checkErr(t, scopeCalls(ts.Conn)["GetMaintenanceStatus"].call(ctx), wantErr{code: codes.Unauthenticated, reason: server.ReasonAPIKeyInvalid})
}

func TestAuthScopes(t *testing.T) {
	keys := newTestKeys(t)
	ts := newTestServer(t, withKeys(keys.ring))
	byScope := map[auth.Scope]string{auth.ScopeLookup: keys.lookup, auth.ScopeWrite: keys.write, auth.ScopeAdmin: keys.admin}
	for name, c := range scopeCalls(ts.Conn) {
		for scope, key := range byScope {
			t.Run(name+"/"+string(scope), func(t *testing.T) {
				err := c.call(withBearer(ctxT(t), key))
				if scope == c.scope {
					if refusedByAuth(err) {
						t.Fatalf("key with scope %s refused: %v", scope, err)
					}
					return
				}
				info := checkErr(t, err, wantErr{code: codes.PermissionDenied, reason: server.ReasonScopeMissing})
				if got := info.GetMetadata()["scope"]; got != string(c.scope) {
					t.Errorf("metadata scope = %q, want %q", got, c.scope)
				}
				if msg := status.Convert(err).Message(); !strings.Contains(msg, string(c.scope)) {
					t.Errorf("message %q does not name the scope %s", msg, c.scope)
				}
			})
		}
	}
}

func TestAuthRevokedKeyAfterReload(t *testing.T) {
	keys := newTestKeys(t)
	ts := newTestServer(t, withKeys(keys.ring))
	get := scopeCalls(ts.Conn)["GetCustomer"].call
	if err := get(withBearer(ctxT(t), keys.write)); refusedByAuth(err) {
		t.Fatalf("before revoke: %v", err)
	}
	if err := auth.Revoke(keys.path, "crm"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := get(withBearer(ctxT(t), keys.write))
		if status.Code(err) == codes.Unauthenticated {
			checkErr(t, err, wantErr{code: codes.Unauthenticated, reason: server.ReasonAPIKeyInvalid})
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked key still accepted after 5s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := scopeCalls(ts.Conn)["Lookup"].call(withBearer(ctxT(t), keys.lookup)); err != nil {
		t.Errorf("other key after revoke: %v", err)
	}
}

func TestAuthHealthExempt(t *testing.T) {
	keys := newTestKeys(t)
	ts := newTestServer(t, withKeys(keys.ring))
	resp, err := ts.Health.Check(ctxT(t), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health without a key: %v, %v", resp, err)
	}
	w, err := ts.Health.Watch(ctxT(t), &healthpb.HealthCheckRequest{Service: herkenv1.RecognitionService_ServiceDesc.ServiceName})
	if err == nil {
		_, err = w.Recv()
	}
	if err != nil {
		t.Fatalf("health watch without a key: %v", err)
	}
}

func TestAuthReflectionNeedsKey(t *testing.T) {
	keys := newTestKeys(t)
	ts := newTestServer(t, withKeys(keys.ring))
	list := func(ctx context.Context) error {
		st, err := reflectionpb.NewServerReflectionClient(ts.Conn).ServerReflectionInfo(ctx)
		if err != nil {
			return err
		}
		// Send fails with io.EOF when the server has already ended the
		// stream; Recv then returns its status.
		if err := st.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil && err != io.EOF {
			return err
		}
		_, err = st.Recv()
		return err
	}
	checkErr(t, list(ctxT(t)), wantErr{code: codes.Unauthenticated, reason: server.ReasonAPIKeyMissing})
	for _, key := range []string{keys.lookup, keys.write, keys.admin} {
		if err := list(withBearer(ctxT(t), key)); err != nil {
			t.Errorf("reflection with a valid key: %v", err)
		}
	}
}

// TestScopeTableCoversRegisteredMethods: every RPC the server registers
// under herken.v1 has a scope (a new RPC without one fails here, and is
// refused by the server).
func TestScopeTableCoversRegisteredMethods(t *testing.T) {
	ts := newTestServer(t)
	n := 0
	for name, info := range ts.Srv.GRPC().GetServiceInfo() {
		if !strings.HasPrefix(name, "herken.v1.") {
			continue
		}
		for _, m := range info.Methods {
			n++
			if sc, ok := auth.ScopeFor("/" + name + "/" + m.Name); !ok || sc == auth.ScopeAnyKey {
				t.Errorf("/%s/%s has no scope", name, m.Name)
			}
		}
	}
	if want := len(herkenMethods(t)); n != want {
		t.Errorf("server registers %d herken.v1 methods, the descriptors have %d", n, want)
	}
}

// ---- TLS ----

// serveTLS serves herken with cfg on a loopback TCP port and returns the
// address.
func serveTLS(t *testing.T, cfg server.Config) string {
	t.Helper()
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New(memstore.Options{})
	srv, err := server.New(herken.NewService(store, norm, herken.ServiceConfig{}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(lis); close(done) }()
	srv.SetServing(true)
	t.Cleanup(func() { srv.Shutdown(); <-done; store.Close() })
	return lis.Addr().String()
}

func dialTLS(t *testing.T, addr string, cfg *tls.Config) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestMTLSCertificateStandsForKey: a verified client certificate named in
// a "certificate" entry authenticates as that name with its scopes; a
// bearer key, when sent too, wins; a client without a certificate does
// not get through the handshake.
func TestMTLSCertificateStandsForKey(t *testing.T) {
	dir := t.TempDir()
	ca := tlsfilestest.NewCA(t, "herken test CA")
	certFile, keyFile := ca.Server(t).Write(t, dir, "server")
	creds, err := tlsfiles.ServerCredentials(certFile, keyFile, ca.Write(t, dir, "ca"), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := newTestKeys(t, "ivr-2")
	addr := serveTLS(t, server.Config{Keys: keys.ring, Creds: creds})

	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	clientCert := func(cn string) []tls.Certificate {
		l := ca.Client(t, cn)
		c, err := tls.X509KeyPair(l.CertPEM, l.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return []tls.Certificate{c}
	}
	calls := func(certs []tls.Certificate) map[string]struct {
		scope auth.Scope
		call  func(context.Context) error
	} {
		return scopeCalls(dialTLS(t, addr, &tls.Config{RootCAs: roots, ServerName: "localhost", Certificates: certs}))
	}

	ivr := calls(clientCert("ivr-2"))
	if err := ivr["Lookup"].call(ctxT(t)); err != nil {
		t.Errorf("Lookup with the ivr-2 certificate: %v", err)
	}
	checkErr(t, ivr["GetCustomer"].call(ctxT(t)), wantErr{code: codes.PermissionDenied, reason: server.ReasonScopeMissing})
	if err := ivr["GetCustomer"].call(withBearer(ctxT(t), keys.write)); refusedByAuth(err) {
		t.Errorf("bearer key over an mTLS connection did not win: %v", err)
	}
	checkErr(t, ivr["Lookup"].call(withBearer(ctxT(t), auth.NewKey())), wantErr{code: codes.Unauthenticated, reason: server.ReasonAPIKeyInvalid})

	// Verified, but no certificate entry of that name (a key entry's name
	// does not count).
	for _, cn := range []string{"stranger", "pbx-1"} {
		checkErr(t, calls(clientCert(cn))["Lookup"].call(ctxT(t)), wantErr{code: codes.Unauthenticated, reason: server.ReasonAPIKeyMissing})
	}

	// No client certificate: the handshake fails.
	if err := calls(nil)["Lookup"].call(withBearer(ctxT(t), keys.lookup)); status.Code(err) != codes.Unavailable {
		t.Errorf("client without a certificate: %v, want UNAVAILABLE (handshake refused)", err)
	}
	// A certificate from another CA: refused too.
	other := tlsfilestest.NewCA(t, "other CA")
	l := other.Client(t, "ivr-2")
	c, _ := tls.X509KeyPair(l.CertPEM, l.KeyPEM)
	if err := calls([]tls.Certificate{c})["Lookup"].call(ctxT(t)); status.Code(err) != codes.Unavailable {
		t.Errorf("client certificate of another CA: %v, want UNAVAILABLE", err)
	}
}

// TestAuthLogNamesTheKey: the log line of a refused call names the key
// that made it (authentication tells the outer interceptors), never the
// key itself.
func TestAuthLogNamesTheKey(t *testing.T) {
	keys := newTestKeys(t)
	var logs syncBuffer
	ts := newTestServer(t, withKeys(keys.ring), withLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	err := scopeCalls(ts.Conn)["GetMaintenanceStatus"].call(withBearer(ctxT(t), keys.lookup))
	checkErr(t, err, wantErr{code: codes.PermissionDenied, reason: server.ReasonScopeMissing})
	ts.Close(t)
	if !strings.Contains(logs.String(), `"key":"pbx-1"`) {
		t.Errorf("log does not name the key pbx-1:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), keys.lookup) {
		t.Error("log contains the key itself")
	}
}
