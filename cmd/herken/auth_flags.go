package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/herken/herken/server/auth"
)

// authFlags: who may call. Without a keys file herken serves loopback only
// unless --insecure-no-auth says otherwise.
type authFlags struct {
	KeysFile       string
	ReloadInterval time.Duration
	InsecureNoAuth bool
}

func (f *authFlags) addFlags(e *envFlags) {
	e.String(&f.KeysFile, "keys-file", "", "API keys file (names, scopes and key hashes; see herken keys --help); without it calls are not authenticated and the server listens on loopback only")
	e.Duration(&f.ReloadInterval, "keys-reload-interval", auth.DefaultReloadEvery, "how often the keys file is checked for changes (added and revoked keys take effect within this)")
	e.Bool(&f.InsecureNoAuth, "insecure-no-auth", false, "serve WITHOUT authentication on a non-loopback --addr: anyone who reaches the port can read and change every customer")
}

func (f *authFlags) validate(addr string) error {
	var errs []error
	if f.ReloadInterval < 0 { // 0 is the default
		errs = append(errs, errors.New("--keys-reload-interval must not be negative"))
	}
	if f.KeysFile != "" && f.InsecureNoAuth {
		errs = append(errs, errors.New("--insecure-no-auth and --keys-file contradict each other; drop one"))
	}
	if f.KeysFile == "" && !f.InsecureNoAuth && !loopbackAddr(addr) {
		errs = append(errs, fmt.Errorf("--addr %q is not a loopback address and there is no --keys-file: "+
			"herken serves without authentication on loopback only; pass --keys-file (or, knowingly, --insecure-no-auth)", addr))
	}
	return errors.Join(errs...)
}

// loopbackAddr reports whether addr (host:port) listens on loopback only:
// localhost, 127.0.0.0/8 or ::1. An empty host is every interface.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keyring loads the keys file for server.Config.Keys: nil (and a WARN that
// authentication is off) without one. The caller closes it.
func (f *authFlags) keyring(log *slog.Logger) (*auth.Keyring, error) {
	if f.KeysFile == "" {
		if f.InsecureNoAuth {
			log.Warn("authentication is off (--insecure-no-auth): anyone who can reach the address can read and change every customer")
		} else {
			log.Warn("authentication is off: serving on loopback only")
		}
		return nil, nil
	}
	k, err := auth.Load(f.KeysFile, auth.Options{ReloadEvery: f.ReloadInterval, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("--keys-file: %w", err)
	}
	log.Info("authentication on", "keys_file", f.KeysFile, "keys", len(k.Names()))
	return k, nil
}
