package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/herken/herken/store/badgerstore"
	"github.com/herken/herken/store/pgstore"
)

// errProblems is the exit status of a check that found problems (exit 1);
// the report has already been printed.
var errProblems = errors.New("check found problems")

// check runs the integrity check on a stopped store and prints the report:
// exit 0 when clean, 1 when it found problems (or could not run), 2 on a
// usage error. The report never quotes identifier values, owners or request
// ids, so it can be pasted into a ticket.
func check(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herken check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &envFlags{fs: fs}
	var dir, pgURL string
	var asJSON bool
	e.String(&dir, "data-dir", "./data", "Badger data directory of the store to check")
	e.String(&pgURL, "postgres-url", "", "check the PostgreSQL store at this URL instead (it may be in use: the check reads one snapshot)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	var enc encryptionFlags
	enc.addFlags(e)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: herken check [flags]

Checks every invariant of the store's key layout (indexes against records,
exclusive and shared identifiers, orphans, undecodable records, unknown keys)
and prints counts per record kind and the problems found, without personal
data. The store is opened read-only: stop herken serve on it first. A store
left by a crash must be opened once by herken serve (which recovers it).
With --postgres-url it checks a PostgreSQL store's tables against each
other instead, in one snapshot, while replicas serve it.
Exit status: 0 clean, 1 problems found (or the check could not run), 2 usage.

Flags:`)
		fs.PrintDefaults()
	}
	if err := e.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if dir == "" {
		fmt.Fprintln(stderr, "herken check: --data-dir is required")
		return errUsage
	}
	if pgURL != "" {
		return checkPostgres(ctx, pgURL, asJSON, stdout)
	}
	if err := enc.validate("badger"); err != nil {
		return err
	}
	rep, err := badgerstore.CheckDirKey(ctx, dir, enc.Key())
	if err != nil {
		return err
	}
	if asJSON {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(stdout, string(b)); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "herken check %s\n", dir)
		if err := rep.WriteText(stdout); err != nil {
			return err
		}
	}
	if !rep.OK() {
		return fmt.Errorf("%w: %d", errProblems, rep.Total())
	}
	return nil
}

// checkPostgres checks the PostgreSQL store at url (pgstore.Check).
func checkPostgres(ctx context.Context, url string, asJSON bool, stdout io.Writer) error {
	s, err := pgstore.Open(ctx, pgstore.Options{URL: url, MaxConns: 2})
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := s.Check(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(stdout, string(b)); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout, "herken check (PostgreSQL)")
		if err := rep.WriteText(stdout); err != nil {
			return err
		}
	}
	if !rep.OK() {
		return fmt.Errorf("%w: %d", errProblems, rep.Total())
	}
	return nil
}
