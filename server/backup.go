package server

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// backupChunk is the most data one BackupResponse carries: well under
// gRPC's default 4 MiB receive limit of any client.
const backupChunk = 1 << 20

type backupServer struct {
	herkenv1.UnimplementedBackupServiceServer
	*Server
}

// Backup streams an online backup (herken.Service.Backup) in chunks of at
// most backupChunk bytes; the first message carries the snapshot time. A
// failure midway ends the stream with an error status: the client must
// throw away what it received (herken backup writes to a temporary file and
// renames it only after a clean end).
func (s backupServer) Backup(_ *herkenv1.BackupRequest, stream grpc.ServerStreamingServer[herkenv1.BackupResponse]) error {
	ctx := stream.Context()
	w := &backupStream{stream: stream, buf: make([]byte, 0, backupChunk)}
	if _, err := s.svc.Backup(ctx, w); err != nil {
		return toStatus(ctx, s.log, err, "")
	}
	if err := w.flush(); err != nil {
		return toStatus(ctx, s.log, err, "")
	}
	return nil
}

// backupStream is the io.Writer the store writes the backup to: it cuts
// the bytes into BackupResponse messages.
type backupStream struct {
	stream   grpc.ServerStreamingServer[herkenv1.BackupResponse]
	buf      []byte
	snapshot *timestamppb.Timestamp // for the first message; nil once sent
	sent     bool
}

func (b *backupStream) SetSnapshotTime(t time.Time) { b.snapshot = timestamppb.New(t) }

func (b *backupStream) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), backupChunk-len(b.buf))
		b.buf = append(b.buf, p[:k]...)
		p = p[k:]
		if len(b.buf) == backupChunk {
			if err := b.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// flush sends what is buffered (the first message also when empty, so the
// snapshot time always reaches the client).
func (b *backupStream) flush() error {
	if len(b.buf) == 0 && b.sent {
		return nil
	}
	resp := &herkenv1.BackupResponse{Data: b.buf}
	if !b.sent {
		resp.SnapshotTime = b.snapshot
	}
	if err := b.stream.Send(resp); err != nil {
		return err
	}
	b.sent = true
	// A new buffer: gRPC does not promise it is done with a sent message
	// (stats handlers may read it later).
	b.buf = make([]byte, 0, backupChunk)
	return nil
}
