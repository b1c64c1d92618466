package main

import (
	"context"

	"github.com/herken/herken/client"
)

// clientFlags are how a CLI command reaches a server that wants TLS and a
// key: the same options the Go client takes.
type clientFlags struct {
	CA, Cert, Key, ServerName string
	APIKey                    string
}

func (f *clientFlags) addFlags(e *envFlags) {
	e.String(&f.CA, "tls-ca", "", "connect over TLS, verifying the server against this CA bundle (PEM); \"system\" uses the system roots")
	// Not --tls-cert/--tls-key: those (and their HERKEN_TLS_* variables)
	// are the server's certificate, and a host that runs both would present
	// the server's certificate as the client's.
	e.String(&f.Cert, "client-cert", "", "client certificate (PEM) for mTLS; needs --client-key and TLS")
	e.String(&f.Key, "client-key", "", "client certificate's private key (PEM)")
	e.String(&f.ServerName, "tls-server-name", "", "name to verify in the server's certificate when it differs from --addr's host")
	e.String(&f.APIKey, "api-key", "", "API key sent as \"authorization: Bearer <key>\" (prefer the environment variable to the flag: flags show in ps)")
}

// dial makes a client of the server at addr as the flags say (client.New's
// options): TLS when --tls-ca, --client-cert or --tls-server-name is set,
// the key when --api-key is. It does not connect: the first call does
// (ctx is for client.New, which does not block without WithWaitForReady).
func (f *clientFlags) dial(ctx context.Context, addr string) (*client.Client, error) {
	var opts []client.Option
	if f.CA != "" || f.Cert != "" || f.Key != "" || f.ServerName != "" {
		ca := f.CA
		if ca == "system" {
			ca = ""
		}
		cfg, err := client.TLSConfig(ca, f.Cert, f.Key)
		if err != nil {
			return nil, err
		}
		cfg.ServerName = f.ServerName
		opts = append(opts, client.WithTLSConfig(cfg))
	}
	if f.APIKey != "" {
		opts = append(opts, client.WithAPIKey(f.APIKey))
	}
	return client.New(ctx, addr, opts...)
}

// callError is how a command reports a failed call: a herken error status
// as a *client.Error, whose text is its message, code and reason
// ("customer not found (NOT_FOUND / CUSTOMER_NOT_FOUND)") and which
// errors.Is matches against client.ErrNotFound and the like; anything
// else as is.
func callError(err error) error {
	if ce := client.AsError(err); ce != nil {
		return ce
	}
	return err
}
