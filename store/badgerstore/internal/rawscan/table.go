package rawscan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4/fb"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"
	"github.com/dgraph-io/ristretto/v2"
)

// compressions are tried in this order for a table the MANIFEST does not
// list (an orphan Badger would delete at open; still on disk, so read).
var compressions = []options.CompressionType{options.Snappy, options.ZSTD, options.None}

func compressionName(c options.CompressionType) string {
	switch c {
	case options.None:
		return "none"
	case options.Snappy:
		return "snappy"
	case options.ZSTD:
		return "zstd"
	}
	return fmt.Sprintf("unknown(%d)", c)
}

// scanTable decodes every block of an .sst — decompressed and checksum
// verified by Badger's table package — and searches every key (every
// version) and every value. The file is read into memory and opened as an
// in-memory table: Badger's file-backed tables truncate and delete their
// file when their last reference is dropped, which a scanner must never
// risk.
func (s *scanner) scanTable(f *os.File, info *File) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	id, ok := table.ParseFileID(filepath.Base(f.Name()))
	if !ok {
		return errors.New("table file name is not <id>.sst")
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	candidates := compressions
	var dk *pb.DataKey
	var cache *ristretto.Cache[uint64, *fb.TableIndex]
	if s.manifest != nil {
		if tm, listed := s.manifest.Tables[id]; listed {
			if tm.KeyID != 0 {
				if dk, err = s.dataKey(tm.KeyID); err != nil {
					return err
				}
				if cache, err = newIndexCache(); err != nil {
					return err
				}
				defer cache.Close()
			}
			candidates = []options.CompressionType{tm.Compression}
		}
	}
	var tbl *table.Table
	var errs []error
	for _, c := range candidates {
		t, err := openTable(data, id, c, dk, cache)
		if err == nil {
			tbl = t
			info.Compression = compressionName(c)
			break
		}
		errs = append(errs, fmt.Errorf("as %s: %w", compressionName(c), err))
	}
	if tbl == nil {
		return fmt.Errorf("table does not decode: %w", errors.Join(errs...))
	}
	it := tbl.NewIterator(0)
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Key()
		v := it.Value()
		s.entry(info.Path, InTableEntry, -1, y.ParseKey(k), y.ParseTs(k), k, v.Value)
		n++
	}
	// The iterator stops silently on a block it cannot read; the index
	// knows how many entries the table holds.
	if uint32(n) != tbl.KeyCount() {
		return fmt.Errorf("read %d entries, the table index lists %d", n, tbl.KeyCount())
	}
	info.Entries = n
	return nil
}

// openTable opens data as a table compressed with c and verifies every
// block: decompression and checksum. Badger panics on some malformed
// tables; that is an error here.
func openTable(data []byte, id uint64, c options.CompressionType, dk *pb.DataKey, cache *ristretto.Cache[uint64, *fb.TableIndex]) (t *table.Table, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, panicError(r)
		}
	}()
	opts := &table.Options{
		// BlockSize only sizes ZSTD's output buffer guess; blocks of any
		// size decode.
		BlockSize:   4 << 10,
		Compression: c,
		ChkMode:     options.OnTableAndBlockRead,
	}
	if dk != nil {
		// Badger reads an encrypted table's index through its index cache.
		opts.DataKey, opts.IndexCache = dk, cache
	}
	t, err = table.OpenInMemoryTable(data, id, opts)
	if err != nil {
		return nil, err
	}
	if err := t.VerifyChecksum(); err != nil {
		return nil, err
	}
	return t, nil
}

// panicError turns a Badger panic into an error, cut short: Badger's panic
// messages on a bad table dump the whole index.
func panicError(r any) error {
	msg := strings.Join(strings.Fields(fmt.Sprint(r)), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return fmt.Errorf("badger panicked reading the table: %s", msg)
}
