package rawscan

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinNeedle is the shortest string Scan accepts: shorter ones turn up by
// chance in compressed or encrypted bytes and so prove nothing either way.
const MinNeedle = 4

// matcher finds needles in any letter case. Haystacks are folded to ASCII
// lower case byte for byte (offsets stay true), so "JAN de vries" matches
// "Jan de Vries"; for letters beyond ASCII each needle also carries its
// Unicode lower, upper and title forms ("YILMAZ", "yılmaz", "Yılmaz").
type matcher struct {
	needles [][]byte
	forms   []form // every distinct folded variant
	maxLen  int
}

type form struct {
	needle int
	folded []byte
}

func newMatcher(needles [][]byte) (*matcher, error) {
	if len(needles) == 0 {
		return nil, fmt.Errorf("rawscan: no needles: a scan for nothing proves nothing")
	}
	m := &matcher{needles: needles}
	for i, n := range needles {
		if len(n) < MinNeedle {
			return nil, fmt.Errorf("rawscan: needle %d is %d bytes, shorter than %d", i, len(n), MinNeedle)
		}
		seen := map[string]bool{}
		for _, v := range variants(n) {
			f := string(foldASCII(nil, v))
			if seen[f] {
				continue
			}
			seen[f] = true
			m.forms = append(m.forms, form{needle: i, folded: []byte(f)})
			m.maxLen = max(m.maxLen, len(f))
		}
	}
	return m, nil
}

// variants are n and, when n is UTF-8, its Unicode lower, upper and title
// case spellings.
func variants(n []byte) [][]byte {
	v := [][]byte{n}
	if !utf8.Valid(n) {
		return v
	}
	s := string(n)
	return append(v, []byte(strings.ToLower(s)), []byte(strings.ToUpper(s)), []byte(titleCase(s)))
}

// titleCase upper-cases the first letter of every word and lower-cases the
// rest.
func titleCase(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		if start {
			b.WriteRune(unicode.ToTitle(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = unicode.IsSpace(r) || r == '-'
	}
	return b.String()
}

// foldASCII appends b with A-Z mapped to a-z to dst.
func foldASCII(dst, b []byte) []byte {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// hit is one match: which needle, at which offset of the haystack.
type hit struct {
	needle int
	off    int
}

// find returns every match in b; scratch is reused for the folded copy.
func (m *matcher) find(b []byte, scratch *[]byte) []hit {
	if len(b) == 0 {
		return nil
	}
	*scratch = foldASCII((*scratch)[:0], b)
	h := *scratch
	var hits []hit
	for _, f := range m.forms {
		for from := 0; ; {
			i := bytes.Index(h[from:], f.folded)
			if i < 0 {
				break
			}
			hits = append(hits, hit{needle: f.needle, off: from + i})
			from += i + 1
		}
	}
	// Two spellings of one needle can match at one place ("İ" lowers to
	// two runes): one finding each.
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.needle, b.needle), cmp.Compare(a.off, b.off))
	})
	return slices.Compact(hits)
}
