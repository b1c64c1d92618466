package badgerstore

import (
	"crypto/rand"
	"time"

	"github.com/herken/herken"

	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/store/badgerstore/internal/recordpb"
	"github.com/herken/herken/store/internal/pagetoken"
)

// Page tokens are opaque to clients: a PageTokenRecord (the first key of
// the next page) sealed by store/internal/pagetoken under the store's
// secret, bound to the list's fingerprint. A forged or edited token, or one
// reused with other filters, is PAGE_TOKEN_INVALID — clients cannot steer a
// scan into another part of the keyspace.

// loadSecret reads m/secret, creating it on first open.
func (s *Store) loadSecret() (err error) {
	s.secret, err = s.getOrCreate([]byte(keySecret), func() []byte {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		return secret
	})
	return err
}

// tokenFormat binds every token to the key layout it was issued under: a
// token holds a key, so one from another store format (a key that sorts
// elsewhere now) is PAGE_TOKEN_INVALID rather than a page that silently
// skips records.
const tokenFormat = "format " + currentFormat

// sealToken seals the first key of the next page (and the as-of time of
// the first page) for the list with fingerprint list.
func (s *Store) sealToken(list, nextKey []byte, asOf time.Time) string {
	body, _ := marshalOpts.Marshal(&recordpb.PageTokenRecord{NextKey: nextKey, AsOf: unixNano(asOf)})
	return pagetoken.Seal(s.secret, body, list, []byte(tokenFormat))
}

// openToken returns the next key a token carries (nil for "") and the
// as-of time its first page used (zero if none).
func (s *Store) openToken(token string, list []byte) ([]byte, time.Time, error) {
	if token == "" {
		return nil, time.Time{}, nil
	}
	body, ok := pagetoken.Open(s.secret, token, list, []byte(tokenFormat))
	var r recordpb.PageTokenRecord
	if !ok || proto.Unmarshal(body, &r) != nil || len(r.NextKey) == 0 {
		return nil, time.Time{}, herken.ErrPageToken
	}
	return r.NextKey, fromUnixNano(r.AsOf), nil
}
