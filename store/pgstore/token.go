package pgstore

import (
	"encoding/binary"

	"github.com/herken/herken"
	"github.com/herken/herken/store/internal/pagetoken"
)

// Page tokens are opaque to clients: the position of the next page's first
// row (the values of the columns the list is ordered by, as strings),
// sealed by store/internal/pagetoken under the store's shared secret and
// bound to the list's fingerprint, so any replica opens a token another
// issued. A forged or edited token, or one used with other filters, is
// ErrPageToken.

// sealToken returns the token for a position of n parts.
func (s *Store) sealToken(list []byte, pos ...string) string {
	var body []byte
	for _, p := range pos {
		body = append(binary.AppendUvarint(body, uint64(len(p))), p...)
	}
	return pagetoken.Seal(s.secret, body, list)
}

// openToken returns the position a token carries, which must have n parts;
// nil for "".
func (s *Store) openToken(token string, list []byte, n int) ([]string, error) {
	if token == "" {
		return nil, nil
	}
	body, ok := pagetoken.Open(s.secret, token, list)
	if !ok {
		return nil, herken.ErrPageToken
	}
	var out []string
	for len(body) > 0 {
		l, k := binary.Uvarint(body)
		if k <= 0 || l > uint64(len(body)-k) {
			return nil, herken.ErrPageToken
		}
		out = append(out, string(body[k:k+int(l)]))
		body = body[k+int(l):]
	}
	if len(out) != n {
		return nil, herken.ErrPageToken
	}
	return out, nil
}
