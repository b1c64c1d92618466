package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/client"
)

// cmdSpec describes a command for its --help.
type cmdSpec struct {
	name     string // "customer get"
	args     string // "[flags] CUSTOMER"
	summary  string // one line, for the command lists
	about    string // what it does, in a paragraph or two
	examples string // one command per line, "# comment" lines allowed
}

// cmdline is one run of a command that talks to a server: its flags, the
// connection flags every such command shares, and its output.
type cmdline struct {
	spec           cmdSpec
	fs             *flag.FlagSet
	e              *envFlags
	stdout, stderr io.Writer

	addr    string
	timeout time.Duration
	conn    clientFlags
	json    bool
	args    []string // positional arguments, flags removed
}

func newCmdline(spec cmdSpec, stdout, stderr io.Writer) *cmdline {
	fs := flag.NewFlagSet("herken "+spec.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // printed by parse, to stdout for --help
	c := &cmdline{spec: spec, fs: fs, e: &envFlags{fs: fs}, stdout: stdout, stderr: stderr}
	return c
}

// serverFlags adds the flags of a command that calls the server: --addr,
// --timeout, TLS and API key, and --json.
func (c *cmdline) serverFlags() {
	c.e.String(&c.addr, "addr", "localhost:50051", "server address")
	c.e.Duration(&c.timeout, "timeout", 10*time.Second, "deadline of each call")
	c.conn.addFlags(c.e)
	c.fs.BoolVar(&c.json, "json", false, "print the response as JSON (protojson with proto field names) for scripts")
}

// parse parses args, flags and arguments in any order ("--" ends the
// flags). --help prints the usage on stdout and returns errHelp; a bad flag
// prints the problem and the usage line on stderr and returns errUsage.
func (c *cmdline) parse(args []string) error {
	rest := args
	for {
		if err := c.fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.printUsage(c.stdout)
				return errHelp
			}
			return c.usageHint()
		}
		left := c.fs.Args()
		if len(left) == 0 {
			break
		}
		if used := len(rest) - len(left); used > 0 && rest[used-1] == "--" {
			c.args = append(c.args, left...)
			break
		}
		c.args = append(c.args, left[0])
		rest = left[1:]
	}
	if err := errors.Join(c.e.errs...); err != nil {
		return err
	}
	return nil
}

// usageHint ends a usage error: the usage line and where to read more.
func (c *cmdline) usageHint() error {
	fmt.Fprintf(c.stderr, "Usage: herken %s %s\nRun 'herken %s --help' for the flags and examples.\n", c.spec.name, c.spec.args, c.spec.name)
	return errUsage
}

// usageError reports a mistake in the command line (exit 2).
func (c *cmdline) usageError(format string, args ...any) error {
	fmt.Fprintf(c.stderr, "herken %s: %s\n", c.spec.name, fmt.Sprintf(format, args...))
	return c.usageHint()
}

// wantArgs checks the number of positional arguments.
func (c *cmdline) wantArgs(min, max int) error {
	switch n := len(c.args); {
	case n < min:
		return c.usageError("missing argument: want %s", c.spec.args)
	case max >= 0 && n > max:
		return c.usageError("unexpected argument %q", c.args[max])
	}
	return nil
}

func (c *cmdline) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: herken %s %s\n\n", c.spec.name, c.spec.args)
	if c.spec.about != "" {
		fmt.Fprintln(w, strings.TrimSpace(c.spec.about))
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Flags:")
	c.fs.SetOutput(w)
	c.fs.PrintDefaults()
	c.fs.SetOutput(c.stderr)
	printExamples(w, serverExamples, c.spec.examples)
}

// serverExamples heads the examples of a command that calls a server: they
// run against `make run`.
const serverExamples = "Examples (against `make run`: the demo data on localhost:50051):"

// printExamples prints an examples section under head.
func printExamples(w io.Writer, head, examples string) {
	examples = strings.TrimSpace(examples)
	if examples == "" {
		return
	}
	fmt.Fprintln(w, "\n"+head)
	for line := range strings.Lines(examples) {
		fmt.Fprintln(w, "  "+strings.TrimSpace(line))
	}
}

// open parses a command with min to max arguments (max -1: any) and
// connects; the caller closes the client.
func (c *cmdline) open(ctx context.Context, args []string, min, max int) (*client.Client, error) {
	if err := c.parse(args); err != nil {
		return nil, err
	}
	if err := c.wantArgs(min, max); err != nil {
		return nil, err
	}
	return c.dial(ctx)
}

// dial connects as the flags say. The caller closes the client.
func (c *cmdline) dial(ctx context.Context) (*client.Client, error) {
	cl, err := c.conn.dial(ctx, c.addr)
	if err != nil {
		return nil, reachError(c.addr, err)
	}
	return cl, nil
}

// callCtx is the context of one call: the command's --timeout.
func (c *cmdline) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// fail wraps the error of a call so that main prints it with the address.
func (c *cmdline) fail(err error) error { return reachError(c.addr, err) }

// output prints msg as JSON with --json, else as text for people.
func (c *cmdline) output(msg proto.Message, text func(w io.Writer)) error {
	if c.json {
		return printJSON(c.stdout, msg)
	}
	text(c.stdout)
	return nil
}

// jsonOptions is how every command prints JSON: protojson with the proto
// field names (snake_case), the same names as the NDJSON of herken export
// and import.
var jsonOptions = protojson.MarshalOptions{UseProtoNames: true}

// printJSON prints msg indented by encoding/json: protojson varies its
// whitespace from build to build on purpose, and scripts (and tests)
// deserve the same bytes for the same answer.
func printJSON(w io.Writer, msg proto.Message) error {
	b, err := jsonOptions.Marshal(msg)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// newRequestID makes an idempotency key for one invocation: a retry of a
// create with the same --request-id within 24 hours returns the first
// result instead of creating again.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "cli-" + hex.EncodeToString(b)
}

// customerName accepts "customers/{id}" or a bare id.
func customerName(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "customers/") {
		return s
	}
	return "customers/" + s
}

// promiseName accepts "customers/{c}/promises/{p}" or "{c}/promises/{p}".
func promiseName(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "customers/") {
		return s
	}
	return "customers/" + s
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// subcommand dispatches "herken GROUP SUB ..." to the handler of SUB.
type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func runGroup(ctx context.Context, group, about string, subs []subcommand, args []string, stdout, stderr io.Writer) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: herken %s COMMAND [flags] [ARGS]\n\n%s\n\nCommands:\n", group, strings.TrimSpace(about))
		for _, s := range subs {
			fmt.Fprintf(w, "  %-18s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun 'herken %s COMMAND --help' for a command's flags and examples.\n", group)
	}
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return runGroup(ctx, group, about, subs, []string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return errHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "herken %s: unknown command %q\n\n", group, args[0])
	usage(stderr)
	return errUsage
}
