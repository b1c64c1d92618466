package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultReloadEvery is how often a Keyring polls its file.
const DefaultReloadEvery = 2 * time.Second

// Options configure a Keyring.
type Options struct {
	// ReloadEvery is the polling period of the keys file; default
	// DefaultReloadEvery. Tests shorten it.
	ReloadEvery time.Duration
	// Logger receives reloads and bad files; nil discards.
	Logger *slog.Logger
}

// Keyring holds the keys file's entries and keeps them in step with the
// file. It is safe for concurrent use.
type Keyring struct {
	path    string
	log     *slog.Logger
	entries atomic.Pointer[[]Entry]
	// loaded is the SHA-256 of the file content in force (only the poller
	// touches it).
	loaded [sha256.Size]byte

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Load reads the keys file at path and starts polling it for changes.
// A file that is missing or does not parse fails; one with no entry is
// valid and refuses every call (the last key was revoked). Close stops
// the polling.
func Load(path string, opts Options) (*Keyring, error) {
	if opts.ReloadEvery <= 0 {
		opts.ReloadEvery = DefaultReloadEvery
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	k := &Keyring{path: path, log: opts.Logger, stop: make(chan struct{}), done: make(chan struct{})}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys file: %w", err)
	}
	if err := k.swap(data); err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	go k.poll(opts.ReloadEvery)
	return k, nil
}

// swap parses data and puts its entries in force.
func (k *Keyring) swap(data []byte) error {
	entries, err := Parse(data)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		k.log.Warn("keys file holds no keys: every call is refused", "path", k.path)
	}
	k.entries.Store(&entries)
	k.loaded = sha256.Sum256(data)
	return nil
}

// poll re-reads the file every period. It compares the content's hash,
// not the modification time: the file is small, and a rewrite within the
// file system's timestamp granularity (or one that keeps the size, such as
// replacing a key's hash) must not go unnoticed. A changed content is put
// in force only once two reads a period apart agree, so a file caught
// half-written (an editor that truncates and rewrites in place) never is:
// it would drop keys, or all of them, for a period.
func (k *Keyring) poll(every time.Duration) {
	defer close(k.done)
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	var pending [sha256.Size]byte
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		data, err := os.ReadFile(k.path)
		if err == nil {
			sum := sha256.Sum256(data)
			if sum == k.loaded {
				failing = false
				continue
			}
			if sum != pending {
				pending = sum // changed since the last read: wait for it to settle
				continue
			}
			err = k.swap(data)
		}
		if err != nil {
			// Logged once per failure, not every period; the error names
			// lines and rules, never a field's content.
			if !failing {
				k.log.Error("keys file not reloaded; the keys in force stay", "path", k.path, "error", err)
			}
			failing = true
			continue
		}
		failing = false
		k.log.Info("keys file reloaded", "path", k.path, "keys", len(*k.entries.Load()))
	}
}

// Close stops polling the file. The keys in force stay usable.
func (k *Keyring) Close() error {
	k.once.Do(func() {
		close(k.stop)
		<-k.done
	})
	return nil
}

// Authenticate returns the entry whose hash is the SHA-256 of token. It
// compares against every key entry in constant time and without stopping
// at a match, so the time taken says nothing about which entry (or how
// much of a hash) matched.
func (k *Keyring) Authenticate(token string) (Identity, bool) {
	sum := sha256.Sum256([]byte(token))
	entries := *k.entries.Load()
	found := -1
	for i := range entries {
		e := &entries[i]
		eq := subtle.ConstantTimeCompare(sum[:], e.Hash[:])
		if e.Certificate {
			eq = 0 // a certificate entry has no key
		}
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return Identity{}, false
	}
	e := entries[found]
	return Identity{Name: e.Name, Scopes: e.Scopes}, true
}

// Certificate returns the certificate entry named by one of names (the
// Subject CommonName and SANs of a client certificate the TLS layer has
// already verified).
func (k *Keyring) Certificate(names []string) (Identity, bool) {
	for _, e := range *k.entries.Load() {
		if !e.Certificate {
			continue
		}
		for _, n := range names {
			if n == e.Name {
				return Identity{Name: e.Name, Scopes: e.Scopes, Certificate: true}, true
			}
		}
	}
	return Identity{}, false
}

// Named returns the entry named name, if it is in force: a screen pop
// link, signed for a key, opens only while that key does.
func (k *Keyring) Named(name string) (Identity, bool) {
	for _, e := range *k.entries.Load() {
		if e.Name == name {
			return Identity{Name: e.Name, Scopes: e.Scopes, Certificate: e.Certificate}, true
		}
	}
	return Identity{}, false
}

// Names lists the names in force (tests, diagnostics).
func (k *Keyring) Names() []string {
	entries := *k.entries.Load()
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name
	}
	return out
}
