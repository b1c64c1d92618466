package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/herken/herken/store/badgerstore"
)

// rotateEncryptionKey runs `herken rotate-encryption-key`: it re-encrypts
// the key registry of a stopped store from the old key to the new one
// (badgerstore.RotateEncryptionKey). Data files are not rewritten: their
// data keys stay, only the key that encrypts those changes.
func rotateEncryptionKey(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herken rotate-encryption-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &envFlags{fs: fs}
	var dir, oldFile, newFile string
	e.String(&dir, "data-dir", "./data", "Badger data directory of the stopped store")
	e.String(&oldFile, "old-key-file", "", "the store's current encryption key file")
	e.String(&newFile, "new-key-file", "", "the new encryption key file (herken encryption-key create)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: herken rotate-encryption-key --data-dir DIR --old-key-file A --new-key-file B

Re-encrypts the store's key registry under the new key; from then on the
store opens only with B. Stop herken serve first. Badger's own data keys are
not changed (a new one is started every 10 days anyway). To encrypt an
unencrypted store, or decrypt one, back it up and restore it instead.

Flags:`)
		fs.PrintDefaults()
	}
	if err := e.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || dir == "" || oldFile == "" || newFile == "" {
		fs.Usage()
		return errUsage
	}
	oldKey, err := readKeyFile(oldFile)
	if err != nil {
		return err
	}
	defer clear(oldKey)
	newKey, err := readKeyFile(newFile)
	if err != nil {
		return err
	}
	defer clear(newKey)
	if err := badgerstore.RotateEncryptionKey(dir, oldKey, newKey); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "herken rotate-encryption-key %s: the store now opens with %s only\n", dir, newFile)
	return err
}
