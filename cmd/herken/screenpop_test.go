package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken/internal/demo"
)

// popServer serves the demo with the HTTP gateway and the screen pop page,
// its configuration changed by edit (nil: none), and returns the gRPC
// address and the HTTP base URL.
func popServer(t *testing.T, edit func(*serveConfig)) (addr, base string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := l.Addr().String()
	l.Close()
	cfg := testConfig()
	cfg.HTTP.Addr = httpAddr
	if edit != nil {
		edit(&cfg)
	}
	return startServer(t, cfg), "http://" + httpAddr
}

// popPage is one answer of the screen pop page.
type popPage struct {
	code int
	body string
	h    http.Header
}

// openPage asks for a screen pop page: a GET, or a POST of form when form
// is not nil; hdr are extra request headers. It never sends an
// Authorization header.
func openPage(t *testing.T, method, u string, hdr map[string]string, form url.Values) popPage {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return popPage{resp.StatusCode, string(b), resp.Header}
}

// cliLink runs herken screen-pop against the server at addr and returns
// the link it prints.
func cliLink(t *testing.T, addr string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := screenPopCmd(context.Background(), append([]string{"--addr", addr}, args...), &out, &errb); err != nil {
		t.Fatalf("screen-pop %q: %v\n%s", args, err, errb.String())
	}
	link := strings.TrimSpace(out.String())
	if strings.Count(out.String(), "\n") != 1 || !strings.Contains(link, "/screen-pop/") {
		t.Fatalf("screen-pop %q printed %q, want one link", args, out.String())
	}
	return link
}

// apiLink asks the gateway for a link with the JSON body body and returns
// the link's url.
func apiLink(t *testing.T, base, key, body string) string {
	t.Helper()
	code, m, _ := call(t, "POST", base+"/v1/screenPopLinks", key, body)
	if code != 200 || str(m, "url") == "" || str(m, "token") == "" || str(m, "expireTime") == "" {
		t.Fatalf("POST /v1/screenPopLinks %s: %d %v", body, code, m)
	}
	if !strings.HasSuffix(str(m, "url"), "/screen-pop/"+str(m, "token")) {
		t.Fatalf("url %q does not end in its token %q", str(m, "url"), str(m, "token"))
	}
	return str(m, "url")
}

// onBase is link u served by the server at base (a replica's address).
func onBase(t *testing.T, u, base string) string {
	t.Helper()
	i := strings.Index(u, "/screen-pop/")
	if i < 0 {
		t.Fatalf("%q is not a screen pop link", u)
	}
	return base + u[i:]
}

var styleRE = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// csp splits a Content-Security-Policy into its directives.
func csp(t *testing.T, h http.Header) map[string]string {
	t.Helper()
	out := map[string]string{}
	for d := range strings.SplitSeq(h.Get("Content-Security-Policy"), ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name == "" {
			continue
		}
		if _, dup := out[name]; dup {
			t.Errorf("CSP directive %s twice: %q", name, h.Get("Content-Security-Policy"))
		}
		out[name] = value
	}
	return out
}

// checkStrictHeaders checks the headers every answer of the page has;
// frameAncestors is the CSP frame-ancestors value expected.
func checkStrictHeaders(t *testing.T, p popPage, frameAncestors string) {
	t.Helper()
	if ct := p.h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	m := styleRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no <style> element in:\n%s", p.body)
	}
	sum := sha256.Sum256([]byte(m[1]))
	want := map[string]string{
		"default-src":     "'none'",
		"style-src":       "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
		"form-action":     "'self'",
		"base-uri":        "'none'",
		"frame-ancestors": frameAncestors,
	}
	got := csp(t, p.h)
	if len(got) != len(want) {
		t.Errorf("CSP %q: want exactly %v", p.h.Get("Content-Security-Policy"), want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("CSP %s = %q, want %q (policy %q)", k, got[k], v, p.h.Get("Content-Security-Policy"))
		}
	}
	for k, v := range map[string]string{
		"Pragma":                 "no-cache",
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
	} {
		if p.h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, p.h.Get(k), v)
		}
	}
	if cc := p.h.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	// Nothing on the page runs or loads: no script, no external resource.
	for _, bad := range []string{"<script", "<img", "<link", "<iframe", " style=", "Bearer"} {
		if strings.Contains(p.body, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

var candidateRE = regexp.MustCompile(`<a class="candidate" href="([^"]+)">([^<]+)</a>`)

// candidates are the page's candidate links: display name to href (HTML
// unescaped); each href must pick a customer by its resource name.
func candidates(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range candidateRE.FindAllStringSubmatch(body, -1) {
		href := html.UnescapeString(m[1])
		u, err := url.Parse(href)
		if err != nil || !strings.HasPrefix(u.Path, "/screen-pop/") || !strings.HasPrefix(u.Query().Get("customer"), "customers/") {
			t.Errorf("candidate %s: href %q does not pick by customer=customers/…", m[2], href)
		}
		out[html.UnescapeString(m[2])] = href
	}
	return out
}

// TestScreenPopPageKnownCaller: the link of a known caller (from herken
// screen-pop) opens the caller's page under the strict headers: the
// callback we broke first, the number never in the URL, no key on it.
func TestScreenPopPageKnownCaller(t *testing.T) {
	addr, base := popServer(t, nil)
	waitPromiseSweep(t, addr) // the demo's missed callback is BROKEN after it
	link := cliLink(t, addr, "06-12345678")
	if !strings.HasPrefix(link, base+"/screen-pop/") {
		t.Fatalf("link %q, want one on %s (the default --screen-pop-url)", link, base)
	}
	for _, digits := range []string{"612345678", "0612345678", "12345678"} {
		if strings.Contains(link, digits) {
			t.Fatalf("link %q carries the caller's number", link)
		}
	}
	p := openPage(t, "GET", link, nil, nil)
	if p.code != 200 {
		t.Fatalf("GET %s: %d\n%s", link, p.code, p.body)
	}
	checkStrictHeaders(t, p, "'none'")
	if p.h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("X-Frame-Options %q, want DENY without frame ancestors", p.h.Get("X-Frame-Options"))
	}
	for _, want := range []string{`<h1 id="name">Jan de Vries</h1>`, `lang="nl"`, "Belt liever na 17:00", "Toezeggingen"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q:\n%s", want, p.body)
		}
	}
	// The callback we broke is listed as broken, before the engineer visit.
	promises := p.body[strings.Index(p.body, `id="promises"`)+1:]
	promises = promises[:max(0, strings.Index(promises, "</section>"))]
	broken := regexp.MustCompile(`<li class="[^"]*\bbroken\b[^"]*">(?s:.*?)</li>`).FindStringIndex(promises)
	callback, visit := strings.Index(promises, "Terugbellen over de storing."), strings.Index(promises, "Monteur komt de storing verhelpen.")
	if broken == nil || callback < broken[0] || callback > broken[1] || visit < broken[1] {
		t.Errorf("want the broken callback (%v, %d) before the engineer visit (%d):\n%s", broken, callback, visit, promises)
	}
	// No link on the page carries the number either.
	for _, m := range regexp.MustCompile(`(?:href|action)="([^"]*)"`).FindAllStringSubmatch(p.body, -1) {
		if strings.Contains(m[1], "12345678") {
			t.Errorf("a URL on the page carries the number: %q", m[1])
		}
	}
	// The same link from the gateway opens the same page; the page's URLs
	// keep to the link's path.
	other := apiLink(t, base, "", `{"identifier": {"phoneNumber": "06-12345678"}}`)
	if strings.Contains(other, "612345678") {
		t.Errorf("gateway link %q carries the number", other)
	}
	if q := openPage(t, "GET", other, nil, nil); q.code != 200 || !strings.Contains(q.body, "Jan de Vries") {
		t.Errorf("gateway link: %d", q.code)
	}
	// No HEAD: a view nobody sees (a link checker) would be audited.
	if q := openPage(t, "HEAD", link, nil, nil); q.code != 405 || q.h.Get("Allow") != "GET, POST" || q.h.Get("Content-Security-Policy") == "" {
		t.Errorf("HEAD: %d %q %v", q.code, q.body, q.h)
	}
}

// TestScreenPopBadLinks: a tampered, missing or expired token and a
// method the page does not take are refused with a page that says what to
// do and shows nobody.
func TestScreenPopBadLinks(t *testing.T) {
	_, base := popServer(t, nil)
	// Asked for first so its second runs out while the other cases run.
	expiring := apiLink(t, base, "", `{"identifier": {"phoneNumber": "06-12345678"}, "ttl": "1s"}`)
	asked := time.Now()
	link := apiLink(t, base, "", `{"identifier": {"phoneNumber": "06-12345678"}}`)

	i := strings.Index(link, "/screen-pop/") + len("/screen-pop/")
	token := link[i:]
	mid := len(token) / 2
	flip := byte('A')
	if token[mid] == 'A' {
		flip = 'B'
	}
	tampered := link[:i] + token[:mid] + string(flip) + token[mid+1:]
	p := openPage(t, "GET", tampered, nil, nil)
	if p.code != 403 || !strings.Contains(p.body, "niet geldig") || strings.Contains(p.body, "Jan") || strings.Contains(p.body, "Toezeggingen") {
		t.Errorf("tampered token: %d\n%s", p.code, p.body)
	}
	checkStrictHeaders(t, p, "'none'")
	if p := openPage(t, "GET", tampered, map[string]string{"Accept-Language": "en"}, nil); p.code != 403 || !strings.Contains(p.body, "not valid") {
		t.Errorf("tampered token in English: %d\n%s", p.code, p.body)
	}
	if p := openPage(t, "GET", link[:i]+token[:len(token)-3], nil, nil); p.code != 403 || strings.Contains(p.body, "Jan") {
		t.Errorf("truncated token: %d\n%s", p.code, p.body)
	}
	if p := openPage(t, "GET", base+"/screen-pop/", nil, nil); p.code != 404 || !strings.Contains(p.body, "niet geldig") {
		t.Errorf("no token: %d\n%s", p.code, p.body)
	}
	if p := openPage(t, "GET", link+"/more", nil, nil); p.code != 404 {
		t.Errorf("a path below a token: %d", p.code)
	}

	p = openPage(t, "PUT", link, nil, nil)
	if p.code != 405 || p.h.Get("Allow") != "GET, POST" || strings.Contains(p.body, "Jan") {
		t.Errorf("PUT: %d Allow %q\n%s", p.code, p.h.Get("Allow"), p.body)
	}
	if p := openPage(t, "DELETE", link, nil, nil); p.code != 405 || p.h.Get("Allow") == "" {
		t.Errorf("DELETE: %d Allow %q", p.code, p.h.Get("Allow"))
	}
	// The good link still opens: the refusals above were the token's.
	if p := openPage(t, "GET", link, nil, nil); p.code != 200 || !strings.Contains(p.body, "Jan de Vries") {
		t.Fatalf("the untampered link: %d", p.code)
	}

	time.Sleep(time.Until(asked.Add(1200 * time.Millisecond)))
	p = openPage(t, "GET", expiring, nil, nil)
	if p.code != 410 || !strings.Contains(p.body, "verlopen") || strings.Contains(p.body, "Jan") {
		t.Errorf("expired link: %d\n%s", p.code, p.body)
	}
	checkStrictHeaders(t, p, "'none'")
	if p := openPage(t, "GET", expiring, map[string]string{"Accept-Language": "en"}, nil); p.code != 410 || !strings.Contains(p.body, "expired") {
		t.Errorf("expired link in English: %d\n%s", p.code, p.body)
	}
	// The gateway refuses a ttl outside 1s..15m.
	for _, ttl := range []string{"0.5s", "16m", "-1s"} {
		if code, m, _ := call(t, "POST", base+"/v1/screenPopLinks", "", `{"identifier": {"phoneNumber": "06-12345678"}, "ttl": "`+ttl+`"}`); code != 400 {
			t.Errorf("ttl %s: %d %v", ttl, code, m)
		}
	}
}

// TestScreenPopHousehold: a shared number lists its holders to pick; a
// pick shows that holder; a customer who does not hold the number is
// refused.
func TestScreenPopHousehold(t *testing.T) {
	_, base := popServer(t, nil)
	link := apiLink(t, base, "", `{"identifier": {"phoneNumber": "020-1234567"}}`)
	p := openPage(t, "GET", link, nil, nil)
	if p.code != 200 || !strings.Contains(p.body, "Gedeeld nummer") {
		t.Fatalf("household link: %d\n%s", p.code, p.body)
	}
	picks := candidates(t, p.body)
	if picks["Anna Bakker"] == "" || picks["Pieter Bakker"] == "" {
		t.Fatalf("candidates %v, want Anna and Pieter Bakker:\n%s", picks, p.body)
	}
	if strings.Contains(p.body, "Slechthorend") {
		t.Errorf("Pieter's note shown before he was picked")
	}
	pieter := mustURL(t, link).ResolveReference(mustURL(t, picks["Pieter Bakker"])).String()
	p = openPage(t, "GET", pieter, nil, nil)
	if p.code != 200 || !strings.Contains(p.body, `<h1 id="name">Pieter Bakker</h1>`) || !strings.Contains(p.body, "Slechthorend") {
		t.Fatalf("Pieter's pick %s: %d\n%s", pieter, p.code, p.body)
	}
	// The other holder stays listed, Pieter marked as the one shown.
	if !strings.Contains(p.body, "Anna Bakker") || !strings.Contains(p.body, `class="current"`) {
		t.Errorf("Pieter's page does not list the household:\n%s", p.body)
	}

	code, m, _ := call(t, "GET", base+"/v1/lookup?phone=06-12345678", "", "")
	jan := str(m, "customer.customer.name")
	if code != 200 || jan == "" {
		t.Fatalf("lookup: %d %v", code, m)
	}
	p = openPage(t, "GET", link+"?customer="+url.QueryEscape(jan), nil, nil)
	if p.code != 403 || !strings.Contains(p.body, "alleen de klanten") || strings.Contains(p.body, "Jan de Vries") || strings.Contains(p.body, "Belt liever") {
		t.Errorf("Jan on the household's link: %d\n%s", p.code, p.body)
	}
	if p := openPage(t, "GET", link+"?customer=nonsense", nil, nil); p.code != 400 {
		t.Errorf("customer=nonsense: %d", p.code)
	}
	// Jan's own link does not open another customer either.
	janLink := apiLink(t, base, "", `{"identifier": {"phoneNumber": "06-12345678"}}`)
	if p := openPage(t, "GET", janLink+"?customer="+url.QueryEscape(picks2name(t, picks["Anna Bakker"])), nil, nil); p.code != 403 || strings.Contains(p.body, "Anna") {
		t.Errorf("Anna on Jan's link: %d\n%s", p.code, p.body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// picks2name is the customer resource name a candidate href picks.
func picks2name(t *testing.T, href string) string {
	t.Helper()
	return mustURL(t, href).Query().Get("customer")
}

// TestScreenPopUnknownCaller: an unknown number's page offers a name
// search that only a POST runs, so names never travel in URLs.
func TestScreenPopUnknownCaller(t *testing.T) {
	_, base := popServer(t, nil)
	// 06-99999999 is no number at all (069 is not an allocated range): no
	// link. The demo's unknown caller is demo.UnknownPhone.
	if code, m, _ := call(t, "POST", base+"/v1/screenPopLinks", "", `{"identifier": {"phoneNumber": "06-99999999"}}`); code != 400 || reason(m) != "PHONE_NUMBER_INVALID" {
		t.Errorf("a link for 06-99999999: %d %v", code, m)
	}
	link := apiLink(t, base, "", `{"identifier": {"phoneNumber": "`+demo.UnknownPhone+`"}}`)
	p := openPage(t, "GET", link, nil, nil)
	if p.code != 200 || !strings.Contains(p.body, "Onbekende beller") {
		t.Fatalf("unknown caller: %d\n%s", p.code, p.body)
	}
	form := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindStringSubmatch(p.body)
	if form == nil || !strings.Contains(p.body, `name="q"`) {
		t.Fatalf("no search form (method post, field q):\n%s", p.body)
	}
	if action := html.UnescapeString(form[1]); !strings.HasPrefix(base+action, link) {
		t.Errorf("the form posts to %q, not the link's own page %s", action, link)
	}
	if strings.Contains(p.body, `id="results"`) {
		t.Errorf("results before a search:\n%s", p.body)
	}

	p = openPage(t, "POST", link, nil, url.Values{"q": {"Bakker"}})
	if p.code != 200 {
		t.Fatalf("search Bakker: %d\n%s", p.code, p.body)
	}
	picks := candidates(t, p.body)
	if picks["Anna Bakker"] == "" || picks["Pieter Bakker"] == "" || picks["Jan de Vries"] != "" {
		t.Fatalf("search Bakker found %v:\n%s", picks, p.body)
	}
	for name, href := range picks {
		if strings.Contains(href, "Bakker") || strings.Contains(href, "q=") {
			t.Errorf("%s's href %q carries the search", name, href)
		}
	}
	// Picking a result shows that customer.
	anna := mustURL(t, base).ResolveReference(mustURL(t, picks["Anna Bakker"])).String()
	if p := openPage(t, "GET", anna, nil, nil); p.code != 200 || !strings.Contains(p.body, `<h1 id="name">Anna Bakker</h1>`) {
		t.Errorf("Anna picked from the search: %d\n%s", p.code, p.body)
	}
	if p := openPage(t, "GET", link+"?customer=customers/doesnotexist0", nil, nil); p.code != 404 || !strings.Contains(p.body, "bestaat niet") {
		t.Errorf("an unknown customer picked: %d\n%s", p.code, p.body)
	}

	p = openPage(t, "POST", link, nil, url.Values{"q": {strings.Repeat("a", 201)}})
	if p.code != 200 || !strings.Contains(p.body, `class="warning"`) || !strings.Contains(p.body, "hooguit 200 tekens") || strings.Contains(p.body, `class="candidate"`) {
		t.Errorf("a 201-character search: %d\n%s", p.code, p.body)
	}
	if p := openPage(t, "POST", link, nil, url.Values{"q": {"zzzqqq"}}); p.code != 200 || !strings.Contains(p.body, "Geen klant gevonden") {
		t.Errorf("a search that finds nobody: %d\n%s", p.code, p.body)
	}

	p = openPage(t, "GET", link+"?q=Jan", nil, nil)
	if p.code != 200 || strings.Contains(p.body, "Jan de Vries") || strings.Contains(p.body, `id="results"`) {
		t.Errorf("GET ?q=Jan searched: %d\n%s", p.code, p.body)
	}
	if p := openPage(t, "GET", link+"?q=Bakker", nil, nil); strings.Contains(p.body, "Bakker") {
		t.Errorf("GET ?q=Bakker searched:\n%s", p.body)
	}
}

// TestScreenPopLanguage: Dutch by default and for nl, English for en-*,
// and ?lang= wins over Accept-Language.
func TestScreenPopLanguage(t *testing.T) {
	_, base := popServer(t, nil)
	link := apiLink(t, base, "", `{"identifier": {"phoneNumber": "06-12345678"}}`)
	for _, tc := range []struct {
		name, query, accept, want, not, lang string
	}{
		{"default", "", "", "Toezeggingen", "Promises", "nl"},
		{"nl", "", "nl-NL,nl;q=0.9", "Toezeggingen", "Promises", "nl"},
		{"en-GB", "", "en-GB,en;q=0.8", "Promises", "Toezeggingen", "en"},
		{"first known", "", "de-DE, en;q=0.5, nl;q=0.4", "Promises", "Toezeggingen", "en"},
		{"?lang=en over nl", "?lang=en", "nl", "Promises", "Toezeggingen", "en"},
		{"?lang=nl over en", "?lang=nl", "en", "Toezeggingen", "Promises", "nl"},
		{"?lang=fr ignored", "?lang=fr", "en", "Promises", "Toezeggingen", "en"},
	} {
		var hdr map[string]string
		if tc.accept != "" {
			hdr = map[string]string{"Accept-Language": tc.accept}
		}
		p := openPage(t, "GET", link+tc.query, hdr, nil)
		if p.code != 200 || !strings.Contains(p.body, tc.want) || strings.Contains(p.body, tc.not) || !strings.Contains(p.body, `<html lang="`+tc.lang+`">`) {
			t.Errorf("%s: %d, want %q (lang %s), not %q:\n%s", tc.name, p.code, tc.want, tc.lang, tc.not, p.body)
		}
		if !strings.Contains(p.h.Get("Vary"), "Accept-Language") {
			t.Errorf("%s: Vary %q", tc.name, p.h.Get("Vary"))
		}
	}
}

// TestScreenPopFrameAncestors: configured desktops may frame the page:
// CSP names them, and X-Frame-Options (which cannot) is left out.
func TestScreenPopFrameAncestors(t *testing.T) {
	_, base := popServer(t, func(c *serveConfig) { c.HTTP.PopFrameAncestors = "https://desktop.example.nl" })
	link := apiLink(t, base, "", `{"identifier": {"phoneNumber": "06-12345678"}}`)
	p := openPage(t, "GET", link, nil, nil)
	if p.code != 200 {
		t.Fatalf("%d\n%s", p.code, p.body)
	}
	checkStrictHeaders(t, p, "https://desktop.example.nl")
	if _, set := p.h["X-Frame-Options"]; set {
		t.Errorf("X-Frame-Options %q with frame ancestors configured", p.h.Get("X-Frame-Options"))
	}
	// Refusals carry the same policy.
	if p := openPage(t, "GET", base+"/screen-pop/x", nil, nil); csp(t, p.h)["frame-ancestors"] != "https://desktop.example.nl" || p.h.Get("X-Frame-Options") != "" {
		t.Errorf("refusal headers: %v", p.h)
	}

	_, base2 := popServer(t, func(c *serveConfig) {
		c.HTTP.PopFrameAncestors = " https://desktop.example.nl , https://agent.example.com "
	})
	link2 := apiLink(t, base2, "", `{"identifier": {"phoneNumber": "06-12345678"}}`)
	if got := csp(t, openPage(t, "GET", link2, nil, nil).h)["frame-ancestors"]; got != "https://desktop.example.nl https://agent.example.com" {
		t.Errorf("two frame ancestors: frame-ancestors %q", got)
	}
}

// TestScreenPopKeys: with API keys, a link needs a key with the lookup
// scope; the page then opens with no key at all, and shows none.
func TestScreenPopKeys(t *testing.T) {
	keysFile := filepath.Join(t.TempDir(), "keys")
	mkKey := func(name, scopes string) string {
		code, out, errOut := runCmd(t, "keys", "create", "--keys-file", keysFile, "--name", name, "--scopes", scopes)
		if code != 0 {
			t.Fatalf("keys create %s: %d %s", name, code, errOut)
		}
		return strings.TrimSpace(out)
	}
	pbx, crm := mkKey("pbx-1", "lookup"), mkKey("crm-sync", "write")
	addr, base := popServer(t, func(c *serveConfig) { c.Auth.KeysFile = keysFile })
	body := `{"identifier": {"phoneNumber": "06-12345678"}}`

	code, m, _ := call(t, "POST", base+"/v1/screenPopLinks", "", body)
	if code != 401 || reason(m) != "API_KEY_MISSING" || str(m, "url") != "" {
		t.Errorf("no key: %d %v", code, m)
	}
	code, m, _ = call(t, "POST", base+"/v1/screenPopLinks", crm, body)
	if code != 403 || str(m, "message") == "" || str(m, "url") != "" {
		t.Errorf("write-only key: %d %v", code, m)
	}
	link := apiLink(t, base, pbx, body)
	p := openPage(t, "GET", link, nil, nil)
	if p.code != 200 || !strings.Contains(p.body, "Jan de Vries") {
		t.Fatalf("the link without a key: %d\n%s", p.code, p.body)
	}
	if strings.Contains(p.body, pbx) || strings.Contains(p.body, "hk_") || strings.Contains(p.body, "Bearer") {
		t.Errorf("the page shows a key:\n%s", p.body)
	}
	if strings.Contains(p.body, "pbx-1") {
		t.Errorf("the page names the key that asked for it:\n%s", p.body)
	}
	// A lookup key's link looks up its number only: for an unknown caller
	// there is no name search (that takes a key that may read customers).
	unknown := apiLink(t, base, pbx, `{"identifier": {"phoneNumber": "06-11111111"}}`)
	if p := openPage(t, "GET", unknown, nil, nil); p.code != 200 || strings.Contains(p.body, "<form") || !strings.Contains(p.body, "zoek de klant in het CRM") {
		t.Errorf("a lookup key's unknown caller: %d\n%s", p.code, p.body)
	}
	if p := openPage(t, "POST", unknown, nil, url.Values{"q": {"Bakker"}}); p.code != 403 || strings.Contains(p.body, "Bakker") {
		t.Errorf("a lookup key's link searched: %d\n%s", p.code, p.body)
	}
	// Bytes that are no UTF-8 are a bad request, not a server error.
	if p := openPage(t, "GET", link+"?customer=%FF", nil, nil); p.code != 400 {
		t.Errorf("?customer=%%FF: %d", p.code)
	}
	// The CLI asks with the key too.
	var out, errb bytes.Buffer
	if err := screenPopCmd(context.Background(), []string{"--addr", addr, "06-12345678"}, &out, &errb); err == nil {
		t.Errorf("screen-pop without a key printed %q", out.String())
	}
	cli := cliLink(t, addr, "--api-key", pbx, "06-12345678")
	if p := openPage(t, "GET", cli, nil, nil); p.code != 200 || !strings.Contains(p.body, "Jan de Vries") {
		t.Errorf("the CLI's link: %d", p.code)
	}
}

// httpFlagsFrom parses args as serve's HTTP flags and validates them.
func httpFlagsFrom(t *testing.T, args ...string) (httpFlags, error) {
	t.Helper()
	var f httpFlags
	e := &envFlags{fs: newFlagSet()}
	f.addFlags(e)
	if err := e.parse(args); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return f, f.validate(tlsFlags{})
}

// TestScreenPopFlags: the screen pop flags' checks.
func TestScreenPopFlags(t *testing.T) {
	f, err := httpFlagsFrom(t)
	if err != nil || f.Addr != "" || f.PopTTL != 2*time.Minute || f.PopTimezone != "Europe/Amsterdam" {
		t.Fatalf("defaults: %+v %v", f, err)
	}
	a := "--http-addr=127.0.0.1:8080"
	for _, tc := range []struct {
		args []string
		want string // "": valid
	}{
		{[]string{a}, ""},
		{[]string{a, "--screen-pop-ttl", "1s"}, ""},
		{[]string{a, "--screen-pop-ttl", "15m"}, ""},
		{[]string{a, "--screen-pop-timezone", "UTC"}, ""},
		{[]string{a, "--screen-pop-frame-ancestors", "https://desktop.example.nl"}, ""},
		{[]string{a, "--screen-pop-frame-ancestors", "https://a.example.nl, https://b.example.nl"}, ""},
		{[]string{a, "--screen-pop-url", "https://herken.example.nl", "--screen-pop-secret-file", "/any"}, ""},
		{[]string{"--screen-pop-secret-file", "/any"}, "--http-addr"},
		{[]string{"--screen-pop-url", "https://herken.example.nl"}, "--http-addr"},
		{[]string{"--screen-pop-frame-ancestors", "https://desktop.example.nl"}, "--http-addr"},
		{[]string{a, "--screen-pop-ttl", "0s"}, "--screen-pop-ttl"},
		{[]string{a, "--screen-pop-ttl", "999ms"}, "--screen-pop-ttl"},
		{[]string{a, "--screen-pop-ttl", "16m"}, "--screen-pop-ttl"},
		{[]string{a, "--screen-pop-timezone", "Mars/Olympus_Mons"}, "--screen-pop-timezone"},
		{[]string{a, "--screen-pop-frame-ancestors", "a b"}, "--screen-pop-frame-ancestors"},
		{[]string{a, "--screen-pop-frame-ancestors", "https://a.example.nl; script-src *"}, "--screen-pop-frame-ancestors"},
		{[]string{a, "--screen-pop-frame-ancestors", `"https://a.example.nl"`}, "--screen-pop-frame-ancestors"},
		{[]string{a, "--screen-pop-frame-ancestors", "'self'"}, "--screen-pop-frame-ancestors"},
		{[]string{a, "--screen-pop-frame-ancestors", "*"}, "--screen-pop-frame-ancestors"},
		{[]string{a, "--screen-pop-frame-ancestors", "https:"}, "--screen-pop-frame-ancestors"},
		{[]string{a, "--screen-pop-frame-ancestors", "https://*.example.nl"}, "--screen-pop-frame-ancestors"},
		{[]string{a, "--screen-pop-frame-ancestors", "https://desk.example.nl/agents"}, "--screen-pop-frame-ancestors"},
		// Listening everywhere: no address a browser could open by itself.
		{[]string{"--http-addr", ":8080"}, "--screen-pop-url"},
		{[]string{"--http-addr", "0.0.0.0:8080"}, "--screen-pop-url"},
		{[]string{"--http-addr", "[::]:8080"}, "--screen-pop-url"},
		{[]string{"--http-addr", "0.0.0.0:8080", "--screen-pop-url", "https://herken.example.nl"}, ""},
		// The page's address is checked before the store opens.
		{[]string{a, "--screen-pop-url", "ftp://herken.example.nl"}, "--screen-pop-url"},
		{[]string{a, "--screen-pop-url", "https://herken.example.nl/?x=1"}, "--screen-pop-url"},
	} {
		_, err := httpFlagsFrom(t, tc.args...)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: validate() = %v, want mention of %q", tc.args, err, tc.want)
		}
	}
	// serve's whole validation runs these checks.
	c := testConfig()
	c.HTTP.PopSecretFile = "/any"
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "--http-addr") {
		t.Errorf("serveConfig.validate() with a secret file and no --http-addr: %v", err)
	}
}

// TestScreenPopSecretFile: a secret file too short stops the start; with
// one shared file, a link one server signs opens on another (replicas);
// a server with its own random secret refuses it.
func TestScreenPopSecretFile(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := httpFlags{Addr: "127.0.0.1:0", PopSecretFile: short, PopTTL: 2 * time.Minute}
	if _, err := f.screenPop(tlsFlags{}, false, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "--screen-pop-secret-file") || !strings.Contains(err.Error(), "10 bytes") {
		t.Errorf("a 10-byte secret: %v", err)
	}
	f.PopSecretFile = filepath.Join(dir, "missing")
	if _, err := f.screenPop(tlsFlags{}, false, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "--screen-pop-secret-file") {
		t.Errorf("a missing secret file: %v", err)
	}
	// The real start refuses it before serving.
	cfg := testConfig()
	cfg.HTTP.Addr, cfg.HTTP.PopSecretFile = "127.0.0.1:0", short
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runServer(context.Background(), cfg, slog.New(slog.DiscardHandler), ready) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "--screen-pop-secret-file") {
			t.Errorf("start with a 10-byte secret: %v", err)
		}
	case addr := <-ready:
		t.Fatalf("served on %s with a 10-byte secret", addr)
	case <-time.After(30 * time.Second):
		t.Fatal("start with a 10-byte secret did not end")
	}

	// 32 random bytes in base64, as the flag's help says to make it: 44
	// bytes and a newline.
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a, 0xc3, 0x17, 0x88}, 8))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(secret); len(bytes.TrimSpace(b)) != 44 {
		t.Fatalf("secret of %d bytes", len(bytes.TrimSpace(b)))
	}
	shared := func(c *serveConfig) { c.HTTP.PopSecretFile = secret }
	addrA, baseA := popServer(t, shared)
	_, baseB := popServer(t, shared)
	_, baseC := popServer(t, nil)
	link := cliLink(t, addrA, "06-12345678")
	if p := openPage(t, "GET", link, nil, nil); p.code != 200 || !strings.Contains(p.body, "Jan de Vries") {
		t.Fatalf("A's link on A (%s): %d", baseA, p.code)
	}
	if p := openPage(t, "GET", onBase(t, link, baseB), nil, nil); p.code != 200 || !strings.Contains(p.body, "Jan de Vries") {
		t.Errorf("A's link on B, same secret file: %d\n%s", p.code, p.body)
	}
	if p := openPage(t, "GET", onBase(t, link, baseC), nil, nil); p.code != 403 || strings.Contains(p.body, "Jan") {
		t.Errorf("A's link on C, its own secret: %d\n%s", p.code, p.body)
	}
	// And back: C's links do not open on A.
	linkC := apiLink(t, baseC, "", `{"identifier": {"phoneNumber": "06-12345678"}}`)
	if p := openPage(t, "GET", onBase(t, linkC, baseA), nil, nil); p.code != 403 {
		t.Errorf("C's link on A: %d", p.code)
	}
}
