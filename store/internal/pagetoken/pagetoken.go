// Package pagetoken seals and opens the stores' page tokens: a store's own
// position (a key, an index entry) under an HMAC-SHA256 that binds it to
// the store's secret and to the list it was issued for, so a client can
// neither forge a position nor carry a token to another list. It imports
// the standard library only; every store uses it.
package pagetoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// MaxLen is the longest token Open reads: tokens carry one position, and
// a longer one is junk, not worth decoding.
const MaxLen = 1024

// Seal returns the token for body (the store's position), bound to secret
// and to every part of bind (the list's fingerprint, a store format...).
func Seal(secret, body []byte, bind ...[]byte) string {
	return base64.RawURLEncoding.EncodeToString(append(mac(secret, body, bind), body...))
}

// Open returns the body of a token that Seal made with the same secret and
// binding, and false for anything else: forged, edited, truncated, another
// list's or another store's token. Base64 is decoded strictly, so a token
// has one spelling.
func Open(secret []byte, token string, bind ...[]byte) ([]byte, bool) {
	if len(token) > MaxLen {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < sha256.Size {
		return nil, false
	}
	body := raw[sha256.Size:]
	if !hmac.Equal(mac(secret, body, bind), raw[:sha256.Size]) {
		return nil, false
	}
	return body, true
}

// mac authenticates the binding and the body; every binding part is
// length-prefixed, so no two bindings read the same.
func mac(secret, body []byte, bind [][]byte) []byte {
	h := hmac.New(sha256.New, secret)
	var n [binary.MaxVarintLen64]byte
	for _, b := range bind {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))])
		h.Write(b)
	}
	h.Write(body)
	return h.Sum(nil)
}
