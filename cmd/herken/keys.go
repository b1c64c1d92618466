package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/herken/herken/server/auth"
)

const keysUsage = `Usage:
  herken keys create --keys-file F --name N --scopes lookup[,write,admin] [--certificate]
  herken keys list   --keys-file F
  herken keys revoke --keys-file F --name N

create generates a key, prints it once on stdout and appends only its hash
to the keys file (created with mode 0600 if missing); with --certificate it
appends an entry for an mTLS client certificate named N instead and prints
nothing. revoke removes N's line. A running server picks up either change
within its --keys-reload-interval. The file format is documented in
package server/auth.
`

// keys runs `herken keys create|list|revoke`.
func keys(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, keysUsage)
		return errUsage
	}
	cmd := args[0]
	fs := flag.NewFlagSet("herken keys "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, keysUsage, "\nFlags:\n"); fs.PrintDefaults() }
	e := &envFlags{fs: fs}
	var file, name, scopes string
	var cert bool
	e.String(&file, "keys-file", "", "the keys file")
	switch cmd {
	case "create":
		fs.StringVar(&name, "name", "", "key name: 1 to 64 of a-z, 0-9, '.', '_', '-'")
		fs.StringVar(&scopes, "scopes", "", "comma-separated scopes: lookup, write, admin")
		fs.BoolVar(&cert, "certificate", false, "no key: a verified mTLS client certificate whose CommonName or SAN is --name stands for it")
	case "revoke":
		fs.StringVar(&name, "name", "", "name of the key to revoke")
	case "list":
	default:
		fmt.Fprintf(stderr, "herken keys: unknown command %q\n\n%s", cmd, keysUsage)
		return errUsage
	}
	if err := e.parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	// A missing flag is a usage error (exit 2), as in the other commands.
	if file == "" {
		fmt.Fprintf(stderr, "herken keys %s: --keys-file is required\n", cmd)
		return errUsage
	}
	if name == "" && cmd != "list" {
		fmt.Fprintf(stderr, "herken keys %s: --name is required\n", cmd)
		return errUsage
	}
	switch cmd {
	case "create":
		list, err := auth.ParseScopes(scopes)
		if err != nil {
			return fmt.Errorf("--scopes: %w", err)
		}
		key, err := auth.Create(file, name, list, cert)
		if err != nil {
			return err
		}
		if cert {
			fmt.Fprintf(stderr, "certificate entry %s added to %s\n", name, file)
			return nil
		}
		fmt.Fprintf(stderr, "key %s added to %s; it is shown only now, store it in the client's secrets:\n", name, file)
		_, err = fmt.Fprintln(stdout, key)
		return err
	case "revoke":
		if err := auth.Revoke(file, name); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "key %s revoked in %s\n", name, file)
		return nil
	default: // list
		entries, err := auth.List(file)
		if err != nil {
			return err
		}
		for _, en := range entries {
			kind := "key"
			if en.Certificate {
				kind = "certificate"
			}
			sc := make([]string, len(en.Scopes))
			for i, s := range en.Scopes {
				sc[i] = string(s)
			}
			if _, err := fmt.Fprintf(stdout, "%s\t%s\t%s\n", en.Name, strings.Join(sc, ","), kind); err != nil {
				return err
			}
		}
		return nil
	}
}
