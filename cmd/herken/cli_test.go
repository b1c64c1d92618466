package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/herken/herken"
	"github.com/herken/herken/client"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/server"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/store/memstore"
)

// startDemo runs the real serve path (in memory, the demo data) and
// returns its address; the server stops when the test ends.
func startDemo(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, testConfig(), slog.New(slog.NewJSONHandler(io.Discard, nil)), ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	select {
	case addr := <-ready:
		return addr
	case err := <-done:
		t.Fatalf("server exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready")
	}
	return ""
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func herkenCLI(args ...string) cliResult {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

// cliCase is one command line and what it must do.
type cliCase struct {
	name   string
	args   []string
	code   int
	stdout []string // substrings of stdout
	stderr []string // substrings of stderr; none: stderr must be empty
}

func (tc cliCase) check(t *testing.T, r cliResult) {
	t.Helper()
	if r.code != tc.code {
		t.Errorf("%q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, r.code, tc.code, r.stdout, r.stderr)
	}
	for _, want := range tc.stdout {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%q: stdout lacks %q:\n%s", tc.args, want, r.stdout)
		}
	}
	if len(tc.stderr) == 0 && r.stderr != "" {
		t.Errorf("%q: unexpected stderr:\n%s", tc.args, r.stderr)
	}
	for _, want := range tc.stderr {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("%q: stderr lacks %q:\n%s", tc.args, want, r.stderr)
		}
	}
	checkPrintedOnce(t, tc.args, r.stderr)
}

// checkPrintedOnce: an error is one "herken: " line (a hint may follow),
// never with a doubled prefix or an empty reason.
func checkPrintedOnce(t *testing.T, args []string, stderr string) {
	t.Helper()
	if n := strings.Count(stderr, "herken: "); n > 1 {
		t.Errorf("%q: error printed %d times:\n%s", args, n, stderr)
	}
	if strings.Contains(stderr, "herken: herken") || strings.Contains(stderr, "()") || strings.Contains(stderr, "/ )") {
		t.Errorf("%q: badly printed error:\n%s", args, stderr)
	}
}

// TestCLIReads runs every reading command against a real server with the
// demo data, as text and as JSON.
func TestCLIReads(t *testing.T) {
	addr := startDemo(t)
	waitPromiseSweep(t, addr)
	a := func(args ...string) []string { return append(args, "--addr", addr) }
	cases := []cliCase{
		// Jan's missed callback was broken by the sweeper's first pass.
		{"lookup phone", a("lookup", "06-12345678"), 0, []string{"Found by phone +31612345678", "Jan de Vries", "customers/",
			"language        nl", "vip", "Belt liever na 17:00", "Identifiers (6)", "K-100001", "instagram:jan.devries", "crm",
			"Open promises (1)", "Monteur komt de storing verhelpen.", "Contacts: ", "Last contact: ", "Recent contacts",
			"Storing internet sinds maandag", "case ZAAK-"}, nil},
		{"lookup json", a("lookup", "--json", "06-12345678"), 0, []string{`"outcome": "MATCH_OUTCOME_FOUND"`, `"display_name": "Jan de Vries"`, `"recent_interactions"`}, nil},
		{"lookup external id", a("lookup", "--external-id", "K-100001"), 0, []string{"Found by external id K-100001", "Jan de Vries"}, nil},
		{"lookup email", a("lookup", "--email", "Jan@Example.NL"), 0, []string{"Jan de Vries"}, nil},
		{"lookup handle", a("lookup", "--handle", "x:@jandevries"), 0, []string{"Jan de Vries"}, nil},
		{"lookup profile url", a("lookup", "--handle", "https://www.instagram.com/jan.devries/"), 0, []string{"Jan de Vries"}, nil},
		{"lookup postcode", a("lookup", "--postcode", "1234 AB 10"), 0, []string{"Found by address 1234AB 10", "Jan de Vries"}, nil},
		{"lookup postcode house number", a("lookup", "--postcode", "1234AB", "--house-number", "10"), 0, []string{"Jan de Vries"}, nil},
		{"lookup free-form postcode", a("lookup", "1234", "AB", "10"), 0, []string{"Jan de Vries"}, nil},
		{"lookup quiet", a("lookup", "-q", "--external-id", "K-100001"), 0, []string{"customers/"}, nil},
		{"lookup overdue promise", a("lookup", "06-23456789"), 0, []string{"Anna Bakker", "TE LAAT / OVERDUE", "Offerte goedkoper pakket"}, nil},
		{"lookup ambiguous", a("lookup", "020-1234567"), 0, []string{"AMBIGUOUS: 2 customers share phone +31201234567", "Anna Bakker", "Pieter Bakker", "slechthorend"}, nil},
		{"lookup ambiguous json", a("lookup", "020-1234567", "--json"), 0, []string{"MATCH_OUTCOME_AMBIGUOUS", `"candidates"`}, nil},
		{"lookup unknown", a("lookup", "06-11111111"), 3, []string{"Unknown caller", "+31611111111"}, nil},
		{"lookup unknown json", a("lookup", "--json", "06-11111111"), 3, []string{"MATCH_OUTCOME_NOT_FOUND"}, nil},
		{"lookup withheld", a("lookup", "--phone", "anonymous"), 3, []string{"withheld"}, nil},
		{"lookup bare crm number", a("lookup", "K-100001"), 1, nil, []string{"herken: ", "(INVALID_ARGUMENT / QUERY_UNRECOGNIZED)", "--external-id K-100001"}},
		{"lookup invalid number", a("lookup", "12"), 1, nil, []string{"(INVALID_ARGUMENT / PHONE_NUMBER_INVALID)"}},
		{"screen-pop bare crm number", a("screen-pop", "K-100001"), 1, nil, []string{"(INVALID_ARGUMENT / QUERY_UNRECOGNIZED)", "herken screen-pop --external-id K-100001"}},
		{"lookup invalid typed", a("lookup", "--email", "nope"), 1, nil, []string{"(INVALID_ARGUMENT / EMAIL_INVALID)"}},

		{"resolve partial", a("resolve", "--email", "jan@example.nl", "--phone", "06-11111111"), 0, []string{"PARTIAL", "email jan@example.nl", "not-found", "Jan de Vries"}, nil},
		{"resolve matched args", a("resolve", "jan@example.nl", "06-12345678"), 0, []string{"MATCHED", "Jan de Vries"}, nil},
		{"resolve conflict", a("resolve", "--phone", "06-12345678", "--phone", "06-23456789"), 0, []string{"CONFLICT", "Jan de Vries", "Anna Bakker"}, nil},
		{"resolve not found", a("resolve", "06-11111111"), 3, []string{"no customer holds"}, nil},
		{"resolve json", a("resolve", "--json", "--external-id", "K-100001", "--postcode", "1234 AB 10"), 0, []string{"RESOLVE_OUTCOME_MATCHED", `"matches"`}, nil},

		{"customer get", a("customer", "get", "--external-id", "K-100001"), 0, []string{"Jan de Vries", "Identifiers (6)", "Belt liever"}, nil},
		{"customer get json", a("customer", "get", "--phone", "06-12345678", "--json"), 0, []string{`"display_name": "Jan de Vries"`, `"etag"`}, nil},
		{"customer get unknown", a("customer", "get", "customers/nobody"), 3, nil, []string{"(NOT_FOUND / CUSTOMER_NOT_FOUND)"}},
		{"customer get unknown identifier", a("customer", "get", "--phone", "06-11111111"), 3, nil, []string{"no customer has phone 06-11111111 (NOT_FOUND)"}},
		{"customer get ambiguous identifier", a("customer", "get", "--phone", "020-1234567"), 1, nil, []string{"belongs to 2 customers", "Anna Bakker"}},
		{"customer list prefix", a("customer", "list", "--prefix", "bakker"), 0, []string{"CUSTOMER", "Anna Bakker", "Pieter Bakker"}, nil},
		{"customer list tag", a("customer", "list", "--tag", "vip"), 0, []string{"Jan de Vries"}, nil},
		{"customer list page", a("customer", "list", "--page-size", "2"), 0, []string{"More: add --page-token"}, nil},
		{"customer list all json", a("customer", "list", "--all", "--json", "--page-size", "3"), 0, []string{`"customers"`, "Jan de Vries", "Sophie Jansen"}, nil},
		{"customer export", a("customer", "export", "--external-id", "K-100001"), 0, []string{"Export of customers/", "History (", "Promises (", "Audit trail ("}, nil},
		{"customer export json", a("customer", "export", "--email", "jan@example.nl", "--json"), 0, []string{`"interactions"`, `"promises"`, `"export_time"`}, nil},

		{"interaction list", a("interaction", "list", "--external-id", "K-100001"), 0, []string{"TIME", "CHANNEL", "agent-017", "Storing internet"}, nil},
		{"interaction list filtered", a("interaction", "list", "--phone", "06-12345678", "--channel", "chat", "--since", "30d", "--full"), 0, []string{"Amersfoort"}, nil},
		{"interaction list json", a("interaction", "list", "--email", "jan@example.nl", "--json"), 0, []string{`"interactions"`, `"CHANNEL_PHONE"`}, nil},
		{"interaction list unanswered", a("interaction", "list", "--unanswered-feedback"), 0, nil, nil},

		{"promise list customer", a("promise", "list", "--external-id", "K-100001"), 0, []string{"DUE", "broken", "visit", "team-techniek"}, nil},
		{"promise list overdue", a("promise", "list", "--overdue"), 0, []string{"TE LAAT / OVERDUE", "Anna Bakker", "team-klantbehoud"}, nil},
		{"promise list json", a("promise", "list", "--phone", "06-23456789", "--json"), 0, []string{`"promises"`, `"overdue": true`}, nil},
		{"promise list quiet", a("promise", "list", "--external-id", "K-100001", "-q"), 0, []string{"/promises/"}, nil},

		{"version", []string{"version"}, 0, []string{"herken ", "go1."}, nil},
		{"version json", []string{"version", "--json"}, 0, []string{`"module": "github.com/herken/herken"`, `"version"`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, herkenCLI(tc.args...)) })
	}
}

var customerNameRE = regexp.MustCompile(`customers/[a-z0-9]+`)
var promiseNameRE = regexp.MustCompile(`customers/[a-z0-9]+/promises/[a-z0-9]+`)

// TestCLIWrites walks a customer's life through the command line: create,
// change, link, record, promise, merge, unmerge, erase.
func TestCLIWrites(t *testing.T) {
	addr := startDemo(t)
	step := func(tc cliCase) cliResult {
		t.Helper()
		tc.args = append(tc.args, "--addr", addr)
		r := herkenCLI(tc.args...)
		tc.check(t, r)
		return r
	}
	r := step(cliCase{args: []string{"customer", "create", "--display-name", "Lotte Smit", "--language", "nl", "--tag", "nieuw",
		"--phone", "06-87654321", "--email", "lotte@example.nl", "--external-id", "K-300001", "--source", "crm", "--request-id", "test-lotte"},
		stdout: []string{"Created customers/", "request id test-lotte", "Lotte Smit", "+31687654321", "lotte@example.nl", "K-300001"}})
	lotte := customerNameRE.FindString(r.stdout)
	// The same request id again returns the same customer.
	r = step(cliCase{args: []string{"customer", "create", "--json", "--display-name", "Lotte Smit", "--language", "nl", "--tag", "nieuw",
		"--phone", "06-87654321", "--email", "lotte@example.nl", "--external-id", "K-300001", "--source", "crm", "--request-id", "test-lotte"},
		stdout: []string{`"name": "` + lotte + `"`}})
	step(cliCase{args: []string{"customer", "create", "--display-name", "Dubbel", "--external-id", "K-300001"}, code: 1,
		stderr: []string{"(ALREADY_EXISTS / IDENTIFIER_ALREADY_LINKED)"}})
	step(cliCase{args: []string{"customer", "update", "--external-id", "K-300001", "--note", "Belt vaak namens haar moeder", "--tag", "nieuw", "--tag", "vip"},
		stdout: []string{"Updated " + lotte, "Belt vaak namens haar moeder", "nieuw, vip"}})
	step(cliCase{args: []string{"customer", "update", lotte, "--note", "", "--json"}, stdout: []string{`"tags"`}})
	step(cliCase{args: []string{"customer", "update", lotte, "--etag", "stale", "--language", "en"}, code: 1, stderr: []string{"ABORTED / ETAG_MISMATCH"}})
	step(cliCase{args: []string{"customer", "add-identifier", lotte, "--email", "lotte.werk@example.nl", "--label", "werk", "--source", "chat", "--verified"},
		stdout: []string{"Linked email lotte.werk@example.nl to " + lotte, "werk", "chat", "yes"}})
	step(cliCase{args: []string{"customer", "remove-identifier", lotte, "--email", "lotte.werk@example.nl", "--json"}, stdout: []string{`"identifiers"`}})
	step(cliCase{args: []string{"customer", "remove-identifier", lotte, "--email", "lotte.werk@example.nl"}, code: 3, stderr: []string{"(NOT_FOUND / IDENTIFIER_NOT_LINKED)"}})

	step(cliCase{args: []string{"interaction", "record", "--phone", "06-87654321", "--channel", "phone", "--direction", "in", "--outcome", "follow-up",
		"--agent", "agent-042", "--summary", "Vraagt naar de nieuwe router", "--duration", "4m", "--case", "ZAAK-1"},
		stdout: []string{"Recorded " + lotte + "/interactions/", "phone in, follow-up, agent-042, 4m, case ZAAK-1", "Vraagt naar de nieuwe router"}})
	step(cliCase{args: []string{"interaction", "record", lotte, "--channel", "email", "--direction", "out", "--outcome", "resolved", "--at", "1h", "--json"},
		stdout: []string{`"channel": "CHANNEL_EMAIL"`}})
	step(cliCase{args: []string{"interaction", "record", "--phone", "020-1234567", "--channel", "phone", "--direction", "in", "--outcome", "resolved"},
		code: 1, stderr: []string{"(FAILED_PRECONDITION / IDENTIFIER_AMBIGUOUS)"}})
	step(cliCase{args: []string{"interaction", "list", lotte}, stdout: []string{"Vraagt naar de nieuwe router", "email"}})

	r = step(cliCase{args: []string{"promise", "create", "--phone", "06-87654321", "--kind", "callback", "--owner", "agent-042", "--description", "Terugbellen over de router"},
		stdout: []string{"Created promise:", "callback", "open", "phone +31687654321", "agent-042"}})
	callback := promiseNameRE.FindString(r.stdout)
	r = step(cliCase{args: []string{"promise", "create", lotte, "--kind", "refund", "--due", "-1h", "--description", "Te veel betaald", "--json"},
		stdout: []string{`"kind": "PROMISE_KIND_REFUND"`, `"overdue": true`}})
	refund := promiseNameRE.FindString(r.stdout)
	step(cliCase{args: []string{"lookup", "--external-id", "K-300001"}, stdout: []string{"Open promises (2, 1 TE LAAT / OVERDUE)", "!! TE LAAT / OVERDUE", "Te veel betaald"}})
	step(cliCase{args: []string{"promise", "get", callback}, stdout: []string{callback, "open"}})
	step(cliCase{args: []string{"promise", "keep", callback, "--actor", "agent-042", "--note", "teruggebeld"}, stdout: []string{"Kept:", "kept", "teruggebeld"}})
	step(cliCase{args: []string{"promise", "keep", callback, "--actor", "agent-042"}, stdout: []string{"kept"}}) // a retry is safe
	step(cliCase{args: []string{"promise", "cancel", callback, "--actor", "agent-042"}, code: 1, stderr: []string{"(FAILED_PRECONDITION / PROMISE_NOT_OPEN)"}})
	step(cliCase{args: []string{"promise", "cancel", refund, "--actor", "agent-042", "--note", "opgelost", "--json"}, stdout: []string{"PROMISE_STATE_CANCELLED"}})
	step(cliCase{args: []string{"promise", "list", lotte, "--state", "kept"}, stdout: []string{"kept", "Terugbellen over de router"}})

	r = step(cliCase{args: []string{"customer", "create", "--display-name", "L. Smit", "--email", "l.smit@example.nl"}, stdout: []string{"Created"}})
	dup := customerNameRE.FindString(r.stdout)
	step(cliCase{args: []string{"customer", "merge", dup, "--into", lotte}, stdout: []string{"Merged " + dup + " into " + lotte, "l.smit@example.nl"}})
	step(cliCase{args: []string{"customer", "get", dup}, stdout: []string{dup + " was merged into " + lotte}})
	step(cliCase{args: []string{"customer", "unmerge", dup}, stdout: []string{"Unmerged " + dup, "L. Smit"}})
	step(cliCase{args: []string{"customer", "unmerge", dup}, code: 1, stderr: []string{"CUSTOMER_NOT_MERGED"}})

	step(cliCase{args: []string{"customer", "erase", dup}, code: 2, stderr: []string{"--yes"}})
	step(cliCase{args: []string{"customer", "erase", "--yes", dup}, stdout: []string{"Erased " + dup}})
	step(cliCase{args: []string{"customer", "get", dup}, code: 3, stderr: []string{"(NOT_FOUND / CUSTOMER_ERASED)"}})
	step(cliCase{args: []string{"customer", "erase", "--yes", "--json", "--external-id", "K-300001"}, stdout: []string{`"erase_time"`}})
	step(cliCase{args: []string{"lookup", "--external-id", "K-300001"}, code: 3, stdout: []string{"Unknown caller"}})
}

// cliSubcommands lists every command and subcommand with --help of its own
// (import and export are the lead's; serve ... are checked below).
var cliSubcommands = [][]string{
	{"lookup"}, {"resolve"}, {"version"}, {"import"}, {"export"},
	{"customer", "get"}, {"customer", "create"}, {"customer", "update"}, {"customer", "list"},
	{"customer", "add-identifier"}, {"customer", "remove-identifier"}, {"customer", "merge"},
	{"customer", "unmerge"}, {"customer", "erase"}, {"customer", "export"},
	{"interaction", "record"}, {"interaction", "list"},
	{"promise", "create"}, {"promise", "get"}, {"promise", "keep"}, {"promise", "cancel"}, {"promise", "list"},
}

// TestCLIHelp: --help, -h and `herken help ...` print the usage with
// examples on stdout and exit 0, for every command; the examples use
// only flags the command has.
func TestCLIHelp(t *testing.T) {
	for _, cmd := range cliSubcommands {
		name := strings.Join(cmd, " ")
		t.Run(name, func(t *testing.T) {
			for _, args := range [][]string{append(cmd[:len(cmd):len(cmd)], "--help"), append(cmd[:len(cmd):len(cmd)], "-h"), append([]string{"help"}, cmd...)} {
				r := herkenCLI(args...)
				if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage: herken "+name) || !strings.Contains(r.stdout, "Examples (against `make run`") {
					t.Fatalf("%q: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
				}
			}
			r := herkenCLI(append(cmd[:len(cmd):len(cmd)], "--help")...)
			_, examples, _ := strings.Cut(r.stdout, "Examples (")
			examples = regexp.MustCompile(`\$\([^)]*\)|#[^\n]*`).ReplaceAllString(examples, "") // $(other commands), comments
			for _, m := range regexp.MustCompile(`herken `+regexp.QuoteMeta(name)+`\b[^\n]*`).FindAllString(examples, -1) {
				for _, f := range regexp.MustCompile(` --?([a-z-]+)`).FindAllStringSubmatch(m, -1) {
					if !regexp.MustCompile(`\n  -` + f[1] + `[ \t\n]`).MatchString(r.stdout) {
						t.Errorf("example %q uses -%s, which %s does not have", m, f[1], name)
					}
				}
			}
		})
	}
	for _, group := range []string{"customer", "interaction", "promise"} {
		for _, args := range [][]string{{group, "--help"}, {"help", group}, {group, "help"}} {
			r := herkenCLI(args...)
			if r.code != 0 || !strings.Contains(r.stdout, "Usage: herken "+group+" COMMAND") {
				t.Errorf("%q: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
			}
		}
	}
	// The commands that print their own usage exit 0 on --help too, with
	// examples.
	for _, args := range [][]string{{"serve", "--help"}, {"check", "--help"}, {"scan", "-h"}, {"keys", "--help"}, {"keys", "create", "--help"},
		{"backup", "--help"}, {"restore", "--help"}, {"encryption-key", "--help"}, {"rotate-encryption-key", "--help"}, {"help", "serve"}} {
		r := herkenCLI(args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage") || !strings.Contains(r.stdout, "Examples:") || r.stderr != "" {
			t.Errorf("%q: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		r := herkenCLI(args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Exit codes:") || !strings.Contains(r.stdout, "customer get|create|update") {
			t.Errorf("%q: exit %d\n%s", args, r.code, r.stdout)
		}
	}
}

// TestCLIUsageErrors: mistakes in the command line exit 2 with a message
// on stderr and nothing on stdout, before any call.
func TestCLIUsageErrors(t *testing.T) {
	const nowhere = "127.0.0.1:1" // never dialled: usage errors come first
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"help", "frobnicate"},
		{"lookup"},
		{"lookup", "--bogus", "x"},
		{"lookup", "--phone", "06-12345678", "--email", "jan@example.nl"},
		{"lookup", "--phone", "06-12345678", "06-12345678"},
		{"lookup", "--postcode", "1234"},
		{"lookup", "--postcode", "1234 AB"},
		{"resolve"},
		{"customer"},
		{"customer", "frobnicate"},
		{"customer", "get"},
		{"customer", "get", "a", "b"},
		{"customer", "get", "customers/a", "--phone", "06-12345678"},
		{"customer", "create", "extra"},
		{"customer", "update", "customers/a"},
		{"customer", "add-identifier", "customers/a"},
		{"customer", "merge", "customers/a"},
		{"customer", "erase", "customers/a"},
		{"customer", "list", "--updated-since", "yesterday-ish"},
		{"interaction"},
		{"interaction", "record", "customers/a", "--channel", "phone", "--direction", "in"},
		{"interaction", "record", "customers/a", "--channel", "fax", "--direction", "in", "--outcome", "resolved"},
		{"promise", "create", "customers/a"},
		{"promise", "create", "customers/a", "--kind", "bribe"},
		{"promise", "keep", "customers/a/promises/b"},
		{"promise", "list", "--state", "maybe"},
		{"version", "extra"},
	} {
		full := append(args[:len(args):len(args)], "--addr", nowhere)
		if len(args) == 0 || args[0] == "frobnicate" || args[0] == "help" || len(args) == 1 && args[0] != "lookup" && args[0] != "resolve" {
			full = args // no flags for the dispatcher
		}
		r := herkenCLI(full...)
		if r.code != 2 || r.stdout != "" || r.stderr == "" {
			t.Errorf("%q: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", full, r.code, r.stdout, r.stderr)
		}
	}
}

// TestCLIUnreachable: a server that is not running is exit 4 and one
// readable line.
func TestCLIUnreachable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	for _, args := range [][]string{
		{"lookup", "06-12345678"},
		{"customer", "get", "customers/x"},
		{"customer", "create", "--display-name", "X"},
		{"promise", "list", "--overdue"},
	} {
		r := herkenCLI(append(args, "--addr", addr, "--timeout", "5s")...)
		want := "herken: cannot reach " + addr + ": connection refused (UNAVAILABLE)\n"
		if r.code != 4 || r.stderr != want || r.stdout != "" {
			t.Errorf("%q: exit %d, stderr %q, want 4 and %q", args, r.code, r.stderr, want)
		}
	}
}

// TestCLINotAllowed: a missing key or scope is exit 5, with the reason.
func TestCLINotAllowed(t *testing.T) {
	keysFile := filepath.Join(t.TempDir(), "keys")
	key, err := auth.Create(keysFile, "pbx-1", []auth.Scope{auth.ScopeLookup}, false)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := auth.Load(keysFile, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	norm, _ := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	srv, err := server.New(herken.NewService(memstore.New(memstore.Options{}), norm, herken.ServiceConfig{}), server.Config{Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	defer srv.Shutdown()
	srv.SetServing(true)
	addr := lis.Addr().String()
	for _, tc := range []cliCase{
		{"no key", []string{"lookup", "06-12345678", "--addr", addr}, 5, nil, []string{"(UNAUTHENTICATED / API_KEY_MISSING)"}},
		{"lookup scope", []string{"lookup", "06-12345678", "--addr", addr, "--api-key", key}, 3, []string{"Unknown caller"}, nil},
		{"no write scope", []string{"customer", "create", "--display-name", "X", "--addr", addr, "--api-key", key}, 5, nil, []string{"PERMISSION_DENIED"}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, herkenCLI(tc.args...)) })
	}
}

func statusErr(c codes.Code, reason, msg string) error {
	st := status.New(c, msg)
	if reason != "" {
		st, _ = st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: "herken.v1"})
	}
	return st.Err()
}

// TestExitCodes: the one mapping from errors to exit codes and text.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		text string
	}{
		{nil, 0, ""},
		{errHelp, 0, ""},
		{errUsage, 2, ""},
		{errNoMatch, 3, ""},
		{fmt.Errorf("%w: 3 rows failed, see errors.csv", errImportProblems), 6, "herken: import finished with problems: 3 rows failed, see errors.csv\n"},
		{statusErr(codes.NotFound, "CUSTOMER_NOT_FOUND", "customer not found"), 3, "herken: customer not found (NOT_FOUND / CUSTOMER_NOT_FOUND)\n"},
		{reachError("h:1", statusErr(codes.Unavailable, "", `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`)), 4,
			"herken: cannot reach h:1: connection refused (UNAVAILABLE)\n"},
		{reachError("h:1", statusErr(codes.Unavailable, "STORE_UNAVAILABLE", "store unavailable")), 4, "herken: store unavailable (UNAVAILABLE / STORE_UNAVAILABLE)\n"},
		{reachError("h:1", statusErr(codes.DeadlineExceeded, "", "context deadline exceeded")), 4, "herken: no answer from h:1 in time (see --timeout) (DEADLINE_EXCEEDED)\n"},
		{context.DeadlineExceeded, 4, "herken: context deadline exceeded\n"},
		{statusErr(codes.Unauthenticated, "API_KEY_MISSING", "no key"), 5, "herken: no key (UNAUTHENTICATED / API_KEY_MISSING)\n"},
		{statusErr(codes.PermissionDenied, "SCOPE_MISSING", "needs write"), 5, "herken: needs write (PERMISSION_DENIED / SCOPE_MISSING)\n"},
		{fmt.Errorf("wrapped: %w", statusErr(codes.InvalidArgument, "PHONE_NUMBER_INVALID", "bad")), 1, "herken: bad (INVALID_ARGUMENT / PHONE_NUMBER_INVALID)\n"},
		{&hintError{statusErr(codes.InvalidArgument, "QUERY_UNRECOGNIZED", "what"), "hint: use --external-id"}, 1, "herken: what (INVALID_ARGUMENT / QUERY_UNRECOGNIZED)\n  hint: use --external-id\n"},
		{errors.New("herken: already prefixed"), 1, "herken: already prefixed\n"},
	} {
		if got := exitCode(tc.err); got != tc.code {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
		if got := errorText(tc.err); got != tc.text {
			t.Errorf("errorText(%v) = %q, want %q", tc.err, got, tc.text)
		}
	}
}

func TestParsePostcode(t *testing.T) {
	for _, tc := range []struct {
		in        string
		house     int
		addition  string
		want      string // "postcode number addition", "" for an error
		wantError bool
	}{
		{"1234 AB 10", 0, "", "1234 AB 10 ", false},
		{"1234AB 10-2", 0, "", "1234AB 10 -2", false},
		{"1234 ab, 10a", 0, "", "1234 ab 10 a", false},
		{"1234 AB", 10, "bis", "1234 AB 10 bis", false},
		{"1234 AB", 0, "", "", true},
		{"1234 AB 10", 12, "", "", true},
		{"12 AB 10", 0, "", "", true},
		{"1234 A1 10", 0, "", "", true},
	} {
		pa, err := parsePostcode(tc.in, tc.house, tc.addition)
		if tc.wantError {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := fmt.Sprintf("%s %d %s", pa.Postcode, pa.HouseNumber, pa.HouseNumberAddition); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		dir  int
		want time.Time
	}{
		{"2h", +1, now.Add(2 * time.Hour)},
		{"2h", -1, now.Add(-2 * time.Hour)},
		{"-1h", +1, now.Add(-time.Hour)},
		{"+1d12h", -1, now.Add(36 * time.Hour)},
		{"7d", -1, now.Add(-7 * 24 * time.Hour)},
		{"2025-03-04T08:00:00Z", +1, time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)},
		{"2025-03-04", +1, time.Date(2025, 3, 4, 0, 0, 0, 0, time.Local)},
	} {
		got, err := parseWhen(tc.in, now, tc.dir)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseWhen(%q, %d) = %v, %v; want %v", tc.in, tc.dir, got, err, tc.want)
		}
	}
	if _, err := parseWhen("soon", now, 1); err == nil {
		t.Error("parseWhen(soon): no error")
	}
}

// waitPromiseSweep waits for the promise sweeper's first pass, which
// breaks the demo's long-missed callbacks: before it they are open and
// overdue, after it broken.
func waitPromiseSweep(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.New(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for {
		st, err := c.GetMaintenanceStatus(ctx)
		if err != nil {
			t.Fatalf("maintenance status: %v", err)
		}
		if st.GetPromiseSweeper().GetLastRunTime() != nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the promise sweeper did not run")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
