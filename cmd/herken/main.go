// Command herken runs and talks to the herken recognition service. It is
// the one place that wires the packages together (a store, the domain
// Service, the gRPC server), so it may import all of them. `herken help`
// lists the commands: serve, lookup, backup (they talk to a server); check,
// scan, restore, rotate-encryption-key (a stopped store); keys and
// encryption-key (the files a server reads).
//
// Every flag of serve, lookup and backup, and the store flags of the
// offline commands, has a HERKEN_* environment equivalent; per-run choices
// (--json, keys' --name, --scopes and --certificate) have none. `herken
// serve --help` lists them with their defaults.
package main

import (
	"context"
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "lookup":
		err = lookup(ctx, args[1:], stdout, stderr)
	case "check":
		err = check(ctx, args[1:], stdout, stderr)
	case "scan":
		err = scan(ctx, args[1:], stdout, stderr)
	case "keys":
		err = keys(ctx, args[1:], stdout, stderr)
	case "backup":
		err = backup(ctx, args[1:], stdout, stderr)
	case "restore":
		err = restore(ctx, args[1:], stdout, stderr)
	case "encryption-key":
		err = encryptionKey(args[1:], stdout, stderr)
	case "rotate-encryption-key":
		err = rotateEncryptionKey(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "herken: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case err == errUsage:
		return 2
	default:
		fmt.Fprintln(stderr, "herken:", err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `herken — recognise who is on the line

Usage:
  herken serve  [flags]         run the gRPC server (see herken serve --help)
  herken lookup [flags] QUERY   look up a phone number, email, "x:@handle",
                                profile URL or "1234 AB 10" and print the answer as JSON
  herken check  [flags]         check the integrity of a stopped store (see herken check --help);
                                exit 0 clean, 1 problems found
  herken keys   create|list|revoke  manage API keys in a keys file (see herken keys --help)
  herken backup --out FILE [flags]  write an online backup of a running server to FILE
  herken restore --from FILE --data-dir EMPTYDIR [--erasures-from OLDDIR]
                                restore a backup, re-applying the erasures since, and check it
  herken encryption-key create FILE  make a new key for --encryption-key-file
  herken rotate-encryption-key --data-dir DIR --old-key-file A --new-key-file B
                                re-encrypt a stopped store's key registry under a new key
  herken scan   [flags] VALUE...  search every file of a stopped store for values (an erased
                                customer's name, numbers, notes) in readable form;
                                exit 0 none found, 1 found
`)
}
