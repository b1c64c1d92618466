// Package screenpop serves the agent's screen pop: the page an agent's
// browser opens, through a signed link, as the phone rings. It is rendered
// on the server with html/template from what ScreenPopService.GetScreenPop
// answers, called over the same in-process connection as the HTTP/JSON
// gateway, so a view passes the same interceptors as any call (the link
// authenticates it; audit, rate limits, metrics and logs apply under the
// key that signed it). The page needs no script, font or image: one
// inline style sheet, allowed by its hash in a strict Content-Security-
// Policy, and nothing is cached.
package screenpop

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// Prefix is the path under which the page is served: Prefix + token.
const Prefix = "/screen-pop/"

//go:embed page.html
var pageHTML string

//go:embed style.css
var styleCSS string

// Config configures the page.
type Config struct {
	// FrameAncestors are the origins that may show the page in a frame
	// (an agent desktop that embeds it), as CSP frame-ancestors sources,
	// e.g. "https://desktop.example.nl". Empty: no frame may.
	FrameAncestors []string
	// Location is the time zone times are shown in; default
	// Europe/Amsterdam.
	Location *time.Location
	// Timeout bounds one view's call; default 5s.
	Timeout time.Duration
	// Logger gets the errors a view could not show; nil discards.
	Logger *slog.Logger
}

// Validate checks c and fills defaults.
func (c *Config) Validate() error {
	for _, fa := range c.FrameAncestors {
		u, err := url.Parse(fa)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Contains(u.Host, "*") ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(fa, " ;,'\"\t\r\n") {
			return fmt.Errorf("screenpop: frame ancestor %q: want one origin like https://desktop.example.nl", fa)
		}
	}
	if c.Location == nil {
		loc, err := time.LoadLocation("Europe/Amsterdam")
		if err != nil {
			return fmt.Errorf("screenpop: %w", err)
		}
		c.Location = loc
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Handler serves the page.
type Handler struct {
	client herkenv1.ScreenPopServiceClient
	cfg    Config
	tmpl   *template.Template
	csp    string
	now    func() time.Time
}

// New returns the page's handler, calling the service through client.
func New(client herkenv1.ScreenPopServiceClient, cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &Handler{client: client, cfg: cfg, now: time.Now}
	t, err := template.New("page").Funcs(h.funcs()).Parse(pageHTML)
	if err != nil {
		return nil, err
	}
	h.tmpl = t
	sum := sha256.Sum256([]byte(styleCSS))
	ancestors := "'none'"
	if len(cfg.FrameAncestors) > 0 {
		ancestors = strings.Join(cfg.FrameAncestors, " ")
	}
	// Nothing may load but the page and its own style sheet; forms post
	// to the page only; no frame shows it but the configured desktops.
	h.csp = "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors " + ancestors
	return h, nil
}

// view is what the template renders.
type view struct {
	T       text
	Lang    string
	Other   string // the other language's code, for the switch
	Style   template.CSS
	Path    string // the page's own path, for links and the search form
	Pop     *herkenv1.GetScreenPopResponse
	Query   string // the name searched for
	Problem string // a message instead of a screen pop (bad link, ...)
	Warning string // a message beside the screen pop (bad search)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("Cache-Control", "no-store, max-age=0")
	hd.Set("Pragma", "no-cache")
	hd.Set("Expires", "0")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if len(h.cfg.FrameAncestors) == 0 {
		hd.Set("X-Frame-Options", "DENY") // for browsers without CSP frame-ancestors
	}
	hd.Set("Vary", "Accept-Language")

	lang := language(r)
	v := view{T: texts[lang], Lang: lang, Other: other(lang), Style: template.CSS(styleCSS), Path: r.URL.Path}
	token, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok || token == "" || strings.Contains(token, "/") {
		h.problem(w, v, http.StatusNotFound, v.T.LinkInvalid)
		return
	}
	// No HEAD: every view reads a customer's data and is audited; one
	// nobody sees (a link checker, a preview bot) should not be.
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		hd.Set("Allow", "GET, POST")
		h.problem(w, v, http.StatusMethodNotAllowed, v.T.LinkInvalid)
		return
	}
	req := &herkenv1.GetScreenPopRequest{Token: token, Customer: r.URL.Query().Get("customer")}
	if !utf8.ValidString(token) || !utf8.ValidString(req.Customer) {
		h.problem(w, v, http.StatusBadRequest, v.T.LinkInvalid)
		return
	}
	if r.Method == http.MethodPost {
		// The name searched for travels in the body, not the URL: it stays
		// out of the browser's history and the proxies' logs.
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		if err := r.ParseForm(); err != nil {
			h.problem(w, v, http.StatusBadRequest, v.T.SearchInvalid)
			return
		}
		v.Query = strings.TrimSpace(r.PostForm.Get("q"))
		if !utf8.ValidString(v.Query) {
			v.Query, v.Warning = "", v.T.SearchInvalid
		}
		req.NamePrefix = v.Query
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.Timeout)
	defer cancel()
	pop, err := h.client.GetScreenPop(ctx, req)
	if err != nil && req.NamePrefix != "" && violates(err, "name_prefix") {
		// A search the service refuses: the screen pop without it.
		v.Warning = v.T.SearchInvalid
		req.NamePrefix = ""
		pop, err = h.client.GetScreenPop(ctx, req)
	}
	if err != nil {
		code, msg := h.failure(err, v.T)
		h.problem(w, v, code, msg)
		return
	}
	v.Pop = pop
	h.render(w, http.StatusOK, v)
}

// violates reports whether err is INVALID_ARGUMENT about field.
func violates(err error, field string) bool {
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		return false
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				if fv.GetField() == field {
					return true
				}
			}
		}
	}
	return false
}

// failure is the HTTP status and message of a failed view. The message
// says what to do, never why a token failed in detail.
func (h *Handler) failure(err error, t text) (int, string) {
	st := status.Convert(err)
	reason := ""
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			reason = info.GetReason()
		}
	}
	switch {
	case reason == "SCREEN_POP_LINK_EXPIRED":
		return http.StatusGone, t.LinkExpired
	case st.Code() == codes.Unauthenticated:
		return http.StatusForbidden, t.LinkInvalid
	case st.Code() == codes.PermissionDenied:
		return http.StatusForbidden, t.NotAllowed
	case st.Code() == codes.NotFound:
		return http.StatusNotFound, t.CustomerGone
	case st.Code() == codes.InvalidArgument:
		return http.StatusBadRequest, t.LinkInvalid
	case st.Code() == codes.ResourceExhausted:
		return http.StatusTooManyRequests, t.Busy
	case st.Code() == codes.Unavailable, st.Code() == codes.DeadlineExceeded, st.Code() == codes.FailedPrecondition:
		return http.StatusServiceUnavailable, t.Unavailable
	}
	h.cfg.Logger.Error("screen pop view failed", "code", st.Code().String(), "reason", reason)
	return http.StatusInternalServerError, t.Unavailable
}

func (h *Handler) problem(w http.ResponseWriter, v view, code int, msg string) {
	v.Problem = msg
	h.render(w, code, v)
}

func (h *Handler) render(w http.ResponseWriter, code int, v view) {
	var buf bytes.Buffer
	if err := h.tmpl.Execute(&buf, v); err != nil {
		h.cfg.Logger.Error("screen pop page did not render", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// language is the page's language: ?lang= if nl or en, else the first of
// them in Accept-Language, else Dutch.
func language(r *http.Request) string {
	switch l := r.URL.Query().Get("lang"); l {
	case "nl", "en":
		return l
	}
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if base == "nl" || base == "en" {
			return base
		}
	}
	return "nl"
}

func other(lang string) string {
	if lang == "en" {
		return "nl"
	}
	return "en"
}
