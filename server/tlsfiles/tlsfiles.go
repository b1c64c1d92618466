// Package tlsfiles serves TLS from certificate files that may change while
// the server runs (a certificate renewed by an ACME client or a secrets
// operator): new handshakes use the new files within a second of their
// change, without a restart and without dropping existing connections.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
)

// checkEvery bounds how often a handshake looks at the files' mtimes.
const checkEvery = time.Second

// ServerCredentials returns gRPC server credentials for TLS 1.2 and later
// with the certificate and key in certFile and keyFile. With clientCAFile
// every client must present a certificate that CA (bundle) verifies
// (mTLS). The files are re-read, at most once a second and on a
// handshake, when one's modification time changed; a new set that does
// not load (say the certificate was replaced but not yet its key) is
// logged and the previous one stays, to be tried again a second later.
// An error loading the files the first time is returned. The check runs
// on handshakes: nothing to stop.
func ServerCredentials(certFile, keyFile, clientCAFile string, log *slog.Logger) (credentials.TransportCredentials, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &reloader{certFile: certFile, keyFile: keyFile, caFile: clientCAFile, log: log, now: time.Now}
	if err := r.load(); err != nil {
		return nil, err
	}
	r.checked = r.now()
	base := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.current().cert, nil },
	}
	if clientCAFile != "" {
		base.ClientAuth = tls.RequireAndVerifyClientCert
		base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cfg := base.Clone()
			cfg.GetConfigForClient = nil
			cfg.ClientCAs = r.current().clientCAs
			return cfg, nil
		}
	}
	return credentials.NewTLS(base), nil
}

// files is one loaded set of files.
type files struct {
	cert      *tls.Certificate
	clientCAs *x509.CertPool
	mtimes    [3]time.Time // cert, key, client CA
}

type reloader struct {
	certFile, keyFile, caFile string
	log                       *slog.Logger
	now                       func() time.Time

	mu      sync.Mutex
	loaded  files
	checked time.Time
}

// current returns the files in force, reloading them first if they
// changed and the last check is a second old.
func (r *reloader) current() files {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.checked) >= checkEvery {
		r.checked = now
		if m, err := r.mtimes(); err == nil && m != r.loaded.mtimes {
			if err := r.loadLocked(); err != nil {
				r.log.Error("TLS files changed but do not load; serving the previous certificate", "error", err)
			} else {
				r.log.Info("TLS files reloaded", "cert_file", r.certFile, "serial", r.loaded.cert.Leaf.SerialNumber.String(),
					"not_after", r.loaded.cert.Leaf.NotAfter)
			}
		}
	}
	return r.loaded
}

func (r *reloader) load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked()
}

// loadLocked reads every file. The mtimes are taken before the content, so
// a change during the read is seen again at the next check.
func (r *reloader) loadLocked() error {
	m, err := r.mtimes()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	f := files{cert: &cert, mtimes: m}
	if r.caFile != "" {
		pem, err := os.ReadFile(r.caFile)
		if err != nil {
			return fmt.Errorf("TLS client CA: %w", err)
		}
		f.clientCAs = x509.NewCertPool()
		if !f.clientCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("TLS client CA %s: no PEM certificate in it", r.caFile)
		}
	}
	r.loaded = f
	return nil
}

func (r *reloader) mtimes() ([3]time.Time, error) {
	var m [3]time.Time
	var errs []error
	for i, name := range []string{r.certFile, r.keyFile, r.caFile} {
		if name == "" {
			continue
		}
		st, err := os.Stat(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m[i] = st.ModTime()
	}
	return m, errors.Join(errs...)
}
