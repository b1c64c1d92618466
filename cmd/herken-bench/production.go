package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/herken/herken/client"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// The production-stack part of the benchmark: the same store served by
// three configurations of `herken serve` in one run, so their ratios are
// comparable:
//
//   - bare: no authentication, no TLS, no audit, no metrics, no rate limit;
//   - audit: bare plus the audit trail (the ≥ 0.9× target);
//   - production: API keys, TLS, audit, /metrics and per-key rate limits.
//
// Then, on the production configuration, a victim key's Lookups at a fixed
// rate, alone and while a neighbour misbehaves (floods from another key
// beyond its rate limit, holds a thousand idle connections, and opens
// backup streams it never reads): the victim's p99 must stay within 2×.

// stack is one server configuration and what it measured.
type stack struct {
	Name   string
	Args   []string
	Phases []phaseResult
}

// neighbours is the misbehaving-client experiment.
type neighbours struct {
	Rate           float64 // the victim's scheduled Lookups/s
	Alone, Crowded []phaseResult
	FloodOK        int64 // flood calls served
	FloodRefused   int64 // flood calls refused RESOURCE_EXHAUSTED
	FloodOther     int64 // flood calls failed otherwise
	IdleConns      int
	Stalled        int // backup streams opened and never read
	RateLimit      string
}

// benchKeys are the API keys the production configuration knows.
type benchKeys struct {
	file                      string
	victim, flood, admin, pbx string
}

var keyPattern = regexp.MustCompile(`hk_[A-Za-z0-9_-]{20,}`)

// createKey runs `herken keys create` and returns the key it prints.
func createKey(bin, file, name, scopes string) (string, error) {
	out, err := exec.Command(bin, "keys", "create", "--keys-file", file, "--name", name, "--scopes", scopes).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("herken keys create %s: %v: %s", name, err, out)
	}
	k := keyPattern.Find(out)
	if k == nil {
		return "", fmt.Errorf("herken keys create %s printed no key", name)
	}
	return string(k), nil
}

func makeKeys(bin, dir string) (benchKeys, error) {
	k := benchKeys{file: filepath.Join(dir, "keys")}
	var err error
	for _, x := range []struct {
		dst          *string
		name, scopes string
	}{{&k.pbx, "bench-pbx", "lookup"}, {&k.victim, "victim", "lookup"}, {&k.flood, "flood", "lookup"}, {&k.admin, "operator", "admin"}} {
		if *x.dst, err = createKey(bin, k.file, x.name, x.scopes); err != nil {
			return k, err
		}
	}
	return k, nil
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// the pool that trusts it.
func selfSigned(dir string) (certFile, keyFile string, pool *x509.CertPool, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "herken-bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return "", "", nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, err
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool, nil
}

// keyed dials over TLS with creds, sending key with every call.
func keyed(creds credentials.TransportCredentials, key string) []grpc.DialOption {
	return []grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithPerRPCCredentials(client.APIKeyCredentials(key))}
}

// benchStacks runs the three configurations and the neighbour experiment.
func benchStacks(ctx context.Context, cfg config, bin string, ds *dataset, base []string, log io.Writer) ([]stack, *neighbours, error) {
	cfg.httpAddr = "" // these servers serve gRPC only
	dir, err := os.MkdirTemp("", "herken-bench-stack-*")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	keys, err := makeKeys(bin, dir)
	if err != nil {
		return nil, nil, err
	}
	certFile, keyFile, pool, err := selfSigned(dir)
	if err != nil {
		return nil, nil, err
	}
	tlsCreds := credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	metricsAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, nil, err
	}
	production := []string{"--keys-file", keys.file, "--tls-cert", certFile, "--tls-key", keyFile,
		"--metrics-addr", metricsAddr, "--audit=true"}
	stacks := []struct {
		name  string
		args  []string
		creds credentials.TransportCredentials
		key   string
	}{
		{"bare (no auth, TLS, audit, metrics or rate limit)", []string{"--no-rate-limit", "--audit=false"}, nil, ""},
		{"audit on (otherwise bare)", []string{"--no-rate-limit", "--audit=true"}, nil, ""},
		{"production (API key, TLS, audit, metrics, rate limit)", append([]string{"--rate-limit", "1000000", "--rate-burst", "1000000"}, production...), tlsCreds, keys.pbx},
	}
	var out []stack
	dialFor := func(creds credentials.TransportCredentials, key string) []grpc.DialOption {
		if creds == nil {
			return nil
		}
		return keyed(creds, key)
	}
	for _, st := range stacks {
		args := append(append([]string{}, base...), st.args...)
		res := stack{Name: st.name, Args: st.args}
		err := withServer(ctx, bin, args, log, dialFor(st.creds, ""), func(addr string, pid int) error {
			d, err := newDriver(addr, pid, cfg, ds, dialFor(st.creds, st.key)...)
			if err != nil {
				return err
			}
			defer d.close()
			if err := d.warmup(ctx, cfg.Warmup); err != nil {
				return err
			}
			for r := range cfg.Reps {
				for _, n := range []int{1, 64} {
					p := quiet(ctx, cfg, log, func() phaseResult { return d.closed(ctx, kindKnown, n, cfg.PhaseDuration) })
					p.Rep = r + 1
					res.Phases = append(res.Phases, p)
					fmt.Fprintf(log, "herken-bench: %s: rep %d, %2d in flight: %s\n", st.name, r+1, n, p.brief())
				}
			}
			return nil
		})
		if err != nil {
			return out, nil, fmt.Errorf("%s: %w", st.name, err)
		}
		out = append(out, res)
	}

	// The neighbour experiment, on the production stack with its default
	// per-key limit.
	// herken's default limits: 200 calls/s per key, burst 400, calls over
	// the rate wait up to 100ms: served if their token comes due, refused then.
	nb := &neighbours{IdleConns: 2000, Stalled: 4, RateLimit: "the defaults: 200/s, burst 400 per key, 100ms queue wait"}
	args := append(append([]string{}, base...), production...)
	err = withServer(ctx, bin, args, log, dialFor(tlsCreds, ""), func(addr string, pid int) error {
		victim, err := newDriver(addr, pid, cfg, ds, dialFor(tlsCreds, keys.victim)...)
		if err != nil {
			return err
		}
		defer victim.close()
		if err := victim.warmup(ctx, cfg.Warmup); err != nil {
			return err
		}
		// The victim stays within its own key's default rate; its phases
		// run four times as long as the others, for enough samples.
		nb.Rate = 150
		for r := range cfg.Reps {
			p := victim.open(ctx, kindKnown, nb.Rate, 4*cfg.PhaseDuration, 64)
			p.Rep = r + 1
			nb.Alone = append(nb.Alone, p)
			fmt.Fprintf(log, "herken-bench: victim alone, rep %d: %s\n", r+1, p.brief())
			stop, err := misbehave(ctx, addr, pid, cfg, ds, tlsCreds, keys, nb)
			if err != nil {
				return err
			}
			p = victim.open(ctx, kindKnown, nb.Rate, 4*cfg.PhaseDuration, 64)
			stop()
			p.Rep = r + 1
			nb.Crowded = append(nb.Crowded, p)
			fmt.Fprintf(log, "herken-bench: victim with a misbehaving neighbour, rep %d: %s\n", r+1, p.brief())
		}
		return nil
	})
	if err != nil {
		return out, nb, fmt.Errorf("neighbours: %w", err)
	}
	return out, nb, nil
}

// withServer starts herken with args, waits until it is idle, runs fn and
// stops it.
func withServer(ctx context.Context, bin string, args []string, log io.Writer, dial []grpc.DialOption, fn func(addr string, pid int) error) error {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	args = append([]string{"serve", "--addr", addr}, args...)
	p, _, err := startServer(ctx, bin, args, addr, log, dial...)
	if err != nil {
		return err
	}
	defer p.kill()
	if _, _, err := p.settle(ctx, 2*time.Minute, 0.05); err != nil {
		return err
	}
	if err := fn(addr, p.cmd.Process.Pid); err != nil {
		return err
	}
	return p.stop(15 * time.Second)
}

// misbehave starts the neighbour: a flood of Lookups from its own key far
// beyond its rate limit, idle connections, and backup streams that are
// never read. stop ends all of it.
func misbehave(ctx context.Context, addr string, pid int, cfg config, ds *dataset, creds credentials.TransportCredentials, keys benchKeys, nb *neighbours) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	var conns []*grpc.ClientConn
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for range nb.IdleConns {
		c, err := grpc.NewClient(addr, keyed(creds, keys.flood)...)
		if err != nil {
			cancel()
			closeAll()
			return nil, err
		}
		c.Connect()
		conns = append(conns, c)
	}
	var wg sync.WaitGroup
	for range nb.Stalled {
		c, err := grpc.NewClient(addr, keyed(creds, keys.admin)...)
		if err != nil {
			cancel()
			closeAll()
			return nil, err
		}
		conns = append(conns, c)
		// Open the stream and never call Recv: the server's sends block on
		// flow control until the deadline bound cuts it off.
		if _, err := herkenv1.NewBackupServiceClient(c).Backup(ctx, &herkenv1.BackupRequest{}); err != nil && !errors.Is(err, context.Canceled) {
			cancel()
			closeAll()
			return nil, fmt.Errorf("backup stream: %w", err)
		}
	}
	flood, err := newDriver(addr, pid, cfg, ds, keyed(creds, keys.flood)...)
	if err != nil {
		cancel()
		closeAll()
		return nil, err
	}
	rs := flood.build(kindKnown, requestsPerPhase)
	for w := range 64 {
		wg.Go(func() {
			t := &flood.targets[w%len(flood.targets)]
			for j := w * 512; ctx.Err() == nil; j++ {
				_, err := rs.call(ctx, t, j)
				switch {
				case err == nil:
					atomic.AddInt64(&nb.FloodOK, 1)
				case ctx.Err() != nil:
				case isExhausted(err):
					atomic.AddInt64(&nb.FloodRefused, 1)
				default:
					atomic.AddInt64(&nb.FloodOther, 1)
				}
			}
		})
	}
	// The idle connections finish their handshakes, and the flood reaches
	// its pace, before the victim is measured.
	for _, c := range conns[:nb.IdleConns] {
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		for s := c.GetState(); s != connectivity.Ready && wctx.Err() == nil; s = c.GetState() {
			c.WaitForStateChange(wctx, s)
		}
		wcancel()
	}
	time.Sleep(time.Second)
	return func() {
		cancel()
		wg.Wait()
		flood.close()
		closeAll()
	}, nil
}

func isExhausted(err error) bool { return status.Code(err) == codes.ResourceExhausted }

// stackRows are a stack's medians at 1 and 64 in flight.
func (s stack) row(inFlight int) *row {
	var ps []phaseResult
	for _, p := range s.Phases {
		if p.InFlight == inFlight {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	r := (&report{Phases: ps}).rows()
	return &r[0]
}

func medianP99(ps []phaseResult) time.Duration {
	var xs []time.Duration
	for _, p := range ps {
		xs = append(xs, p.P99)
	}
	return median(xs)
}

// stackTargets checks the production issue's targets.
func (r *report) stackTargets() []check {
	var out []check
	if len(r.Stacks) == 3 {
		bare, aud, prod := r.Stacks[0], r.Stacks[1], r.Stacks[2]
		if b, a := bare.row(64), aud.row(64); b != nil && a != nil && b.Rate > 0 {
			x := a.Rate / b.Rate
			out = append(out, check{"Lookup throughput with audit on ≥ 0.9 × audit off (64 in flight)",
				fmt.Sprintf("%.2f × (%s vs %s calls/s)", x, commas(a.Rate), commas(b.Rate)), verdict(x >= 0.9)})
		}
		if b, p := bare.row(64), prod.row(64); b != nil && p != nil && b.Rate > 0 {
			out = append(out, check{"Lookup throughput, production stack (key, TLS, audit, metrics, rate limit) vs bare, 64 in flight",
				fmt.Sprintf("%.2f × (%s vs %s calls/s)", p.Rate/b.Rate, commas(p.Rate), commas(b.Rate)), "reported"})
		}
		if b, p := bare.row(1), prod.row(1); b != nil && p != nil && b.P50 > 0 {
			out = append(out, check{"Lookup p50 at 1 in flight, production stack vs bare",
				fmt.Sprintf("%.2f × (%s vs %s ms; p99 %s vs %s ms)", float64(p.P50)/float64(b.P50), ms(p.P50), ms(b.P50), ms(p.P99), ms(b.P99)), "reported"})
		}
	}
	if nb := r.Neighbours; nb != nil && len(nb.Alone) > 0 && len(nb.Crowded) > 0 {
		a, c := medianP99(nb.Alone), medianP99(nb.Crowded)
		x := float64(c) / float64(a)
		out = append(out, check{"A misbehaving key (flood beyond its limit, 2,000 idle connections, unread streams) raises another key's Lookup p99 ≤ 2×",
			fmt.Sprintf("%.2f × (p99 %s ms with, %s ms without, at %.0f/s)", x, ms(c), ms(a), nb.Rate), verdict(x <= 2)})
	}
	return out
}

// stackMarkdown renders the production-stack section.
func (r *report) stackMarkdown() string {
	if len(r.Stacks) == 0 && r.Neighbours == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### Production stack\n\nThe same store, served in turn by each configuration (Lookup of known numbers, closed loop, medians over repetitions):\n\n")
	b.WriteString("| configuration | extra flags | 1 in flight p50 ms | p99 ms | 64 in flight calls/s | p99 ms | errors |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Stacks {
		one, many := s.row(1), s.row(64)
		if one == nil || many == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %d |\n", s.Name, strings.Join(s.Args, " "), ms(one.P50), ms(one.P99), commas(many.Rate), ms(many.P99), one.Errors+many.Errors+one.Wrong+many.Wrong)
	}
	if nb := r.Neighbours; nb != nil {
		fmt.Fprintf(&b, "\nMisbehaving neighbour on the production stack (rate limit %s): a victim key sends Lookups at %.0f/s (open loop) alone, then while another key floods with 64 calls in flight, holds %d idle TLS connections (all connected before the victim is measured) and %d backup streams it never reads. The flood got %d calls served, %d refused RESOURCE_EXHAUSTED, %d other errors.\n\n",
			nb.RateLimit, nb.Rate, nb.IdleConns, nb.Stalled, nb.FloodOK, nb.FloodRefused, nb.FloodOther)
		b.WriteString("| victim | p50 ms | p99 ms | p99.9 ms | errors |\n|---|--:|--:|--:|--:|\n")
		for _, x := range []struct {
			name string
			ps   []phaseResult
		}{{"alone", nb.Alone}, {"with the neighbour", nb.Crowded}} {
			if len(x.ps) == 0 {
				continue
			}
			rw := (&report{Phases: x.ps}).rows()[0]
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", x.name, ms(rw.P50), ms(rw.P99), ms(rw.P999), rw.Errors+rw.Wrong)
		}
	}
	return b.String()
}
