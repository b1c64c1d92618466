package badgerstore

import (
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/herken/herken"
)

// DefaultMinFreeBytes is the free space the data directory's filesystem
// must keep for writes to be accepted.
//
// Why a reserve at all: Badger writes its write-ahead log and new tables
// through memory-mapped files. On a full filesystem the page fault that
// finds no free block kills the process with SIGBUS; there is no ENOSPC to
// turn into an error. So herken must stop writing while Badger still has
// room for what a write it already accepted may cause: the rest of the
// current WAL (2 × 32 MiB memtables), one memtable flush (32 MiB) and an
// L0→L1 compaction, which rewrites up to five L0 tables plus the overlap
// before the old ones are deleted (~160 MiB). 256 MiB covers that.
const DefaultMinFreeBytes = 256 << 20

// CauseDiskSpaceLow is the ErrorInfo metadata "cause" of a write refused
// by the free-space reserve.
const CauseDiskSpaceLow = "DISK_SPACE_LOW"

// spaceGuard refuses writes while the data directory's filesystem has less
// than reserve bytes free, and accepts them again from resume bytes on (a
// margin, so that a disk hovering at the line does not flap health).
// It reads the free space on every check: one statfs, about a
// microsecond, next to a write that costs tens of microseconds to
// milliseconds (fsync).
type spaceGuard struct {
	reserve, resume uint64
	free            func() (uint64, error)
	log             *slog.Logger
	low             atomic.Bool
}

func newSpaceGuard(reserve uint64, free func() (uint64, error), log *slog.Logger) *spaceGuard {
	return &spaceGuard{reserve: reserve, resume: reserve + max(reserve/4, 1<<20), free: free, log: log}
}

// check reads the free space and returns a STORE_UNAVAILABLE error while it
// is below the reserve. A nil guard (in-memory store, guard off) never
// refuses.
func (g *spaceGuard) check() error {
	if g == nil {
		return nil
	}
	n, err := g.free()
	if err != nil {
		// Not knowing is no reason to risk the process: refuse, and say why.
		if g.low.CompareAndSwap(false, true) {
			g.log.Error("cannot read the data directory's free space; writes refused", "error", err)
		}
		return &herken.Error{Code: herken.CodeUnavailable, Reason: herken.ReasonStoreUnavailable,
			Message: "cannot read the data directory's free space; writes are refused", Err: err,
			Metadata: map[string]string{"cause": CauseDiskSpaceLow}}
	}
	switch {
	case n < g.reserve && g.low.CompareAndSwap(false, true):
		g.log.Error("data directory nearly full; writes refused until space is freed",
			"free_mib", n>>20, "min_free_mib", g.reserve>>20)
	case n >= g.resume && g.low.CompareAndSwap(true, false):
		g.log.Info("data directory has room again; writes accepted", "free_mib", n>>20, "min_free_mib", g.reserve>>20)
	}
	if !g.low.Load() {
		return nil
	}
	return &herken.Error{Code: herken.CodeUnavailable, Reason: herken.ReasonStoreUnavailable,
		Message: fmt.Sprintf("the data directory is nearly full (%d MiB free); writes are refused until %d MiB are free",
			n>>20, g.resume>>20),
		Metadata: map[string]string{"cause": CauseDiskSpaceLow}}
}

// Writable reports whether the store takes writes now: nil, or the
// STORE_UNAVAILABLE error a write would get because the data directory is
// below its free-space reserve. It reads the free space afresh, so a
// periodic call also notices when space returns without any write.
func (s *Store) Writable() error {
	return s.space.check()
}

// Size is the store's size on disk in bytes: the space every file in its
// data directory takes (Badger's tables, value log, write-ahead logs and
// manifest, and the key file; allocated blocks, not the sparse files'
// apparent sizes), for the store-size metric; 0 in memory. A directory of
// a few dozen files: cheap enough for every scrape.
func (s *Store) Size() (int64, error) {
	dir := s.db.Opts().Dir
	if dir == "" {
		return 0, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += allocated(info)
		}
	}
	return n, nil
}
