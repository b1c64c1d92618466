package badgerstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// ErrRestoreNotEmpty: Restore writes only into an empty directory, so it
// can never mix a backup with a store that is there.
var ErrRestoreNotEmpty = errors.New("badgerstore: the restore directory is not empty")

// RestoreInfo reports what Restore did.
type RestoreInfo struct {
	SnapshotTime time.Time
	// Erased are the ids erased again: live in the backup, erased since
	// according to a journal.
	Erased []string
	// Unresolved are names erased since according to a journal that the
	// backup has merged into a customer no journal erased: their data is in
	// that customer's merge record and Restore could not unmerge it to erase
	// it (an identifier conflict, or a chain of merges). Unmerge and erase
	// them through the API before serving.
	Unresolved []string
}

// Restore writes the backup read from r into dir, which must be empty or
// not exist, then re-applies erasures: every entry of the backup's own
// journal (read at the end of the backup, so it has the erasures committed
// while the backup ran) and of erasures (from the journal of the old data
// directory, JournalFromDir, or of later backups, ReadBackupJournal) whose
// id the restored store still has live. Entries recorded before the
// snapshot are already erased in it and are skipped, so the whole journal
// can be given: that is simpler, and safer than cutting at the snapshot
// time (an erasure's journal time is taken before its commit, which may
// land after the snapshot). opts gives the store's options (the
// encryption key among them); opts.Dir is set to dir.
//
// A name in a journal is erased as EraseCustomer does: a live customer with
// every name merged into it; a merged name through the customer it leads
// to only when that customer is itself in a journal (it was erased with
// it); otherwise the name is unmerged from it and erased alone, and when
// that fails it is reported in Unresolved.
//
// A backup that does not read back whole (checksum, truncation) fails the
// restore, and whatever was written into dir is removed.
func Restore(ctx context.Context, dir string, r io.Reader, erasures []herken.Erasure, opts Options) (RestoreInfo, error) {
	if opts.InMemory || dir == "" {
		return RestoreInfo{}, errors.New("badgerstore: restore needs a data directory")
	}
	opts.Dir = dir
	if err := emptyDir(dir); err != nil {
		return RestoreInfo{}, err
	}
	hdr, own, err := load(dir, r, opts)
	if err != nil {
		wipe(dir)
		return RestoreInfo{}, err
	}
	s, err := Open(opts)
	if err != nil {
		return RestoreInfo{}, fmt.Errorf("badgerstore: opening the restored store: %w", err)
	}
	info := RestoreInfo{SnapshotTime: hdr.SnapshotTime}
	err = s.reapply(ctx, append(own, erasures...), &info)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return info, err
}

// emptyDir makes dir if it is missing and refuses one with anything in it.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("badgerstore: restore: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("badgerstore: restore: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%w: %s has %d entries", ErrRestoreNotEmpty, dir, len(entries))
	}
	return nil
}

// wipe removes what a failed restore wrote into dir (empty before it).
func wipe(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// load reads the backup into dir: the key file, then the Badger stream
// through DB.Load (which moves Badger's timestamps past the loaded
// versions), then the journal and the checksum.
func load(dir string, r io.Reader, opts Options) (backupHeader, []herken.Erasure, error) {
	b := newBackupReader(r)
	hdr := b.header()
	// A format-5 backup is restored as it was and migrated when the
	// restored store opens.
	if b.err == nil && !sealedFormat(hdr.StoreFormat) {
		b.err = fmt.Errorf("badgerstore: the backup is of store format %q, this build restores %q and %q", hdr.StoreFormat, sealedV5, currentFormat)
	}
	kf := b.keyFile()
	defer clear(kf)
	if b.err != nil {
		return hdr, nil, b.err
	}
	if err := shred.WriteFile(filepath.Join(dir, shred.FileName), kf); err != nil {
		return hdr, nil, fmt.Errorf("badgerstore: restoring the key file: %w", err)
	}
	bo := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{opts.Logger}).
		WithMetricsEnabled(false).
		WithSyncWrites(true).
		WithMemTableSize(memTableSize).
		WithNumMemtables(numMemtables).
		WithIndexCacheSize(DefaultIndexCacheSize)
	bo, err := withEncryption(bo, opts.EncryptionKey)
	if err != nil {
		return hdr, nil, err
	}
	db, err := badger.Open(bo)
	if err != nil {
		return hdr, nil, openError(dir, len(opts.EncryptionKey) > 0, err)
	}
	lerr := db.Load(b.chunks(), 16)
	if cerr := db.Close(); lerr == nil {
		lerr = cerr
	}
	if b.err != nil {
		return hdr, nil, b.err
	}
	if lerr != nil {
		return hdr, nil, fmt.Errorf("%w: loading the store: %v", ErrBackupCorrupt, lerr)
	}
	j := b.journal()
	if err := b.verify(); err != nil {
		return hdr, nil, err
	}
	return hdr, j, nil
}

// reapply erases again what list says was erased, oldest first.
func (s *Store) reapply(ctx context.Context, list []herken.Erasure, info *RestoreInfo) error {
	slices.SortStableFunc(list, func(a, b herken.Erasure) int { return a.Time.Compare(b.Time) })
	inJournal := make(map[string]bool, len(list))
	for _, e := range list {
		inJournal[e.CustomerID] = true
	}
	w := herken.WriteOptions{Actor: herken.SystemActor}
	for _, e := range list {
		var kind nameKind
		err := s.view(ctx, func(txn *tx) error {
			var err error
			kind, _, err = lookupName(txn, e.CustomerID)
			return err
		})
		if err != nil {
			return err
		}
		target := e.CustomerID
		switch kind {
		case nameLive:
		case nameMerged:
			live, err := s.Resolve(ctx, e.CustomerID)
			if err != nil {
				return err
			}
			if inJournal[live] {
				target = live // erased with it: the loop erases it (and this name) now
				break
			}
			// Merged into a customer that was not erased: take the name
			// back out, then erase it alone.
			if _, _, err := s.UnmergeCustomer(ctx, e.CustomerID, func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error) {
				return herken.PlanUnmerge(rec, survivor, time.Now().UTC())
			}, w); err != nil {
				info.Unresolved = append(info.Unresolved, e.CustomerID)
				continue
			}
		default:
			continue // erased in the backup already, or never in it
		}
		ids, err := s.EraseCustomer(ctx, target, e.Time, w)
		if err != nil {
			return fmt.Errorf("badgerstore: erasing %s again: %w", target, err)
		}
		info.Erased = append(info.Erased, ids...)
	}
	slices.SortFunc(info.Erased, cmp.Compare)
	return nil
}

// JournalFromDir reads the erasure journal of the stopped store in dir
// (the data directory a backup is restored to replace), opened read-only
// with key (nil: not encrypted). It fails while a server runs on dir.
func JournalFromDir(ctx context.Context, dir string, key []byte) ([]herken.Erasure, error) {
	if _, err := os.Stat(filepath.Join(dir, badger.ManifestFilename)); err != nil {
		return nil, fmt.Errorf("badgerstore: no store in %s: %w", dir, err)
	}
	db, err := openReadOnly(dir, key)
	if err != nil {
		return nil, fmt.Errorf("badgerstore: reading the erasure journal of %s (stop the server on it first): %w", dir, err)
	}
	defer db.Close()
	// The journal's keys are plain: no key file is needed to read them.
	return (&Store{db: db, plain: true}).journal(ctx)
}
