package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc/credentials"
)

// TLSConfig is the client side of herken's TLS: server certificates are
// verified against the CA bundle in caFile ("" trusts the system roots),
// and with certFile and keyFile the client presents that certificate
// (mTLS; a server may let it stand for an API key). Set ServerName on the
// result when the address is not the name in the server's certificate.
func TLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("TLS CA: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA %s: no PEM certificate in it", caFile)
		}
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("a client certificate needs both its certificate and its key file")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// APIKeyCredentials are the per-call credentials WithAPIKey installs
// ("authorization: Bearer <key>"), for a connection made without New:
// grpc.WithPerRPCCredentials(client.APIKeyCredentials(key)). Like
// WithAPIKey they do not insist on TLS.
func APIKeyCredentials(key string) credentials.PerRPCCredentials { return apiKey(key) }

type apiKey string

func (k apiKey) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(k)}, nil
}

// RequireTransportSecurity is false so loopback plaintext works; see
// WithAPIKey.
func (apiKey) RequireTransportSecurity() bool { return false }
