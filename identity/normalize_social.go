package identity

import (
	"strings"
)

// Social handles become "platform:handle" ("x:jandevries",
// "mastodon:jan@mastodon.social", "whatsapp:+31612345678"). A handle can be
// given three ways:
//   - bare, with the platform set: "@JanDeVries";
//   - as "platform:handle" with any ParsePlatform name: "twitter:@jan";
//   - as a profile URL, with or without scheme, "www.", "m.", "mobile." or
//     "web.", trailing slash, query and fragment: "https://x.com/jan".
//
// All listed platforms treat handles case-insensitively, so handles are
// lower-cased. Each platform's character set and length are checked (see
// handleRules); non-ASCII handles are rejected. A WhatsApp handle is a phone
// number and goes through the phone rules. Mastodon handles carry their
// instance ("user@instance"); a profile URL on any host is accepted as
// Mastodon when the platform is set to Mastodon, and without a platform only
// on well-known instances or hosts named like one (see looksLikeMastodon).

const maxSocialInput = 512 // bytes; a profile URL with tracking parameters fits

const (
	msgSocialTooLong  = "handle or profile URL must be at most 512 bytes"
	msgSocialMismatch = "handle belongs to a different platform than the one given"
	msgSocialNoHandle = "profile URL does not contain a handle"
	msgSocialNotProf  = "URL is not a profile URL of the platform"
	msgSocialWhatsApp = "WhatsApp handle must be a valid phone number without extension"
	msgSocialMastodon = "Mastodon handle must be user@instance with a user of 1 to 64 letters, digits, '_', '.' or '-' and a valid instance host name"
	msgSocialLinkedIn = "LinkedIn profile slug must be 3 to 100 letters, digits or hyphens"
)

// platformAliases maps lower-case platform names, as agents and CRMs spell
// them, to a Platform.
var platformAliases = map[string]Platform{
	"x": PlatformX, "twitter": PlatformX, "x (twitter)": PlatformX, "twitter (x)": PlatformX,
	"x/twitter": PlatformX, "twitter/x": PlatformX,
	"facebook": PlatformFacebook, "fb": PlatformFacebook, "messenger": PlatformFacebook,
	"facebook messenger": PlatformFacebook, "instagram": PlatformInstagram,
	"ig": PlatformInstagram, "insta": PlatformInstagram,
	"whatsapp": PlatformWhatsApp, "wa": PlatformWhatsApp, "whats app": PlatformWhatsApp,
	"whatsapp business": PlatformWhatsApp, "telegram": PlatformTelegram, "tg": PlatformTelegram,
	"linkedin": PlatformLinkedIn, "linked in": PlatformLinkedIn,
	"tiktok": PlatformTikTok, "tik tok": PlatformTikTok,
	"youtube": PlatformYouTube, "yt": PlatformYouTube,
	"snapchat": PlatformSnapchat, "snap": PlatformSnapchat, "threads": PlatformThreads,
	"mastodon": PlatformMastodon, "fediverse": PlatformMastodon,
}

// ParsePlatform parses a platform name: the canonical names ("x",
// "instagram", ...) and common aliases ("twitter", "X (Twitter)", "fb", "ig",
// "insta", "wa", "tg", "yt", ...), case-insensitively, ignoring surrounding
// and repeated spaces.
func ParsePlatform(name string) (Platform, bool) {
	name = strings.TrimSpace(name)
	var buf [24]byte
	n, gap := 0, false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == ' ' || c == '\t' {
			gap = n > 0
			continue
		}
		if n+2 > len(buf) || c >= 0x80 {
			return PlatformUnspecified, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if gap {
			buf[n] = ' '
			n++
			gap = false
		}
		buf[n] = c
		n++
	}
	p, ok := platformAliases[string(buf[:n])]
	return p, ok
}

// handleRule is a platform's handle syntax: min..max bytes of a-z, 0-9 and
// the bytes in extra, after lower-casing.
type handleRule struct {
	min, max int
	extra    string
	msg      string
}

var handleRules = [platformEnd]handleRule{
	PlatformX:         {1, 15, "_", "X handle must be 1 to 15 letters, digits or '_'"},
	PlatformInstagram: {1, 30, "._", "Instagram handle must be 1 to 30 letters, digits, '.' or '_'"},
	PlatformFacebook:  {5, 50, ".", "Facebook username must be 5 to 50 letters, digits or '.', or a numeric profile id"},
	PlatformTelegram:  {5, 32, "_", "Telegram username must be 5 to 32 letters, digits or '_'"},
	PlatformLinkedIn:  {3, 100, "-", msgSocialLinkedIn},
	PlatformTikTok:    {2, 24, "._", "TikTok handle must be 2 to 24 letters, digits, '.' or '_'"},
	PlatformYouTube:   {3, 30, "._-", "YouTube handle must be 3 to 30 letters, digits, '.', '_' or '-'"},
	PlatformSnapchat:  {3, 15, "._-", "Snapchat username must be 3 to 15 letters, digits, '.', '_' or '-'"},
	PlatformThreads:   {1, 30, "._", "Threads handle must be 1 to 30 letters, digits, '.' or '_'"},
}

// Social normalises a social handle or profile URL. p may be
// PlatformUnspecified when raw is a profile URL or "platform:handle".
func (n *Normalizer) Social(p Platform, raw string) (Identifier, error) {
	id, err := n.social(p, raw)
	if err != nil {
		return Identifier{}, err
	}
	return id, nil
}

func (n *Normalizer) social(p Platform, raw string) (Identifier, *Error) {
	if p != PlatformUnspecified && !p.Valid() {
		return Identifier{}, invalid(ReasonSocialPlatformInvalid, fieldSocialPlatform, "platform is not one of the defined platforms")
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return Identifier{}, invalid(ReasonIdentifierMissing, fieldSocialHandle, "social handle is required")
	}
	if len(s) > maxSocialInput {
		return Identifier{}, handleErr(msgSocialTooLong)
	}
	if u, ok := parseProfileURL(s); ok {
		return n.socialURL(p, u)
	}
	if i := strings.IndexByte(s, ':'); i > 0 {
		if q, ok := ParsePlatform(s[:i]); ok {
			if p != PlatformUnspecified && p != q {
				return Identifier{}, handleErr(msgSocialMismatch)
			}
			p, s = q, strings.TrimSpace(s[i+1:])
		}
	}
	if p == PlatformUnspecified {
		return Identifier{}, invalid(ReasonSocialPlatformInvalid, fieldSocialPlatform,
			"platform is required unless the handle is a profile URL or platform:handle")
	}
	return n.socialHandle(p, s)
}

func handleErr(msg string) *Error {
	return invalid(ReasonSocialHandleInvalid, fieldSocialHandle, "%s", msg)
}

// socialHandle validates a bare handle of platform p and builds the Identifier.
func (n *Normalizer) socialHandle(p Platform, h string) (Identifier, *Error) {
	switch p {
	case PlatformWhatsApp:
		r, msg := n.phone(h)
		if msg != "" || r.withheld || r.ext != "" {
			return Identifier{}, handleErr(msgSocialWhatsApp)
		}
		return Identifier{Kind: KindSocial, Platform: p, Value: "whatsapp:" + r.e164}, nil
	case PlatformMastodon:
		v, msg := mastodonHandle(strings.TrimPrefix(h, "@"))
		if msg != "" {
			return Identifier{}, handleErr(msg)
		}
		return Identifier{Kind: KindSocial, Platform: p, Value: "mastodon:" + v}, nil
	}
	h = strings.TrimPrefix(h, "@")
	rule := &handleRules[p]
	if len(h) < rule.min || len(h) > rule.max {
		return Identifier{}, handleErr(rule.msg)
	}
	name := platformNames[p]
	buf := make([]byte, 0, len(name)+1+len(h))
	buf = append(buf, name...)
	buf = append(buf, ':')
	for i := 0; i < len(h); i++ {
		c := h[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !isLowerAlnum(c) && strings.IndexByte(rule.extra, c) < 0 {
			return Identifier{}, handleErr(rule.msg)
		}
		buf = append(buf, c)
	}
	return Identifier{Kind: KindSocial, Platform: p, Value: string(buf)}, nil
}

// mastodonHandle canonicalises "user@instance" (the leading '@' already cut).
func mastodonHandle(h string) (string, string) {
	at := strings.IndexByte(h, '@')
	if at <= 0 || at > 64 {
		return "", msgSocialMastodon
	}
	user := h[:at]
	for i := 0; i < len(user); i++ {
		c := user[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) && c != '_' && c != '.' && c != '-' {
			return "", msgSocialMastodon
		}
	}
	host, msg := normalizeHostname(h[at+1:])
	if msg != "" {
		return "", msgSocialMastodon
	}
	return lowerASCII(user) + "@" + host, ""
}

// profileURL is a profile URL taken apart: the lower-case host without
// "www."-style prefixes and port, up to four path segments, and the query.
type profileURL struct {
	host     string
	platform Platform // PlatformUnspecified when the host is not a known platform
	seg      [4]string
	nseg     int
	query    string
}

// hostPlatforms are the hosts of profile URLs, after prefix stripping.
var hostPlatforms = map[string]Platform{
	"x.com": PlatformX, "twitter.com": PlatformX,
	"facebook.com": PlatformFacebook, "fb.com": PlatformFacebook,
	"instagram.com": PlatformInstagram, "instagr.am": PlatformInstagram,
	"wa.me": PlatformWhatsApp, "whatsapp.com": PlatformWhatsApp, "api.whatsapp.com": PlatformWhatsApp,
	"t.me": PlatformTelegram, "telegram.me": PlatformTelegram, "telegram.dog": PlatformTelegram,
	"linkedin.com": PlatformLinkedIn, "tiktok.com": PlatformTikTok, "youtube.com": PlatformYouTube,
	"snapchat.com": PlatformSnapchat, "threads.net": PlatformThreads, "threads.com": PlatformThreads,
	// Large Mastodon instances, so their URLs are recognised without a platform.
	"mastodon.social": PlatformMastodon, "mastodon.online": PlatformMastodon, "mas.to": PlatformMastodon,
	"mstdn.social": PlatformMastodon, "mastodon.nl": PlatformMastodon, "mastodon.world": PlatformMastodon,
	"fosstodon.org": PlatformMastodon, "hachyderm.io": PlatformMastodon, "infosec.exchange": PlatformMastodon,
	"social.vivaldi.net": PlatformMastodon, "toot.community": PlatformMastodon,
}

// looksLikeMastodon accepts instance hosts named after the software
// ("mastodon.example.nl", "mstdn.jp").
func looksLikeMastodon(host string) bool {
	return strings.Contains(host, "mastodon") || strings.Contains(host, "mstdn")
}

// parseProfileURL recognises a URL: anything with an http(s) scheme, or a
// scheme-less string whose host is a known platform host. It does no
// percent-decoding (only the LinkedIn slug needs it).
func parseProfileURL(s string) (profileURL, bool) {
	var u profileURL
	rest, scheme := s, false
	switch {
	case hasPrefixFold(rest, "https://"):
		rest, scheme = rest[len("https://"):], true
	case hasPrefixFold(rest, "http://"):
		rest, scheme = rest[len("http://"):], true
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host := rest[:end]
	if strings.IndexByte(host, '@') >= 0 {
		return u, scheme // userinfo or a handle like "jan@mastodon.social"
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && allDigits(host[i+1:]) {
		host = host[:i]
	}
	host = strings.TrimSuffix(lowerASCII(host), ".")
	for _, prefix := range [...]string{"www.", "m.", "mobile.", "web."} {
		if strings.HasPrefix(host, prefix) {
			host = host[len(prefix):]
			break
		}
	}
	u.host = host
	u.platform = hostPlatforms[host]
	if u.platform == PlatformUnspecified && strings.HasSuffix(host, ".linkedin.com") {
		u.platform = PlatformLinkedIn // country hosts: nl.linkedin.com
	}
	if !scheme && u.platform == PlatformUnspecified {
		return u, false
	}
	path := rest[end:]
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, u.query = path[:i], path[i+1:]
	}
	for path != "" && u.nseg < len(u.seg) {
		var seg string
		seg, path, _ = strings.Cut(path, "/")
		if seg != "" {
			u.seg[u.nseg] = seg
			u.nseg++
		}
	}
	return u, true
}

// socialURL resolves a profile URL to a handle of the given (or detected)
// platform.
func (n *Normalizer) socialURL(p Platform, u profileURL) (Identifier, *Error) {
	q := u.platform
	if q == PlatformUnspecified {
		switch {
		case p == PlatformMastodon || p == PlatformUnspecified && looksLikeMastodon(u.host):
			q = PlatformMastodon
		case p == PlatformUnspecified:
			return Identifier{}, invalid(ReasonSocialPlatformInvalid, fieldSocialPlatform,
				"the URL's host is not a known social platform; set the platform")
		default:
			return Identifier{}, handleErr(msgSocialMismatch)
		}
	}
	if p != PlatformUnspecified && p != q {
		return Identifier{}, handleErr(msgSocialMismatch)
	}
	h, msg := urlHandle(q, u)
	if msg != "" {
		return Identifier{}, handleErr(msg)
	}
	return n.socialHandle(q, h)
}

// urlHandle extracts the handle from a profile URL's path (or query).
func urlHandle(p Platform, u profileURL) (string, string) {
	seg0 := u.seg[0]
	if u.nseg == 0 && !(p == PlatformWhatsApp && u.query != "") {
		return "", msgSocialNoHandle
	}
	switch p {
	case PlatformX, PlatformInstagram, PlatformTelegram:
		if isReservedPath(p, seg0) {
			return "", msgSocialNotProf
		}
		return seg0, ""
	case PlatformFacebook:
		switch {
		case strings.EqualFold(seg0, "profile.php"):
			id := queryParam(u.query, "id")
			if id == "" || !allDigits(id) {
				return "", msgSocialNoHandle
			}
			return id, ""
		case strings.EqualFold(seg0, "people") && u.nseg >= 3 && allDigits(u.seg[2]):
			return u.seg[2], "" // /people/Jan-de-Vries/100012345678
		case isReservedPath(p, seg0):
			return "", msgSocialNotProf
		}
		return seg0, ""
	case PlatformLinkedIn:
		if !strings.EqualFold(seg0, "in") || u.nseg < 2 {
			return "", msgSocialNotProf
		}
		slug, ok := percentDecodeASCII(u.seg[1])
		if !ok {
			return "", msgSocialLinkedIn
		}
		return slug, ""
	case PlatformTikTok, PlatformYouTube, PlatformThreads:
		if !strings.HasPrefix(seg0, "@") {
			return "", msgSocialNotProf // /watch, /channel/..., /video/... are not handles
		}
		return seg0, ""
	case PlatformSnapchat:
		switch {
		case strings.EqualFold(seg0, "add") && u.nseg >= 2:
			return u.seg[1], ""
		case strings.HasPrefix(seg0, "@"):
			return seg0, ""
		}
		return "", msgSocialNotProf
	case PlatformWhatsApp:
		num := seg0 // wa.me/31612345678
		if u.host != "wa.me" {
			if u.nseg > 1 || u.nseg == 1 && !strings.EqualFold(seg0, "send") {
				return "", msgSocialNotProf
			}
			num = queryParam(u.query, "phone") // api.whatsapp.com/send?phone=31612345678
			if hasPrefixFold(num, "%2b") {
				num = num[3:]
			}
		}
		if num == "" || !allDigits(strings.TrimPrefix(num, "+")) {
			return "", msgSocialWhatsApp
		}
		if num[0] != '+' {
			num = "+" + num // wa.me numbers are international without '+'
		}
		return num, ""
	case PlatformMastodon:
		switch {
		case strings.HasPrefix(seg0, "@") && strings.IndexByte(seg0[1:], '@') >= 0:
			return seg0, "" // a remote profile seen from this instance: /@jan@other.example
		case strings.HasPrefix(seg0, "@"):
			return seg0 + "@" + u.host, ""
		case strings.EqualFold(seg0, "users") && u.nseg >= 2:
			return u.seg[1] + "@" + u.host, ""
		}
		return "", msgSocialNotProf
	}
	return "", msgSocialNotProf
}

// reservedPaths are first path segments that are site pages, not profiles.
var reservedPaths = map[Platform][]string{
	PlatformX: {"home", "explore", "search", "i", "intent", "share", "hashtag", "settings", "messages",
		"notifications", "login", "signup", "tos", "privacy", "compose"},
	PlatformInstagram: {"p", "reel", "reels", "explore", "accounts", "direct", "stories", "tv", "about", "legal"},
	PlatformFacebook: {"groups", "pages", "events", "watch", "share", "sharer", "sharer.php", "login",
		"marketplace", "photo.php", "permalink.php", "story.php", "help", "gaming", "profile.php", "people"},
	PlatformTelegram: {"joinchat", "share", "addstickers", "proxy", "socks", "addlist"},
}

func isReservedPath(p Platform, seg string) bool {
	for _, r := range reservedPaths[p] {
		if strings.EqualFold(seg, r) {
			return true
		}
	}
	return false
}

// queryParam returns the raw value of key in a URL query.
func queryParam(query, key string) string {
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// percentDecodeASCII decodes %XX escapes; it fails on malformed escapes and
// on anything that decodes to non-ASCII.
func percentDecodeASCII(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, lo := unhex(s[i+1]), unhex(s[i+2])
		if hi < 0 || lo < 0 || hi >= 8 {
			return "", false
		}
		b = append(b, byte(hi<<4|lo))
		i += 2
	}
	return string(b), true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return true
}
