package pgstore

import (
	"fmt"
	json "github.com/goccy/go-json"
	"strconv"
	"strings"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
)

// Records are stored as the domain's values in JSON (json columns): no
// mapping layer to keep in step with the domain, and an operator can read
// them with psql. Times marshal as RFC 3339 with nanoseconds, in UTC.
// github.com/goccy/go-json encodes and decodes them, compatible with
// encoding/json: a Lookup decodes a customer and its recent history, and
// encoding/json's decoding was half of a Lookup's time in herken.

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("pgstore: encoding %T: %v", v, err)) // domain values always marshal
	}
	return b
}

func decode[T any](b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, corrupt(fmt.Sprintf("undecodable %T record: %v", v, err))
	}
	return v, nil
}

// ns is t in Unix nanoseconds, the times of every column; zero for the
// zero time.
func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// identKey is an identifier's key in the holders table.
func identKey(id identity.Identifier) string {
	return strconv.Itoa(int(id.Kind)) + ":" + strconv.Itoa(int(id.Platform)) + ":" + id.Value
}

// parseIdentKey reads identKey back (check, digest).
func parseIdentKey(k string) (identity.Identifier, bool) {
	kind, rest, ok1 := strings.Cut(k, ":")
	plat, value, ok2 := strings.Cut(rest, ":")
	ki, err1 := strconv.Atoi(kind)
	pi, err2 := strconv.Atoi(plat)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return identity.Identifier{}, false
	}
	return identity.Identifier{Kind: identity.Kind(ki), Platform: identity.Platform(pi), Value: value}, true
}

// feedbackNS is the interactions.feedback_ns of in: its feedback's submit
// time while unanswered, else null.
func feedbackNS(in herken.Interaction) *int64 {
	if in.Feedback == nil || in.Feedback.Answered() {
		return nil
	}
	n := ns(in.Feedback.SubmitTime)
	return &n
}
