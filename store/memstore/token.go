package memstore

import (
	"encoding/binary"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/store/internal/pagetoken"
)

// Page tokens are opaque to clients: the as-of time of the first page and
// the position of the next page's first record, sealed by
// store/internal/pagetoken under the store's secret and bound to the list's
// fingerprint. A forged or edited token, or one used with other filters, is
// ErrPageToken.

func (s *Store) sealToken(list []byte, pos entry, asOf time.Time) string {
	body := appendTime(nil, asOf)
	body = appendTime(body, pos.at)
	body = appendString(body, pos.customer)
	body = appendString(body, pos.id)
	return pagetoken.Seal(s.secret, body, list)
}

// openToken returns the position a token carries (ok false for "") and the
// as-of time its first page used (zero if none).
func (s *Store) openToken(token string, list []byte) (pos entry, asOf time.Time, ok bool, err error) {
	if token == "" {
		return entry{}, time.Time{}, false, nil
	}
	body, ok := pagetoken.Open(s.secret, token, list)
	if !ok {
		return entry{}, time.Time{}, false, herken.ErrPageToken
	}
	r := reader{b: body}
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
