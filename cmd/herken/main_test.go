package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/herken/herken/client"
	"github.com/herken/herken/internal/maintenance"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

func testConfig() serveConfig {
	// The flags' defaults (limits, audit, ...), then the test's choices.
	var c serveConfig
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c.addFlags(&envFlags{fs: fs})
	if err := fs.Parse(nil); err != nil {
		panic(err)
	}
	c.Addr, c.InMemory, c.Region, c.Demo, c.DemoSize = "127.0.0.1:0", true, "NL", true, 20
	c.BlockCacheMB, c.LogFormat, c.LogLevel, c.ShutdownTimeout = 16, "json", "info", time.Second
	c.CallbackDue = time.Hour
	c.Maintenance = maintenance.Config{PromiseInterval: time.Minute, PromiseGrace: time.Hour,
		RetentionInterval: time.Hour, Retention: 730 * 24 * time.Hour, BatchLimit: 100,
		AuditRetention: c.Maintenance.AuditRetention, AuditInterval: c.Maintenance.AuditInterval}
	return c
}

// TestServeDemoEndToEnd runs the real serve path on loopback with the demo
// dataset: the newcomer's first five minutes, minus the typing.
func TestServeDemoEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServer(ctx, testConfig(), slog.New(slog.NewJSONHandler(&logs, nil)), ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready")
	}
	c, err := client.New(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	hc := healthpb.NewHealthClient(clientConn(t, addr))
	h, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", h, err)
	}
	var first string
	for _, number := range []string{"06-12345678", "+31 6 12345678", "0031612345678"} {
		resp, err := c.LookupPhone(ctx, number)
		if err != nil {
			t.Fatalf("Lookup %s: %v", number, err)
		}
		if resp.Outcome != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND || resp.CanonicalIdentifier.GetValue() != "+31612345678" {
			t.Fatalf("Lookup %s: %v", number, resp)
		}
		if n := len(resp.Customer.GetRecentInteractions()); n == 0 {
			t.Fatalf("Lookup %s: no history", number)
		}
		if first == "" {
			first = resp.Customer.Customer.Name
		} else if resp.Customer.Customer.Name != first {
			t.Fatalf("formats of one number found different customers")
		}
	}
	resp, err := c.LookupPhone(ctx, "020-1234567")
	if err != nil || resp.Outcome != herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS || len(resp.Candidates) < 2 {
		t.Fatalf("household line: %v %v", resp, err)
	}
	resp, err = c.LookupPhone(ctx, "06-11111111")
	if err != nil || resp.Outcome != herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND {
		t.Fatalf("unknown number: %v %v", resp, err)
	}

	// The sweepers ran once at start and report through MaintenanceService.
	mc := herkenv1.NewMaintenanceServiceClient(clientConn(t, addr))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ms, err := mc.GetMaintenanceStatus(ctx, &herkenv1.GetMaintenanceStatusRequest{})
		if err != nil || ms.GetRetentionSweeper().GetThreshold().AsDuration() != 730*24*time.Hour {
			t.Fatalf("maintenance status: %v %v", ms, err)
		}
		if ms.GetPromiseSweeper().GetLastRunTime() != nil && ms.GetRetentionSweeper().GetLastRunTime() != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweepers did not run at start: %v", ms)
		}
	}

	// The lookup command prints the same answer as JSON.
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"lookup", "--json", "--addr", addr, "Jan@Example.NL"}, &out, &errOut); code != 0 {
		t.Fatalf("lookup exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "MATCH_OUTCOME_FOUND") || !strings.Contains(out.String(), first) {
		t.Fatalf("lookup output: %s", out.String())
	}
	if code := run(ctx, []string{"lookup", "--addr", addr, "12"}, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "PHONE_NUMBER_INVALID") {
		t.Fatalf("lookup of an invalid number: exit %d, %s", code, errOut.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}
	// A line for the failed call (successful ones are not logged at INFO),
	// and no personal data in any line.
	for _, pii := range []string{"12345678", "1234567", "jan@example", "Jan de Vries"} {
		if strings.Contains(logs.String(), pii) {
			t.Fatalf("log contains personal data %q:\n%s", pii, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"method":"/herken.v1.RecognitionService/Lookup"`) || !strings.Contains(logs.String(), `"grpc.code":"InvalidArgument"`) {
		t.Fatalf("no log line for the failed Lookup:\n%s", logs.String())
	}
}

func TestServeConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*serveConfig)
		want string
	}{
		{"ok", func(*serveConfig) {}, ""},
		{"addr", func(c *serveConfig) { c.Addr = "nohostport" }, "--addr"},
		{"region", func(c *serveConfig) { c.Region = "XX" }, "--region"},
		{"data dir", func(c *serveConfig) { c.InMemory, c.DataDir = false, "" }, "--data-dir"},
		{"log format", func(c *serveConfig) { c.LogFormat = "xml" }, "--log-format"},
		{"log level", func(c *serveConfig) { c.LogLevel = "loud" }, "--log-level"},
		{"demo size", func(c *serveConfig) { c.DemoSize = -1 }, "--demo-size"},
		{"shutdown", func(c *serveConfig) { c.ShutdownTimeout = 0 }, "--shutdown-timeout"},
		{"callback due", func(c *serveConfig) { c.CallbackDue = -time.Hour }, "--callback-due"},
		{"retention", func(c *serveConfig) { c.Maintenance.Retention = time.Hour }, "retention"},
		{"debug addr not loopback", func(c *serveConfig) { c.DebugAddr = "0.0.0.0:6060" }, "--debug-addr"},
		{"debug addr loopback", func(c *serveConfig) { c.DebugAddr = "127.0.0.1:6060" }, ""},
		{"min free negative", func(c *serveConfig) { c.MinFreeMB = -1 }, "--min-free-mb"},
		{"min free off", func(c *serveConfig) { c.MinFreeMB = 0 }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			tc.edit(&c)
			err := c.validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("validate() = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestServeFlagsFromEnv(t *testing.T) {
	t.Setenv("HERKEN_ADDR", "127.0.0.1:6000")
	t.Setenv("HERKEN_REGION", "BE")
	t.Setenv("HERKEN_DEMO", "true")
	var c serveConfig
	e := &envFlags{fs: newFlagSet()}
	c.addFlags(e)
	if err := e.parse([]string{"--region", "DE"}); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:6000" || c.Region != "DE" || !c.Demo || c.DataDir != "./data" {
		t.Fatalf("config %+v: env should set defaults, flags override", c)
	}
	t.Setenv("HERKEN_DEMO", "maybe")
	e = &envFlags{fs: newFlagSet()}
	c.addFlags(e)
	if err := e.parse(nil); err == nil || !strings.Contains(err.Error(), "HERKEN_DEMO") {
		t.Fatalf("bad env value not reported: %v", err)
	}
}

// TestServeHelpListsEveryFlag: `herken serve --help` lists every flag serve
// defines (serveConfig.addFlags is the one place they are defined), each with
// its HERKEN_* variable and its default.
func TestServeHelpListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--help"}, &out, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var c serveConfig
	fs := newFlagSet()
	c.addFlags(&envFlags{fs: fs})
	entries := helpEntries(out.String())
	if problems := helpProblems(fs, entries); len(problems) > 0 {
		t.Fatalf("--help:\n%s\n%s", strings.Join(problems, "\n"), out.String())
	}

	// The check can fail: an entry missing, or lacking its variable or its
	// default, is reported.
	fs.VisitAll(func(f *flag.Flag) {
		edited := maps.Clone(entries)
		delete(edited, f.Name)
		if p := helpProblems(fs, edited); len(p) != 1 {
			t.Errorf("help without -%s: problems %q, want one", f.Name, p)
		}
	})
	addr := fs.Lookup("addr")
	for _, cut := range []string{"(env " + envName(addr.Name) + ")", "(default " + strconv.Quote(addr.DefValue) + ")"} {
		edited := maps.Clone(entries)
		edited[addr.Name] = strings.Replace(edited[addr.Name], cut, "", 1)
		if p := helpProblems(fs, edited); len(p) != 1 {
			t.Errorf("help without %s: problems %q, want one", cut, p)
		}
	}
}

// helpEntries splits flag.PrintDefaults output into one entry per flag name:
// the "  -name type" line and the usage lines under it.
func helpEntries(help string) map[string]string {
	entries := map[string]string{}
	name := ""
	for line := range strings.Lines(help) {
		if rest, ok := strings.CutPrefix(line, "  -"); ok {
			name = strings.Fields(rest)[0]
		}
		if name != "" {
			entries[name] += line
		}
	}
	return entries
}

// helpProblems lists what the help entries lack for the flags of fs. Like
// flag.PrintDefaults, it expects no default for a zero default value.
func helpProblems(fs *flag.FlagSet, entries map[string]string) []string {
	var problems []string
	fs.VisitAll(func(f *flag.Flag) {
		entry, ok := entries[f.Name]
		if !ok {
			problems = append(problems, "-"+f.Name+" is not listed")
			return
		}
		if !strings.Contains(entry, "(env "+envName(f.Name)+")") {
			problems = append(problems, "-"+f.Name+" lacks "+envName(f.Name))
		}
		if isZeroDefault(f) {
			return
		}
		def := f.DefValue
		if typ, _ := flag.UnquoteUsage(f); typ == "string" {
			def = strconv.Quote(def)
		}
		if !strings.Contains(entry, "(default "+def+")") {
			problems = append(problems, "-"+f.Name+" lacks its default "+def)
		}
	})
	return problems
}

// isZeroDefault reports whether f's default is its type's zero value, the
// one flag.PrintDefaults leaves out (false, "", 0, 0s).
func isZeroDefault(f *flag.Flag) bool {
	zero := reflect.New(reflect.TypeOf(f.Value).Elem()).Interface().(flag.Value)
	return f.DefValue == zero.String()
}
