package herken

import (
	"context"
	"io"
	"time"
)

// Backuper is a Store that can write an online backup of itself: one
// consistent snapshot, while it goes on serving. The Badger store is one;
// the memory store is not.
type Backuper interface {
	Backup(ctx context.Context, w io.Writer) (BackupInfo, error)
}

// SnapshotWriter is a writer given to Backup that wants the snapshot time
// before the first byte: the gRPC stream puts it in its first message. A
// Backuper calls SetSnapshotTime once, before it writes.
type SnapshotWriter interface {
	io.Writer
	SetSnapshotTime(time.Time)
}

// BackupInfo describes a backup written by Backup.
type BackupInfo struct {
	// SnapshotTime is when the snapshot was taken: a restore re-applies the
	// erasures recorded since.
	SnapshotTime time.Time
	// Bytes is the length of the backup written.
	Bytes int64
}

// Backup writes an online backup of the store to w; ErrBackupUnsupported
// when the store cannot.
func (s *Service) Backup(ctx context.Context, w io.Writer) (BackupInfo, error) {
	st := s.store
	if f, ok := st.(followMerges); ok {
		st = f.Store // the wrapper every Service puts around its store
	}
	b, ok := st.(Backuper)
	if !ok {
		return BackupInfo{}, ErrBackupUnsupported
	}
	return b.Backup(ctx, w)
}
