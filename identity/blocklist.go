package identity

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Blocklist holds placeholder identifiers: values CRM exports and web forms
// are full of ("0000000000", "test@test.com", "noreply@...", "unknown")
// that belong to nobody and, if linked, glue strangers together. A blocked
// identifier is never linked and never matches. The zero value blocks
// nothing; DefaultBlocklist is what the server ships with.
type Blocklist struct {
	rules []blockRule
}

type blockRule struct {
	kind Kind
	re   *regexp.Regexp
	src  string
}

// defaultBlockRules is the shipped list, in the file format of
// ParseBlocklist. Phone numbers that are a run of eight or more zeros or
// nines after at most three digits of country and area code are
// placeholders (a real number
// ending in 0000000, like +31610000000, is not); everything the normaliser rejects (like "0000000000" or
// "1234567890") never gets this far, and "+31612345678" stays allowed: it is
// the example number of every Dutch form and of our own demo data. Email local parts and external ids are compared
// without case.
const defaultBlockRules = `
# phone numbers that are eight or more zeros or nines after at most three digits ("+31 20 0000000")
phone \+\d{1,3}(0{8,}|9{8,})
# email addresses of nobody
email (no-?reply|do-?not-?reply|noreply\d*|geen|geen-?email|none|null|nil|unknown|onbekend|anonymous|anoniem|nobody|niemand|test|abc|xxx+|x|a)@.*
email .*@(test|email|geen|none|noemail|no-?email)\.(com|nl|net|org)
email test@test\..*
# external ids that say "none"
external_id (unknown|onbekend|null|nil|none|n/?a|-+|0+|x+|test|anonymous|anoniem|geen|tbd|todo)
# social handles that say "none"
social [a-z]+:(unknown|onbekend|null|none|test|anonymous|anoniem|geen)
`

// DefaultBlocklist returns the shipped blocklist.
func DefaultBlocklist() *Blocklist {
	b, err := ParseBlocklist(strings.NewReader(defaultBlockRules))
	if err != nil {
		panic("identity: default blocklist: " + err.Error()) // a bug, caught by the tests
	}
	return b
}

var blockKinds = map[string]Kind{
	"phone": KindPhone, "email": KindEmail, "social": KindSocial,
	"external_id": KindExternalID, "postal_address": KindPostalAddress,
}

// ParseBlocklist reads rules, one per line: a kind (phone, email, social,
// external_id, postal_address), a space, and a regular expression (RE2)
// that must match the whole canonical value (identifier.proto lists the
// forms: "+31612345678", "jan@example.nl", "x:jandevries", "K-100234",
// "1234AB 10"). Matching ignores case. Blank lines and lines starting with
// '#' are skipped. Errors name the line.
func ParseBlocklist(r io.Reader) (*Blocklist, error) {
	b := &Blocklist{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, expr, ok := strings.Cut(line, " ")
		kind, known := blockKinds[name]
		if !ok || !known {
			return nil, fmt.Errorf("blocklist line %d: want \"<kind> <regexp>\" with kind one of phone, email, social, external_id, postal_address", n)
		}
		re, err := regexp.Compile(`(?i)^(?:` + strings.TrimSpace(expr) + `)$`)
		if err != nil {
			return nil, fmt.Errorf("blocklist line %d: %v", n, err)
		}
		b.rules = append(b.rules, blockRule{kind: kind, re: re, src: line})
	}
	return b, sc.Err()
}

// Extend returns a blocklist with b's rules and more's.
func (b *Blocklist) Extend(more *Blocklist) *Blocklist {
	out := &Blocklist{}
	if b != nil {
		out.rules = append(out.rules, b.rules...)
	}
	if more != nil {
		out.rules = append(out.rules, more.rules...)
	}
	return out
}

// Len is the number of rules.
func (b *Blocklist) Len() int {
	if b == nil {
		return 0
	}
	return len(b.rules)
}

// Blocked reports whether id is a placeholder on the list.
func (b *Blocklist) Blocked(id Identifier) bool {
	if b == nil {
		return false
	}
	for _, r := range b.rules {
		if r.kind == id.Kind && r.re.MatchString(id.Value) {
			return true
		}
	}
	return false
}
