package poplink_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/server/poplink"
)

func signer(t testing.TB, secret string) *poplink.Signer {
	t.Helper()
	s, err := poplink.NewSigner([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	secretA = strings.Repeat("a", 32)
	now     = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	jan     = poplink.Claims{
		Identifier: identity.Identifier{Kind: identity.KindPhone, Value: "+31612345678"},
		Signer:     "pbx-1",
		Expires:    now.Add(2 * time.Minute),
	}
)

func TestRoundTrip(t *testing.T) {
	s := signer(t, secretA)
	for _, c := range []poplink.Claims{
		jan,
		{Withheld: true, Signer: "anonymous", Expires: now.Add(time.Second)},
		{Identifier: identity.Identifier{Kind: identity.KindSocial, Platform: identity.PlatformX, Value: "jandevries"}, Signer: "", Expires: now.Add(time.Hour)},
	} {
		tok, err := s.Seal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Open(tok, now)
		if err != nil || got != c {
			t.Errorf("Open(Seal(%+v)) = %+v, %v", c, got, err)
		}
		// Another replica with the same secret opens it too.
		if got, err := signer(t, secretA).Open(tok, now); err != nil || got != c {
			t.Errorf("same secret, other signer: %+v, %v", got, err)
		}
	}
}

// TestTokenHidesIdentifier: neither the number nor the signer can be read
// from a token, and two tokens for the same claims differ (fresh IV).
func TestTokenHidesIdentifier(t *testing.T) {
	s := signer(t, secretA)
	a, _ := s.Seal(jan)
	b, _ := s.Seal(jan)
	if a == b {
		t.Error("two seals of the same claims are equal")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(a)
	for _, secret := range []string{"+31612345678", "31612345678", "612345678", "pbx-1"} {
		if bytes.Contains(raw, []byte(secret)) || strings.Contains(a, secret) {
			t.Errorf("token shows %q", secret)
		}
	}
}

func TestExpired(t *testing.T) {
	s := signer(t, secretA)
	tok, _ := s.Seal(jan)
	if _, err := s.Open(tok, jan.Expires.Add(-time.Second)); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	for _, at := range []time.Time{jan.Expires, jan.Expires.Add(time.Hour)} {
		if _, err := s.Open(tok, at); !errors.Is(err, poplink.ErrExpired) {
			t.Errorf("at %v: %v, want ErrExpired", at, err)
		}
	}
}

// TestTampered: flipping any bit of any byte, cutting or extending the
// token, or opening it with another secret is ErrInvalid, never claims.
func TestTampered(t *testing.T) {
	s := signer(t, secretA)
	tok, _ := s.Seal(jan)
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	enc := base64.RawURLEncoding.EncodeToString
	for i := range raw {
		for bit := range 8 {
			bad := bytes.Clone(raw)
			bad[i] ^= 1 << bit
			if c, err := s.Open(enc(bad), now); !errors.Is(err, poplink.ErrInvalid) {
				t.Fatalf("byte %d bit %d flipped: %+v, %v", i, bit, c, err)
			}
		}
	}
	for _, bad := range []string{
		"", "x", tok[:len(tok)-1], tok[1:], tok + "A", tok + "=", strings.ToUpper(tok),
		enc(raw[:len(raw)-32]), enc(append(bytes.Clone(raw), 0)), strings.Repeat("A", 4000),
	} {
		if c, err := s.Open(bad, now); !errors.Is(err, poplink.ErrInvalid) {
			t.Errorf("Open(%.20q…) = %+v, %v", bad, c, err)
		}
	}
	if _, err := signer(t, strings.Repeat("b", 32)).Open(tok, now); !errors.Is(err, poplink.ErrInvalid) {
		t.Errorf("another secret: %v", err)
	}
}

func TestSecretTooShort(t *testing.T) {
	if _, err := poplink.NewSigner([]byte(strings.Repeat("a", 31))); err == nil {
		t.Error("a 31-byte secret was accepted")
	}
	if len(poplink.NewSecret()) != poplink.MinSecretBytes || bytes.Equal(poplink.NewSecret(), poplink.NewSecret()) {
		t.Error("NewSecret")
	}
}

func FuzzOpen(f *testing.F) {
	s := signer(f, secretA)
	tok, _ := s.Seal(jan)
	f.Add(tok)
	f.Add("")
	// The fuzzer's workers are processes of their own, each sealing its
	// own tok (a fresh IV): what opens must be a seal of jan's claims, the
	// only claims any of them sealed.
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Open(token, now)
		if err == nil && c != jan {
			t.Fatalf("a token no seal made opened: %+v", c)
		}
	})
}

// TestTokenLengthHidesIdentifierLength: a short number and a long e-mail
// address make tokens of one length.
func TestTokenLengthHidesIdentifierLength(t *testing.T) {
	s := signer(t, secretA)
	short, _ := s.Seal(jan)
	long := jan
	long.Identifier = identity.Identifier{Kind: identity.KindEmail, Value: "johannes.van.der.vries-de.boer@voorbeeld-provider.nl"}
	lt, _ := s.Seal(long)
	if len(short) != len(lt) {
		t.Errorf("token lengths %d and %d", len(short), len(lt))
	}
	longest := jan
	longest.Signer = strings.Repeat("k", 255)
	longest.Identifier.Value = strings.Repeat("v", 512)
	tok, err := s.Seal(longest)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Open(tok, now); err != nil || got != longest {
		t.Errorf("the longest claims: %v", err)
	}
}
