package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/store/badgerstore"
)

// restore runs `herken restore`: it writes a backup into an empty data
// directory, re-applies the erasures recorded since (from the backup's own
// journal and from --erasures-from), then checks the restored store.
func restore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herken restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &envFlags{fs: fs}
	var from, dir, erasuresFrom string
	e.String(&from, "from", "", "backup file written by herken backup")
	e.String(&dir, "data-dir", "", "data directory to restore into: must be empty or not exist")
	e.String(&erasuresFrom, "erasures-from", "", "comma-separated sources of erasures to re-apply: the old data directory (its server stopped; read-only) and/or later backup files")
	var enc encryptionFlags
	enc.addFlags(e)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: herken restore --from FILE --data-dir EMPTYDIR [--erasures-from OLDDIR,LATER.bak] [--encryption-key-file KEY]

Restores a backup into an empty directory, then erases again every customer
that a journal says was erased but the backup still has: the backup's own
journal (erasures committed while it was taken) and those of
--erasures-from (the data directory the backup replaces, and backups taken
after it), so a restored backup never brings an erased customer back.
With --encryption-key-file the restored store is encrypted under that key
(which also opens an encrypted --erasures-from directory). Then runs
herken check on the result.
Exit status: 0 restored and clean, 1 failed or problems found, 2 usage.

Flags:`)
		fs.PrintDefaults()
	}
	if err := e.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || from == "" || dir == "" {
		fs.Usage()
		return errUsage
	}
	if err := enc.validate("badger"); err != nil {
		return err
	}
	var erasures []herken.Erasure
	for _, src := range strings.Split(erasuresFrom, ",") {
		if src = strings.TrimSpace(src); src == "" {
			continue
		}
		j, err := journalOf(ctx, src, enc.Key())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "erasures from %s: %d\n", src, len(j))
		erasures = append(erasures, j...)
	}
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := badgerstore.Restore(ctx, dir, f, erasures, badgerstore.Options{EncryptionKey: enc.Key()})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "herken restore %s into %s: snapshot %s, %d customers erased again\n",
		from, dir, info.SnapshotTime.Format(time.RFC3339Nano), len(info.Erased))
	for _, id := range info.Unresolved {
		fmt.Fprintf(stdout, "NOT ERASED: customers/%s was erased after the backup but is merged into a customer that was not; unmerge and erase it through the API before serving\n", id)
	}
	rep, err := badgerstore.CheckDirKey(ctx, dir, enc.Key())
	if err != nil {
		return err
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("%w: %d", errProblems, rep.Total())
	}
	if len(info.Unresolved) > 0 {
		return fmt.Errorf("%d erased customers could not be erased again", len(info.Unresolved))
	}
	return nil
}

// journalOf reads the erasure journal of a stopped data directory or of a
// backup file.
func journalOf(ctx context.Context, src string, key []byte) ([]herken.Erasure, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("--erasures-from: %w", err)
	}
	if st.IsDir() {
		return badgerstore.JournalFromDir(ctx, src, key)
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	_, j, err := badgerstore.ReadBackupJournal(f)
	if err != nil {
		return nil, fmt.Errorf("--erasures-from %s: %w", src, err)
	}
	return j, nil
}
