package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/herken/herken/store/badgerstore"
)

// errFound is the exit status of a scan that found a value (exit 1); the
// places were printed.
var errFound = errors.New("scan found values")

// scan searches a stopped store's files for values (an erased customer's
// name, numbers, addresses, notes) and prints every place one is readable:
// exit 0 when none is, 1 when some is, 2 on a usage error.
func scan(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herken scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &envFlags{fs: fs}
	var dir string
	e.String(&dir, "data-dir", "./data", "Badger data directory of the store to scan")
	var enc encryptionFlags
	enc.addFlags(e)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: herken scan [flags] VALUE...

Reads every file of a stopped store's data directory — every table block
decompressed, every value-log and write-ahead-log entry, every other file
byte by byte — and prints each place one of the VALUEs (at least %d bytes;
letter case ignored) occurs in readable form. After EraseCustomer, none of
the erased customer's values may occur: give their name, phone numbers in
E.164 ("+31612345678"), emails, handles, notes and interaction texts. Stop
herken serve on the directory first (or scan a copy).
Exit status: 0 nothing found, 1 found (or the scan could not run), 2 usage.

Flags:
`, badgerstore.MinScanValue)
		fs.PrintDefaults()
	}
	if err := e.parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 || dir == "" {
		fs.Usage()
		return errUsage
	}
	if err := enc.validate("badger"); err != nil {
		return err
	}
	found, err := badgerstore.ScanDirKey(dir, fs.Args(), enc.Key())
	if err != nil {
		return err
	}
	for _, f := range found {
		fmt.Fprintln(stdout, f)
	}
	if len(found) > 0 {
		return fmt.Errorf("%w: %d places", errFound, len(found))
	}
	fmt.Fprintf(stdout, "herken scan %s: none of %d values found\n", dir, fs.NArg())
	return nil
}
