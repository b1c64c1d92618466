package auth

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Entry is one line of the keys file.
type Entry struct {
	Name   string
	Scopes []Scope
	// Hash is the SHA-256 of the key; zero for a certificate entry.
	Hash [sha256.Size]byte
	// Certificate: a verified client certificate named Name stands for
	// this entry instead of a key.
	Certificate bool
}

// line is the entry as the keys file spells it.
func (e Entry) line() string {
	h := "certificate"
	if !e.Certificate {
		h = "sha256:" + hex.EncodeToString(e.Hash[:])
	}
	return e.Name + " " + formatScopes(e.Scopes) + " " + h
}

const (
	keyPrefix    = "hk_"
	hashPrefix   = "sha256:"
	certificate  = "certificate"
	maxFileBytes = 1 << 20
)

var nameRE = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// ValidName reports whether name may name a key.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return errors.New("key name must be 1 to 64 of a-z, 0-9, '.', '_', '-'")
	}
	return nil
}

// NewKey returns a fresh key: 32 random bytes as "hk_" and unpadded
// base64url.
func NewKey() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather)
	return keyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashKey is the hash the keys file holds for key.
func HashKey(key string) [sha256.Size]byte { return sha256.Sum256([]byte(key)) }

// Parse reads a keys file. Errors name the line and the rule broken and
// never quote a hash field: someone may have pasted a key there.
func Parse(data []byte) ([]Entry, error) {
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("keys file is larger than %d bytes", maxFileBytes)
	}
	var out []Entry
	var errs []error
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxFileBytes)
	for n := 1; sc.Scan(); n++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		e, err := parseLine(fields)
		if err == nil {
			if first, dup := seen[e.Name]; dup {
				err = fmt.Errorf("key name %q already on line %d", e.Name, first)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			continue
		}
		seen[e.Name] = n
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func parseLine(fields []string) (Entry, error) {
	if len(fields) != 3 {
		return Entry{}, fmt.Errorf("want \"<name> <scopes> <hash>\", got %d fields", len(fields))
	}
	if err := ValidName(fields[0]); err != nil {
		return Entry{}, err
	}
	e := Entry{Name: fields[0]}
	scopes, err := ParseScopes(fields[1])
	if err != nil {
		return Entry{}, err
	}
	e.Scopes = scopes
	switch h := fields[2]; {
	case h == certificate:
		e.Certificate = true
	case strings.HasPrefix(h, hashPrefix):
		b, err := hex.DecodeString(h[len(hashPrefix):])
		if err != nil || len(b) != sha256.Size {
			return Entry{}, errors.New("hash must be \"sha256:\" and 64 hex digits")
		}
		copy(e.Hash[:], b)
	default:
		return Entry{}, errors.New("third field must be \"sha256:<hex>\" or \"certificate\" (the file holds hashes, never keys)")
	}
	return e, nil
}
