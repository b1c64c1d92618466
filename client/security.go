package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc"
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
			return nil, fmt.Errorf("herken client: TLS CA: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("herken client: TLS CA %s: no PEM certificate in it", caFile)
		}
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("herken client: a client certificate needs both its certificate and its key file")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("herken client: TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// WithTLS connects over TLS configured as TLSConfig does. It replaces New's
// plaintext default.
func WithTLS(caFile, certFile, keyFile string) (grpc.DialOption, error) {
	cfg, err := TLSConfig(caFile, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return WithTLSConfig(cfg), nil
}

// WithTLSConfig connects over TLS with cfg. It replaces New's plaintext
// default.
func WithTLSConfig(cfg *tls.Config) grpc.DialOption {
	return grpc.WithTransportCredentials(credentials.NewTLS(cfg))
}

// WithAPIKey sends key as "authorization: Bearer <key>" on every call.
//
// It does not insist on TLS, so it also works against a server on
// loopback in plaintext (a sidecar, a test). Over any other network use
// it with WithTLS: on a plaintext connection the key travels in clear.
func WithAPIKey(key string) grpc.DialOption {
	return grpc.WithPerRPCCredentials(apiKey(key))
}

type apiKey string

func (k apiKey) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(k)}, nil
}

// RequireTransportSecurity is false so loopback plaintext works; see
// WithAPIKey.
func (apiKey) RequireTransportSecurity() bool { return false }
