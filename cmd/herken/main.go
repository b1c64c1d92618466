// Command herken runs and talks to the herken recognition service. It is
// the one place that wires the packages together (a store, the domain
// Service, the gRPC server), so it may import all of them. `herken help`
// lists the commands: serve; lookup, resolve, screen-pop, customer,
// interaction, promise, import, export and backup (they talk to a server); check, scan,
// restore, rotate-encryption-key (a stopped store); keys and
// encryption-key (the files a server reads); version.
//
// Every command that talks to a server prints text for people by default
// and the response as JSON with --json; errors are printed once, as
// "herken: <message> (<CODE> / <REASON>)", and the exit code says what
// kind of failure it was (exitcodes.go, the one place that maps them).
//
// Every flag of serve and of the commands that call a server, and the
// store flags of the offline commands, has a HERKEN_* environment
// equivalent; per-run choices (--json, the identifiers, keys' --name,
// --scopes and --certificate) have none. `herken serve --help` lists them
// with their defaults.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// command is one top-level command. examples are appended to the --help
// of commands that print their own usage without them.
type command struct {
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	examples string
}

func commands() map[string]command {
	return map[string]command{
		"serve": {func(ctx context.Context, args []string, _, stderr io.Writer) error { return serve(ctx, args, stderr) }, `
herken serve --demo --data-dir ./data              # what make run does
herken serve --in-memory --demo                     # try it out: nothing is written
herken serve --addr 0.0.0.0:50051 --keys-file /etc/herken/keys --tls-cert server.pem --tls-key server-key.pem
HERKEN_DATA_DIR=/var/lib/herken HERKEN_LOG_FORMAT=json herken serve`},
		"lookup":      {run: lookup},
		"resolve":     {run: resolveCmd},
		"screen-pop":  {run: screenPopCmd},
		"customer":    {run: customerCmd},
		"interaction": {run: interactionCmd},
		"promise":     {run: promiseCmd},
		"import":      {run: importCmd},
		"export":      {run: exportCmd},
		"version":     {run: versionCmd},
		"check": {check, `
herken check --data-dir ./data                      # stop herken serve first
herken check --data-dir ./data --encryption-key-file /etc/herken/data.key`},
		"scan": {scan, `
herken scan --data-dir ./data "Jan de Vries" +31612345678 jan@example.nl`},
		"keys": {keys, `
herken keys create --keys-file keys --name pbx-1 --scopes lookup
herken keys create --keys-file keys --name crm-sync --scopes lookup,write
herken keys list --keys-file keys
herken keys revoke --keys-file keys --name pbx-1`},
		"backup": {backup, `
herken backup --out herken-$(date +%F).bak
herken backup --addr herken.internal:50051 --tls-ca ca.pem --out nightly.bak   # key from HERKEN_API_KEY, admin scope`},
		"restore": {restore, `
herken restore --from nightly.bak --data-dir ./data-restored
herken restore --from nightly.bak --data-dir ./data-restored --erasures-from ./data`},
		"encryption-key": {func(_ context.Context, args []string, stdout, stderr io.Writer) error {
			return encryptionKey(args, stdout, stderr)
		}, `
herken encryption-key create /etc/herken/data.key`},
		"rotate-encryption-key": {rotateEncryptionKey, `
herken rotate-encryption-key --data-dir ./data --old-key-file old.key --new-key-file new.key`},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name == "help" && len(rest) > 0 {
			if _, ok := commands()[rest[0]]; !ok {
				fmt.Fprintf(stderr, "herken help: unknown command %q\n\n", rest[0])
				usage(stderr)
				return exitUsage
			}
			return run(ctx, append(append([]string{}, rest...), "--help"), stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(stderr, "herken: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	if helpRequested(rest) {
		// --help prints on stdout and exits 0, also for the commands that
		// print their usage as for a usage error.
		err := cmd.run(ctx, rest, stdout, stdout)
		if err == nil || errors.Is(err, errHelp) || errors.Is(err, errUsage) {
			printExamples(stdout, "Examples:", cmd.examples)
			return exitOK
		}
		fmt.Fprint(stderr, errorText(err))
		return exitCode(err)
	}
	err := cmd.run(ctx, rest, stdout, stderr)
	fmt.Fprint(stderr, errorText(err))
	return exitCode(err)
}

// helpRequested reports -h, -help or --help among the flags ("--" ends
// them). "herken customer help get" is the group's own business.
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprint(w, `herken — recognise who is on the line

Usage: herken COMMAND [flags] [ARGS]

Talk to a server (--addr, default localhost:50051; --json for scripts):
  lookup QUERY | --phone N | --email E | --handle H | --external-id ID | --postcode P
                     who is this? the customer, open and overdue promises, last contacts
  resolve ID...      match several identifiers of one contact
  screen-pop NUMBER  a short-lived link to the caller's screen pop, for the agent's browser
  customer get|create|update|list|add-identifier|remove-identifier|merge|unmerge|erase|export
                     manage customers
  interaction record|list
                     record a contact with its handover note; read the history
  promise create|get|keep|cancel|list
                     what was promised, and what is overdue
  import FILE        load or sync customers from a CRM file (CSV or NDJSON)
  export             write customers as NDJSON, the format import reads
  backup --out FILE  online backup of a running server

Run the server and look after a stopped store:
  serve              run the gRPC server (herken serve --help lists every flag)
  check              check the integrity of a stopped store; exit 1 when problems are found
  scan VALUE...      search every file of a stopped store for values in readable form
                     (an erased customer's name or number); exit 1 when found
  restore            restore a backup into an empty directory, re-applying later erasures
  rotate-encryption-key
                     re-encrypt a stopped store's key registry under a new key
  keys create|list|revoke
                     manage API keys in a keys file
  encryption-key create FILE
                     make a new key for --encryption-key-file

  version            the module version and VCS revision of this build
  help [COMMAND]     this text, or a command's flags and examples (as COMMAND --help)

Every command has --help with examples that run against `+"`make run`"+` (the demo data:
Jan de Vries, 06-12345678, jan@example.nl, CRM number K-100001, 1234 AB 10;
Anna and Pieter Bakker share 020-1234567).

Flags of the commands that call a server have HERKEN_* equivalents (HERKEN_ADDR,
HERKEN_API_KEY, HERKEN_TLS_CA, HERKEN_TIMEOUT, ...); the flag wins. --json prints the
response as protojson with the proto field names (snake_case), one object.

Errors are printed once on stderr: "herken: <message> (<CODE> / <REASON>)".

`+exitCodesHelp)
}
