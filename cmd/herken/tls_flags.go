package main

import (
	"errors"
	"log/slog"

	"google.golang.org/grpc/credentials"

	"github.com/herken/herken/server/tlsfiles"
)

// tlsFlags: TLS from files (reloaded when they change), optionally mTLS.
type tlsFlags struct {
	Cert     string
	Key      string
	ClientCA string
}

func (f *tlsFlags) addFlags(e *envFlags) {
	e.String(&f.Cert, "tls-cert", "", "TLS certificate file (PEM, with intermediates); with --tls-key serves TLS 1.2+; re-read when it changes")
	e.String(&f.Key, "tls-key", "", "TLS private key file (PEM)")
	e.String(&f.ClientCA, "tls-client-ca", "", "CA bundle (PEM) that must have signed every client's certificate (mTLS); a certificate whose CommonName or SAN is a \"certificate\" entry of the keys file authenticates as that name")
}

func (f *tlsFlags) validate() error {
	var errs []error
	if (f.Cert == "") != (f.Key == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if f.ClientCA != "" && f.Cert == "" {
		errs = append(errs, errors.New("--tls-client-ca needs --tls-cert and --tls-key (mTLS is TLS)"))
	}
	return errors.Join(errs...)
}

// credentials returns server.Config.Creds: nil (plaintext) without
// --tls-cert.
func (f *tlsFlags) credentials(log *slog.Logger) (credentials.TransportCredentials, error) {
	if f.Cert == "" {
		return nil, nil
	}
	creds, err := tlsfiles.ServerCredentials(f.Cert, f.Key, f.ClientCA, log)
	if err != nil {
		return nil, err
	}
	log.Info("TLS on", "cert_file", f.Cert, "mtls", f.ClientCA != "")
	return creds, nil
}
