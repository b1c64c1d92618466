// Package poplink seals and opens the tokens of screen pop links: a
// short-lived capability to see one caller's screen pop, asked for by a key
// with the lookup scope and opened by an agent's browser that holds no key.
//
// A token is encrypt-then-MAC: the claims (identifier, signer, expiry) are
// encrypted with AES-256-CTR under a fresh random IV, so the caller's number
// never shows in a URL, a browser history or a proxy's log, and the version,
// IV and ciphertext are signed with HMAC-SHA256. Both keys are derived from
// one secret with HKDF, so replicas that share the secret open each other's
// links. Open checks the MAC in constant time before it decrypts anything.
package poplink

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/herken/herken/identity"
)

// MinSecretBytes is the shortest secret a Signer accepts.
const MinSecretBytes = 32

const (
	version = 1
	ivLen   = aes.BlockSize
	macLen  = sha256.Size
	// maxValue bounds an identifier's value in a token; canonical
	// identifiers are far shorter (a query is at most 1 KiB, but a query is
	// never canonical).
	maxValue = 512
	maxName  = 255
	// header is the claims' fixed part: expiry, kind, platform, withheld,
	// the signer's length and the value's.
	header = 8 + 3 + 1 + 2
	// pad: the claims are padded to a multiple of it, so a token's length
	// does not tell a short number from a long e-mail address.
	pad = 128
	// maxToken is the longest token Seal makes, in base64; anything longer
	// is not decoded at all.
	maxToken = ((1+ivLen+(header+maxName+maxValue+pad-1)/pad*pad+macLen)*4 + 2) / 3
)

// enc is base64url without padding, refusing the non-canonical spellings
// of a token, so one token has exactly one string.
var enc = base64.RawURLEncoding.Strict()

// Errors of Open. Neither says more than which: an invalid token's content is
// not looked at.
var (
	// ErrInvalid: the token was not sealed by a Signer with this secret
	// (tampered, truncated, another server's).
	ErrInvalid = errors.New("poplink: invalid token")
	// ErrExpired: the token was valid until its expiry, which has passed.
	ErrExpired = errors.New("poplink: token expired")
)

// Claims are what a token carries.
type Claims struct {
	// Identifier is the caller's identifier, canonical; zero when Withheld.
	Identifier identity.Identifier
	Withheld   bool
	// Signer is the name of the key that asked for the link.
	Signer string
	// Expires is when the token stops opening (whole milliseconds).
	Expires time.Time
}

// Signer seals and opens tokens with one secret. It is safe for concurrent
// use.
type Signer struct {
	block  cipher.Block
	macKey []byte
}

// NewSigner derives the token keys from secret (at least MinSecretBytes of
// random bytes).
func NewSigner(secret []byte) (*Signer, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("poplink: the secret has %d bytes; at least %d are needed", len(secret), MinSecretBytes)
	}
	encKey, err := hkdf.Key(sha256.New, secret, nil, "herken screen pop link v1 encryption", 32)
	if err != nil {
		return nil, err
	}
	macKey, err := hkdf.Key(sha256.New, secret, nil, "herken screen pop link v1 mac", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	return &Signer{block: block, macKey: macKey}, nil
}

// Seal returns the token for c: URL-safe base64 without padding.
func (s *Signer) Seal(c Claims) (string, error) {
	if len(c.Identifier.Value) > maxValue || len(c.Signer) > maxName {
		return "", errors.New("poplink: claims too long for a token")
	}
	n := header + len(c.Signer) + len(c.Identifier.Value)
	plain := make([]byte, 0, (n+pad-1)/pad*pad)
	plain = binary.BigEndian.AppendUint64(plain, uint64(c.Expires.UnixMilli()))
	var withheld byte
	if c.Withheld {
		withheld = 1
	}
	plain = append(plain, byte(c.Identifier.Kind), byte(c.Identifier.Platform), withheld, byte(len(c.Signer)))
	plain = binary.BigEndian.AppendUint16(plain, uint16(len(c.Identifier.Value)))
	plain = append(plain, c.Signer...)
	plain = append(plain, c.Identifier.Value...)
	plain = plain[:cap(plain)] // zero padding

	tok := make([]byte, 1+ivLen+len(plain), 1+ivLen+len(plain)+macLen)
	tok[0] = version
	iv := tok[1 : 1+ivLen]
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	cipher.NewCTR(s.block, iv).XORKeyStream(tok[1+ivLen:], plain)
	tok = s.mac(tok, tok)
	return enc.EncodeToString(tok), nil
}

// Open checks token and returns its claims: ErrInvalid unless this secret
// sealed it, ErrExpired when now is at or past its expiry.
func (s *Signer) Open(token string, now time.Time) (Claims, error) {
	if len(token) > maxToken {
		return Claims{}, ErrInvalid
	}
	raw, err := enc.DecodeString(token)
	if err != nil || len(raw) < 1+ivLen+header+macLen || raw[0] != version {
		return Claims{}, ErrInvalid
	}
	body, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(s.mac(nil, body), sum) {
		return Claims{}, ErrInvalid
	}
	plain := make([]byte, len(body)-1-ivLen)
	cipher.NewCTR(s.block, body[1:1+ivLen]).XORKeyStream(plain, body[1+ivLen:])
	exp := int64(binary.BigEndian.Uint64(plain))
	ns, nv := int(plain[11]), int(binary.BigEndian.Uint16(plain[12:]))
	if header+ns+nv > len(plain) {
		return Claims{}, ErrInvalid // a sealed token never has this
	}
	c := Claims{
		Identifier: identity.Identifier{
			Kind:     identity.Kind(plain[8]),
			Platform: identity.Platform(plain[9]),
			Value:    string(plain[header+ns : header+ns+nv]),
		},
		Withheld: plain[10] == 1,
		Signer:   string(plain[header : header+ns]),
		Expires:  time.UnixMilli(exp).UTC(),
	}
	if !now.Before(c.Expires) {
		return Claims{}, ErrExpired
	}
	return c, nil
}

// mac appends the HMAC-SHA256 of msg to dst.
func (s *Signer) mac(dst, msg []byte) []byte {
	h := hmac.New(sha256.New, s.macKey)
	h.Write(msg)
	return h.Sum(dst)
}

// NewSecret returns MinSecretBytes random bytes, for a server that was given
// no secret (its links open on no other replica, and not after a restart).
func NewSecret() []byte {
	b := make([]byte, MinSecretBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}
