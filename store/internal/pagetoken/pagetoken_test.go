package pagetoken

import (
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	secret, list := []byte("0123456789abcdef0123456789abcdef"), []byte("list A")
	body := []byte("h/c1/7fff/i1")
	tok := Seal(secret, body, list)
	if got, ok := Open(secret, tok, list); !ok || string(got) != string(body) {
		t.Fatalf("Open(Seal) = %q, %v", got, ok)
	}
	if got, ok := Open(secret, Seal(secret, nil, list), list); !ok || len(got) != 0 {
		t.Fatalf("empty body: %q, %v", got, ok)
	}
	for name, try := range map[string]func() ([]byte, bool){
		"other list":      func() ([]byte, bool) { return Open(secret, tok, []byte("list B")) },
		"no binding":      func() ([]byte, bool) { return Open(secret, tok) },
		"split binding":   func() ([]byte, bool) { return Open(secret, tok, []byte("list"), []byte(" A")) },
		"other secret":    func() ([]byte, bool) { return Open([]byte("another secret of thirty-two b."), tok, list) },
		"edited":          func() ([]byte, bool) { return Open(secret, tok[:len(tok)-3]+"AAA", list) },
		"truncated":       func() ([]byte, bool) { return Open(secret, tok[:20], list) },
		"not base64":      func() ([]byte, bool) { return Open(secret, "!!"+tok, list) },
		"padded":          func() ([]byte, bool) { return Open(secret, tok+"==", list) },
		"too long":        func() ([]byte, bool) { return Open(secret, strings.Repeat("A", MaxLen+1), list) },
		"empty":           func() ([]byte, bool) { return Open(secret, "", list) },
		"body re-sealed":  func() ([]byte, bool) { return Open(secret, Seal([]byte("x"), body, list), list) },
		"another binding": func() ([]byte, bool) { return Open(secret, Seal(secret, body, list, []byte("format 2")), list) },
	} {
		if got, ok := try(); ok {
			t.Errorf("%s: opened (%q)", name, got)
		}
	}
}
