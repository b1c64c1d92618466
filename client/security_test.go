package client_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/herken/herken"

	"google.golang.org/grpc/codes"

	"github.com/herken/herken/client"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/server"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/server/tlsfiles"
	"github.com/herken/herken/server/tlsfiles/tlsfilestest"
	"github.com/herken/herken/store/memstore"
)

// TestTLSAndAPIKeyOptions: WithTLS (server verified against a CA file,
// optionally a client certificate) and WithAPIKey reach a server that
// requires mTLS and keys.
func TestTLSAndAPIKeyOptions(t *testing.T) {
	dir := t.TempDir()
	ca := tlsfilestest.NewCA(t, "test CA")
	caFile := ca.Write(t, dir, "ca")
	srvCert, srvKey := ca.Server(t).Write(t, dir, "server")
	creds, err := tlsfiles.ServerCredentials(srvCert, srvKey, caFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	keysFile := filepath.Join(dir, "keys")
	key, err := auth.Create(keysFile, "pbx-1", []auth.Scope{auth.ScopeLookup}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Create(keysFile, "ivr-2", []auth.Scope{auth.ScopeLookup}, true); err != nil {
		t.Fatal(err)
	}
	ring, err := auth.Load(keysFile, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	norm, _ := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	srv, err := server.New(herken.NewService(memstore.New(memstore.Options{}), norm, herken.ServiceConfig{}), server.Config{Keys: ring, Creds: creds})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	defer srv.Shutdown()
	srv.SetServing(true)

	lookup := func(certName string, withKey bool) error {
		t.Helper()
		certFile, keyFile := "", ""
		if certName != "" {
			certFile, keyFile = ca.Client(t, certName).Write(t, dir, certName)
		}
		opts := []client.Option{client.WithTLS(caFile, certFile, keyFile)}
		if withKey {
			opts = append(opts, client.WithAPIKey(key))
		}
		c, err := client.New(context.Background(), lis.Addr().String(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = c.LookupPhone(ctx, "06-12345678")
		return err
	}
	if err := lookup("some-client", true); err != nil {
		t.Errorf("mTLS and API key: %v", err)
	}
	if err := lookup("ivr-2", false); err != nil {
		t.Errorf("mTLS certificate standing for a key: %v", err)
	}
	if e := client.AsError(lookup("some-client", false)); e == nil || e.Code != codes.Unauthenticated || e.Reason != "API_KEY_MISSING" {
		t.Errorf("no key: %v", e)
	}
	if e := client.AsError(lookup("", true)); e == nil || e.Code != codes.Unavailable {
		t.Errorf("no client certificate: %v", e)
	}

	for name, args := range map[string][3]string{
		"missing CA":       {filepath.Join(dir, "nope"), "", ""},
		"CA not PEM":       {keysFile, "", ""},
		"cert without key": {caFile, srvCert, ""},
		"bad key pair":     {caFile, srvCert, keysFile},
	} {
		if c, err := client.New(context.Background(), lis.Addr().String(), client.WithTLS(args[0], args[1], args[2])); err == nil {
			c.Close()
			t.Errorf("WithTLS %s: no error", name)
		}
	}
}
