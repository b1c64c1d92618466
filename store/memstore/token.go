package memstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/herken/herken"
)

// Page tokens are opaque to clients: the query's hash, the as-of time of
// the first page and the position of the next page's first record, with an
// HMAC-SHA256 under the store's secret. A forged or edited token, or one
// used with other filters, fails the check and is ErrPageToken.

const maxTokenLen = 1024

// queryHash fingerprints a query's filters (not its page size or token).
func queryHash(parts ...any) []byte {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return h.Sum(nil)
}

func (s *Store) sealToken(hash []byte, pos entry, asOf time.Time) string {
	body := append([]byte(nil), hash...)
	body = appendTime(body, asOf)
	body = appendTime(body, pos.at)
	body = appendString(body, pos.customer)
	body = appendString(body, pos.id)
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(append(mac.Sum(nil), body...))
}

// openToken returns the position a token carries (ok false for "") and the
// as-of time its first page used (zero if none).
func (s *Store) openToken(token string, hash []byte) (pos entry, asOf time.Time, ok bool, err error) {
	if token == "" {
		return entry{}, time.Time{}, false, nil
	}
	if len(token) > maxTokenLen {
		return entry{}, time.Time{}, false, herken.ErrPageToken
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token) // Strict: one token, one spelling
	if err != nil || len(raw) < 2*sha256.Size {
		return entry{}, time.Time{}, false, herken.ErrPageToken
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(raw[sha256.Size:])
	body := raw[sha256.Size:]
	if !hmac.Equal(mac.Sum(nil), raw[:sha256.Size]) || !hmac.Equal(body[:sha256.Size], hash) {
		return entry{}, time.Time{}, false, herken.ErrPageToken
	}
	r := reader{b: body[sha256.Size:]}
	asOf = r.time()
	pos.at = r.time()
	pos.customer, pos.id = r.string(), r.string()
	if r.bad || len(r.b) != 0 || pos.id == "" {
		return entry{}, time.Time{}, false, herken.ErrPageToken
	}
	return pos, asOf, true, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendTime(b []byte, t time.Time) []byte {
	m, _ := t.UTC().MarshalBinary() // UTC always marshals
	return appendString(b, string(m))
}

// reader reads what appendString and appendTime wrote; bad records the
// first malformed field.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) string() string {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > uint64(len(r.b)-k) {
		r.bad = true
		return ""
	}
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}

func (r *reader) time() time.Time {
	var t time.Time
	if err := t.UnmarshalBinary([]byte(r.string())); err != nil {
		r.bad = true
	}
	return t
}
