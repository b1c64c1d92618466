// Package browser opens the agents' screen pop in a real browser: headless
// Chromium (Debian's chromium package; .ci/chromium installs it), driven
// over the DevTools protocol with chromedp, against the real `herken serve
// --demo` with API keys on. A PBX's key asks for the link with `herken
// screen-pop` (the README's command); the browser opens it with no key at
// all and the tests check what an agent sees — the text on screen, the
// marks on overdue promises — and write a screenshot of each page to the
// artifacts folder ($HERKEN_TEST_ARTIFACTS, default test-artifacts/browser
// at the repository's root).
//
// Without a Chromium the tests skip, unless HERKEN_REQUIRE_BROWSER=1 (as
// .ci/run sets): then they fail.
package browser

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/herken/herken/client"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

var (
	bin       string // the herken binary, built once by TestMain
	chrome    string // the browser's executable
	artifacts string // where screenshots go
)

func TestMain(m *testing.M) {
	chrome = findChrome()
	if chrome == "" && os.Getenv("HERKEN_REQUIRE_BROWSER") == "1" {
		fmt.Fprintln(os.Stderr, "browser tests: no chromium found and HERKEN_REQUIRE_BROWSER=1 (run .ci/chromium)")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "herken-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if chrome != "" {
		bin = filepath.Join(dir, "herken")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/herken/herken/cmd/herken").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
			os.Exit(1)
		}
		artifacts = os.Getenv("HERKEN_TEST_ARTIFACTS")
		if artifacts == "" {
			artifacts = filepath.Join("..", "..", "test-artifacts", "browser")
		}
		if err := os.MkdirAll(artifacts, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		artifacts, _ = filepath.Abs(artifacts)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// findChrome is $HERKEN_CHROMIUM or the first Chromium on the PATH.
func findChrome() string {
	if p := os.Getenv("HERKEN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// herken is one `herken serve --in-memory --demo` with keys and HTTP on.
type herken struct {
	addr, http string
	lookupKey  string // the PBX's: lookup only
	deskKey    string // an agent desktop's: lookup and write, so its links may search by name
	adminKey   string
	log        *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startHerken starts the demo server with a PBX key (lookup) and a DPO key
// (admin), and waits until its HTTP address answers.
func startHerken(t *testing.T) *herken {
	t.Helper()
	if chrome == "" {
		t.Skip("no chromium: install Debian's chromium package (.ci/chromium) or set HERKEN_CHROMIUM")
	}
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	mkKey := func(name, scopes string) string {
		out, err := exec.Command(bin, "keys", "create", "--keys-file", keys, "--name", name, "--scopes", scopes).Output()
		if err != nil {
			t.Fatalf("keys create: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	h := &herken{addr: freeAddr(t), http: freeAddr(t), log: &syncBuffer{}}
	h.lookupKey, h.deskKey, h.adminKey = mkKey("pbx-1", "lookup"), mkKey("desk", "lookup,write"), mkKey("dpo", "admin")
	cmd := exec.Command(bin, "serve", "--in-memory", "--demo", "--addr", h.addr, "--http-addr", h.http,
		"--keys-file", keys, "--log-format", "text", "--shutdown-timeout", "2s")
	cmd.Stdout, cmd.Stderr = h.log, h.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("herken's log:\n%s", h.log.String())
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if strings.Contains(h.log.String(), "herken serving") && strings.Contains(h.log.String(), "HTTP/JSON gateway serving") {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("herken not serving after 60s:\n%s", h.log.String())
		}
	}
}

// link runs the README's command, `herken screen-pop`, with the PBX's key.
func (h *herken) link(t *testing.T, args ...string) string {
	t.Helper()
	return h.linkWith(t, h.lookupKey, args...)
}

// linkWith runs `herken screen-pop` with key.
func (h *herken) linkWith(t *testing.T, key string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"screen-pop", "--addr", h.addr}, args...)...)
	cmd.Env = append(os.Environ(), "HERKEN_API_KEY="+key)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("herken screen-pop %v: %v\n%s", args, err, out)
	}
	url := strings.TrimSpace(string(out))
	if !strings.HasPrefix(url, "http://"+h.http+"/screen-pop/") {
		t.Fatalf("link %q", url)
	}
	return url
}

// browser is a fresh headless Chromium (its own profile) with the flags
// this environment needs, speaking acceptLanguage.
func browser(t *testing.T, acceptLanguage string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", acceptLanguage),
		chromedp.Flag("accept-lang", acceptLanguage),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// shot writes a full-page screenshot to the artifacts folder.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(artifacts, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// text is the text of the first element sel matches, as rendered (hidden
// text excluded).
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// eval evaluates a JavaScript expression in the page (the test's, not the
// page's: the page itself runs none).
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
}

// TestJanScreenPop: the PBX asks for Jan's link; the agent's browser opens
// it and sees his name, the callback we did not make at the top, marked
// overdue in red, his note and the handover of his last call. The view is
// on Jan's audit trail under the PBX's key.
func TestJanScreenPop(t *testing.T) {
	h := startHerken(t)
	url := h.link(t, "06-12345678")
	ctx := browser(t, "nl-NL,nl;q=0.9")
	open(t, ctx, url)
	shot(t, ctx, "jan-de-vries")

	if got := text(t, ctx, "#name"); got != "Jan de Vries" {
		t.Errorf("name %q", got)
	}
	first := text(t, ctx, "#promises li")
	// The badge is in capitals on screen (text-transform).
	if !strings.Contains(first, "Terugbellen over de storing") || !strings.Contains(first, "TE LAAT") {
		t.Errorf("first promise %q: want the callback, marked Te laat", first)
	}
	// Overdue is unmistakable: the badge is red, the item framed in red.
	badge := eval[string](t, ctx, `getComputedStyle(document.querySelector("#promises li .badge")).backgroundColor`)
	frame := eval[string](t, ctx, `getComputedStyle(document.querySelector("#promises li")).borderTopColor`)
	if badge != "rgb(176, 0, 32)" || frame != "rgb(176, 0, 32)" {
		t.Errorf("overdue badge %s, frame %s: want red rgb(176, 0, 32)", badge, frame)
	}
	if got := text(t, ctx, "#handover"); !strings.Contains(got, "klant wordt vandaag nog teruggebeld") {
		t.Errorf("handover note %q", got)
	}
	if got := text(t, ctx, "#note"); !strings.Contains(got, "Belt liever na 17:00") {
		t.Errorf("customer note %q", got)
	}
	// Dutch by the browser's language; the style sheet applied under the
	// page's CSP (no violation: the dark bar has its colour).
	if got := text(t, ctx, "#promises h2"); !strings.EqualFold(got, "Toezeggingen") {
		t.Errorf("promises heading %q", got)
	}
	if bg := eval[string](t, ctx, `getComputedStyle(document.querySelector(".bar")).backgroundColor`); bg != "rgb(32, 33, 36)" {
		t.Errorf("header background %s: the style sheet did not apply", bg)
	}
	body := text(t, ctx, "body")
	if strings.Contains(body, h.lookupKey) || strings.Contains(url, "612345678") {
		t.Error("the key or the number is in the page or its address")
	}

	// On a phone: nothing wider than the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(3)), chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if wide := eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`); wide {
		t.Error("the page scrolls sideways on a 390px phone")
	}
	shot(t, ctx, "jan-de-vries-phone")

	pbx, err := client.New(context.Background(), h.addr, client.WithAPIKey(h.lookupKey))
	if err != nil {
		t.Fatal(err)
	}
	defer pbx.Close()
	c, err := client.New(context.Background(), h.addr, client.WithAPIKey(h.adminKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	look, err := pbx.LookupPhone(context.Background(), "06-12345678")
	if err != nil {
		t.Fatal(err)
	}
	jan := look.GetCustomer().GetCustomer().GetName()
	var views int
	for deadline := time.Now().Add(10 * time.Second); views < 2 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		trail, err := c.Audit.ListAuditRecords(context.Background(), &herkenv1.ListAuditRecordsRequest{Parent: jan, PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		views = 0
		for _, r := range trail.GetAuditRecords() {
			if r.GetMethod() == herkenv1.ScreenPopService_GetScreenPop_FullMethodName && r.GetActor() == "pbx-1" {
				views++
			}
		}
	}
	if views != 2 {
		t.Errorf("%d screen pop views of Jan on his trail under pbx-1, want 2 (the page and its reload)", views)
	}
}

// TestHouseholdScreenPop: a shared landline shows both candidates to pick
// from, in English for an English browser; picking one shows that one.
func TestHouseholdScreenPop(t *testing.T) {
	h := startHerken(t)
	ctx := browser(t, "en-GB,en;q=0.9")
	open(t, ctx, h.link(t, "020-1234567"))
	shot(t, ctx, "household-candidates")
	if got := text(t, ctx, "h1"); got != "Shared number" {
		t.Errorf("heading %q", got)
	}
	cands := eval[[]string](t, ctx, `[...document.querySelectorAll("#candidates a.candidate")].map(a => a.textContent)`)
	if len(cands) != 2 || cands[0] != "Anna Bakker" || cands[1] != "Pieter Bakker" {
		t.Fatalf("candidates %q", cands)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#customer").length`); n != 0 {
		t.Error("a customer is shown before the agent picked one")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.Search(`//a[text()="Pieter Bakker"]`)), chromedp.WaitVisible(chromedp.CSS("#name"))); err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, "household-pieter")
	if got := text(t, ctx, "#name"); got != "Pieter Bakker" {
		t.Errorf("picked %q", got)
	}
	if got := text(t, ctx, "#note"); !strings.Contains(got, "Slechthorend") {
		t.Errorf("Pieter's note %q", got)
	}
	if got := text(t, ctx, "#candidates li.current"); !strings.Contains(got, "Pieter Bakker") {
		t.Errorf("current candidate %q", got)
	}
}

// TestUnknownCallerScreenPop: an unknown number offers an agent desktop's
// link a name search; the agent finds the caller and opens them. The PBX's
// link (lookup only) offers none: its key may not search customers.
func TestUnknownCallerScreenPop(t *testing.T) {
	h := startHerken(t)
	ctx := browser(t, "nl-NL")
	open(t, ctx, h.link(t, "06-11111111"))
	if got := text(t, ctx, "h1"); got != "Onbekende beller" {
		t.Errorf("heading %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("form").length`); n != 0 {
		t.Errorf("the PBX's link offers a search form")
	}
	shot(t, ctx, "unknown-caller-pbx")
	open(t, ctx, h.linkWith(t, h.deskKey, "06-11111111"))
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#q"), "jansen"),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS("#results")),
	); err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, "unknown-caller-search")
	if got := text(t, ctx, "#results"); !strings.Contains(got, "Sophie Jansen") {
		t.Fatalf("results %q", got)
	}
	if loc := eval[string](t, ctx, `location.href`); strings.Contains(strings.ToLower(loc), "jansen") {
		t.Errorf("the name searched for is in the address: %s", loc)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.Search(`//a[text()="Sophie Jansen"]`)), chromedp.WaitVisible(chromedp.CSS("#name"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#name"); got != "Sophie Jansen" {
		t.Errorf("opened %q", got)
	}
}

// TestBadLinkScreenPop: a tampered link and an expired one show a clear
// page and nothing of the caller.
func TestBadLinkScreenPop(t *testing.T) {
	h := startHerken(t)
	url := h.link(t, "06-12345678")
	i := len(url) - 20
	c := byte('A')
	if url[i] == 'A' {
		c = 'B'
	}
	tampered := url[:i] + string(c) + url[i+1:]
	expired := h.link(t, "--ttl", "1s", "06-12345678")
	for _, tc := range []struct{ name, url, want string }{
		{"tampered-link", tampered, "Deze link is niet geldig"},
		{"expired-link", expired, "Deze link is verlopen"},
	} {
		if tc.name == "expired-link" {
			time.Sleep(1100 * time.Millisecond)
		}
		ctx := browser(t, "nl-NL")
		open(t, ctx, tc.url)
		shot(t, ctx, tc.name)
		if got := text(t, ctx, "#problem"); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		body := text(t, ctx, "body")
		for _, leak := range []string{"Jan", "Vries", "+316", "0612345678"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s shows %q: %q", tc.name, leak, body)
			}
		}
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[string]int{"tampered-link": 403, "expired-link": 410}[tc.name]; resp.StatusCode != want {
			t.Errorf("%s: HTTP %d, want %d", tc.name, resp.StatusCode, want)
		}
	}
}
