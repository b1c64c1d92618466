package client

import (
	"crypto/tls"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

// Option configures New (and, for the call options WithTimeout and
// WithStreamTimeout, NewFromConn).
type Option func(*options)

// Defaults of New.
const (
	// DefaultTimeout is the deadline of a unary call whose context has
	// none. Streams (ImportCustomers, Backup) get no default deadline.
	DefaultTimeout = 10 * time.Second
	// DefaultKeepaliveTime is how long a connection may be quiet before
	// the client pings the server to check it is still there.
	DefaultKeepaliveTime = 30 * time.Second
	// DefaultKeepaliveTimeout is how long the client waits for the ping's
	// answer before it considers the connection dead and reconnects.
	DefaultKeepaliveTimeout = 10 * time.Second
	// MinKeepaliveTime is the shortest ping interval herken's server
	// accepts (its keepalive enforcement policy): a client that pings more
	// often is sent GOAWAY. WithKeepalive raises shorter intervals to it.
	MinKeepaliveTime = 10 * time.Second
)

type options struct {
	creds         credentials.TransportCredentials
	tlsErr        error // from WithTLS, reported by New
	apiKey        string
	unaryTimeout  time.Duration
	streamTimeout time.Duration
	keepalive     keepalive.ClientParameters
	waitForReady  bool
	dial          []grpc.DialOption
}

func defaultOptions() options {
	return options{
		unaryTimeout: DefaultTimeout,
		keepalive: keepalive.ClientParameters{
			Time:                DefaultKeepaliveTime,
			Timeout:             DefaultKeepaliveTimeout,
			PermitWithoutStream: true,
		},
	}
}

// WithTLS connects over TLS configured as TLSConfig(caFile, certFile,
// keyFile) does: the server verified against the CA bundle in caFile (""
// trusts the system roots), and with certFile and keyFile a client
// certificate (mTLS). It replaces New's plaintext default. A file that
// cannot be read is New's error.
func WithTLS(caFile, certFile, keyFile string) Option {
	return func(o *options) {
		cfg, err := TLSConfig(caFile, certFile, keyFile)
		if err != nil {
			o.tlsErr = err
			return
		}
		o.tlsErr = nil
		o.creds = credentials.NewTLS(cfg)
	}
}

// WithTLSConfig connects over TLS with cfg (see TLSConfig). It replaces
// New's plaintext default.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(o *options) {
		o.tlsErr = nil
		o.creds = credentials.NewTLS(cfg)
	}
}

// WithAPIKey sends key as "authorization: Bearer <key>" on every call.
//
// It does not insist on TLS, so it also works against a server on
// loopback in plaintext (a sidecar, a test). Over any other network use
// it with WithTLS: on a plaintext connection the key travels in clear.
// "" sends no key.
func WithAPIKey(key string) Option {
	return func(o *options) { o.apiKey = key }
}

// WithTimeout sets the deadline of a unary call whose context has none
// (default DefaultTimeout, 10s); a context with a deadline keeps its own.
// 0 sets none: such a call then runs until the server's own bound (30s by
// default).
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.unaryTimeout = max(d, 0) }
}

// WithStreamTimeout sets the deadline of a streaming call
// (ImportCustomers, Backup) whose context has none; by default such a call
// has none (the server bounds streams at 1h by default).
func WithStreamTimeout(d time.Duration) Option {
	return func(o *options) { o.streamTimeout = max(d, 0) }
}

// WithKeepalive sets how long the connection may be quiet before the
// client pings the server, interval (default DefaultKeepaliveTime, 30s; raised to
// MinKeepaliveTime, 10s, the server's minimum, if shorter) and how long it
// waits for the answer, timeout, before it drops the connection and reconnects
// (default 10s). Pings also go out between calls, so a dead server or a
// silently dropped NAT mapping is found before the next call needs the
// connection. interval 0 turns client pings off.
func WithKeepalive(interval, timeout time.Duration) Option {
	return func(o *options) {
		switch {
		case interval <= 0:
			o.keepalive = keepalive.ClientParameters{}
			return
		case interval < MinKeepaliveTime:
			interval = MinKeepaliveTime
		}
		if timeout <= 0 {
			timeout = DefaultKeepaliveTimeout
		}
		o.keepalive = keepalive.ClientParameters{Time: interval, Timeout: timeout, PermitWithoutStream: true}
	}
}

// WithWaitForReady makes New connect at once and wait, bounded by New's
// context, until the connection is ready; New fails when it is not (the
// server down, TLS refused). Without it New returns at once and the first
// call connects.
func WithWaitForReady() Option {
	return func(o *options) { o.waitForReady = true }
}

// WithDialOptions passes gRPC dial options through (a custom dialer, a
// stats handler, a different service config). They come after New's own
// options, so they win where both set the same thing.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}
