package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// parseWhen reads a time: RFC 3339 ("2025-03-01T14:00:00+01:00"), local
// "2006-01-02 15:04" or "2006-01-02", or a duration from now ("2h", "90m",
// "3d"; a leading + or - says which way, else dir: +1 ahead, -1 back).
func parseWhen(s string, now time.Time, dir int) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	d, err := parseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time: want RFC 3339, \"2006-01-02 15:04\", \"2006-01-02\" or a duration such as \"2h\" or \"3d\"", s)
	}
	switch {
	case strings.HasPrefix(s, "+"), strings.HasPrefix(s, "-"):
		return now.Add(d), nil
	case dir < 0:
		return now.Add(-d), nil
	}
	return now.Add(d), nil
}

// parseDuration is time.ParseDuration with days ("3d", "1d12h").
func parseDuration(s string) (time.Duration, error) {
	sign := time.Duration(1)
	t := s
	if rest, ok := strings.CutPrefix(t, "-"); ok {
		sign, t = -1, rest
	} else {
		t = strings.TrimPrefix(t, "+")
	}
	var days time.Duration
	if i := strings.IndexByte(t, 'd'); i > 0 {
		n, err := strconv.Atoi(t[:i])
		if err != nil {
			return 0, err
		}
		days, t = time.Duration(n)*24*time.Hour, t[i+1:]
	}
	var rest time.Duration
	if t != "" {
		var err error
		if rest, err = time.ParseDuration(t); err != nil {
			return 0, err
		}
	}
	return sign * (days + rest), nil
}

// parseEnum reads a value of a generated enum: "phone", "follow-up" or the
// full name ("CHANNEL_PHONE"); aliases map extra words.
func parseEnum(flagName, s, prefix string, values map[string]int32, aliases map[string]string) (int32, error) {
	key := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	if a, ok := aliases[strings.ToLower(key)]; ok {
		key = a
	}
	if v, ok := values[key]; ok && v != 0 {
		return v, nil
	}
	if v, ok := values[prefix+key]; ok && v != 0 {
		return v, nil
	}
	return 0, fmt.Errorf("--%s %q: want one of %s", flagName, s, enumChoices(prefix, values))
}

func enumChoices(prefix string, values map[string]int32) string {
	type kv struct {
		name string
		v    int32
	}
	var list []kv
	for name, v := range values {
		if v != 0 && strings.HasPrefix(name, prefix) {
			list = append(list, kv{enumText(name, prefix), v})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v < list[j].v })
	names := make([]string, len(list))
	for i, e := range list {
		names[i] = e.name
	}
	return strings.Join(names, ", ")
}

// inputChannels lists the channels a client may send (not "system", which
// herken records itself).
func inputChannels() string {
	return strings.TrimSuffix(enumChoices("CHANNEL_", herkenv1.Channel_value), ", system")
}
