package badgerstore

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/herken/herken"

	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/store/badgerstore/internal/recordpb"
)

// Page tokens are opaque to clients: a PageTokenRecord (query hash + the
// first key of the next page) with an HMAC-SHA256 under the store's secret.
// A forged or edited token, or one reused with other filters, fails the
// check and is PAGE_TOKEN_INVALID — clients cannot steer a scan into
// another part of the keyspace.

const maxTokenLen = 1024

// loadSecret reads m/secret, creating it on first open.
func (s *Store) loadSecret() (err error) {
	s.secret, err = s.getOrCreate([]byte(keySecret), func() []byte {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		return secret
	})
	return err
}

// tokenFormat goes into every query hash: a token holds a key of the
// layout it was issued under, so a token from another store format (a key
// that sorts elsewhere now) is PAGE_TOKEN_INVALID rather than a page that
// silently skips records.
const tokenFormat = "format " + currentFormat

// queryHash fingerprints a query's filters (not its page size or token).
func queryHash(parts ...any) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", tokenFormat)
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return h.Sum(nil)
}

func (s *Store) sealToken(hash, nextKey []byte, asOf time.Time) string {
	body, _ := marshalOpts.Marshal(&recordpb.PageTokenRecord{QueryHash: hash, NextKey: nextKey, AsOf: unixNano(asOf)})
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(append(mac.Sum(nil), body...))
}

// openToken returns the next key a token carries (nil for "") and the
// as-of time its first page used (zero if none).
func (s *Store) openToken(token string, hash []byte) ([]byte, time.Time, error) {
	if token == "" {
		return nil, time.Time{}, nil
	}
	if len(token) > maxTokenLen {
		return nil, time.Time{}, herken.ErrPageToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < sha256.Size {
		return nil, time.Time{}, herken.ErrPageToken
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(raw[sha256.Size:])
	if !hmac.Equal(mac.Sum(nil), raw[:sha256.Size]) {
		return nil, time.Time{}, herken.ErrPageToken
	}
	var r recordpb.PageTokenRecord
	if err := proto.Unmarshal(raw[sha256.Size:], &r); err != nil || !hmac.Equal(r.QueryHash, hash) || len(r.NextKey) == 0 {
		return nil, time.Time{}, herken.ErrPageToken
	}
	return r.NextKey, fromUnixNano(r.AsOf), nil
}
