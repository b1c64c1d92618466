package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// backup runs `herken backup`: it asks a running server for an online
// backup (BackupService.Backup, admin scope) and writes it to --out, via a
// temporary file that is fsynced and renamed only once the whole stream
// arrived, so --out is either a complete backup or not there.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herken backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &envFlags{fs: fs}
	var addr, out string
	var timeout time.Duration
	e.String(&addr, "addr", "localhost:50051", "server address")
	e.String(&out, "out", "", "backup file to write (must not exist)")
	e.Duration(&timeout, "timeout", time.Hour, "deadline of the whole backup")
	var conn clientFlags
	conn.addFlags(e)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: herken backup --out FILE [flags]

Takes an online backup of a running server (its API key needs the admin
scope) and writes it to FILE. The server goes on serving. The file holds
the store's data and its crypto-shredding keys unencrypted: keep it like
the data directory. Restore it with herken restore.

Flags:`)
		fs.PrintDefaults()
	}
	if err := e.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || out == "" {
		fs.Usage()
		return errUsage
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s exists: a backup never overwrites a file", out)
	}
	c, err := conn.dial(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	snap, n, err := receiveBackupFile(ctx, c.Backup, out)
	if err != nil {
		return callError(err)
	}
	_, err = fmt.Fprintf(stdout, "herken backup %s: %d bytes, snapshot %s\n", out, n, snap.Format(time.RFC3339Nano))
	return err
}

// receiveBackupFile streams the backup into out+".tmp", fsyncs it and
// renames it to out; on any failure the temporary file is removed.
func receiveBackupFile(ctx context.Context, c herkenv1.BackupServiceClient, out string) (time.Time, int64, error) {
	tmp := out + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return time.Time{}, 0, err
	}
	snap, n, err := copyBackup(ctx, c, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return time.Time{}, 0, err
	}
	if d, err := os.Open(filepath.Dir(out)); err == nil {
		d.Sync() // make the rename durable; a failure here loses nothing written
		d.Close()
	}
	return snap, n, nil
}

func copyBackup(ctx context.Context, c herkenv1.BackupServiceClient, w io.Writer) (time.Time, int64, error) {
	stream, err := c.Backup(ctx, &herkenv1.BackupRequest{})
	if err != nil {
		return time.Time{}, 0, err
	}
	var snap time.Time
	var n int64
	for first := true; ; first = false {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if first {
				return time.Time{}, 0, errors.New("the server sent an empty backup")
			}
			return snap, n, nil
		}
		if err != nil {
			return time.Time{}, 0, err
		}
		if first {
			snap = resp.GetSnapshotTime().AsTime()
		}
		k, err := w.Write(resp.GetData())
		n += int64(k)
		if err != nil {
			return time.Time{}, 0, err
		}
	}
}
