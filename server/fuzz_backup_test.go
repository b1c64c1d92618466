package server_test

import (
	"context"
	"strings"
	"testing"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/internal/badinput"
)

// FuzzBackupRequest: BackupRequest has no fields, so every input that
// decodes asks for the same backup: it must succeed on a store on disk,
// stream a non-empty file with the snapshot time first, and change
// nothing (a backup never writes).
func FuzzBackupRequest(f *testing.F) {
	addSeeds(f, &herkenv1.BackupRequest{})
	f.Add([]byte{0x0a, 0x00})       // an unknown field 1, empty bytes
	f.Add([]byte{0x08, 0x96, 0x01}) // an unknown varint field
	s := newTestServer(f, withDir(f.TempDir()))
	fx := seedBadInput(f, s)
	h := &fuzzHarness{s: s, names: strings.NewReplacer(badinput.Replacements(fx)...)}
	h.last = s.digest(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.BackupRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			b, snap, err := receiveBackup(ctx, t, h.s)
			if err != nil {
				return err
			}
			if len(b) == 0 || snap.IsZero() {
				t.Fatalf("request %v: %d bytes, snapshot %v", req, len(b), snap)
			}
			return nil
		})
	})
}
