package badgerstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"google.golang.org/protobuf/proto"

	"github.com/herken/herken"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// Online backup. One file, written front to back (it can go down a gRPC
// stream) and read front to back by Restore:
//
//	magic "HERKBKUP" | version u32 | header length u32 | header (JSON, backupHeader)
//	key file:  length u64 | the shred key file as of the snapshot
//	Badger:    chunks of (length u32 | bytes), ended by a zero length; the
//	           bytes are DB.Backup's format (length u64 | pb.KVList)*, which
//	           DB.Load reads back: the newest version of every live key at
//	           the snapshot's read timestamp
//	journal:   count u64 | (time unix ns i64 | id length u16 | id)*: the
//	           whole erasure journal, read after the Badger part
//	checksum:  SHA-256 of every byte before it
//
// Integers are little-endian. Order in time matters for crypto-shredding
// and is not the order in the file: the snapshot (read timestamp and
// snapshot time) is taken first, and the key file copied while no key can
// be allocated or destroyed in between (shred.Keys.Copy), so the copy holds
// the key of every customer live in the snapshot. The journal is read
// last, so it lists every erasure committed before the backup ended — a
// restore re-applies those the snapshot still has live, and an erasure's
// key destroyed after the copy is covered by the journal too.
//
// The file is not encrypted: it holds the key file and the store's values,
// that is the personal data in a form anyone with the file can read. Keep
// it like the data directory, on an encrypted volume or bucket, and destroy
// old backups on the retention schedule (an erasure cannot reach into a
// backup: only a restore's replay of the journal does).

const (
	backupMagic   = "HERKBKUP"
	backupVersion = 1
	// backupBatch bounds one pb.KVList of the Badger part.
	backupBatchBytes = 1 << 20
	backupBatchKeys  = 1000
	// maxBackupChunk bounds a chunk a reader accepts (the writer writes one
	// KVList frame per chunk, at most about backupBatchBytes plus one value).
	maxBackupChunk = 256 << 20
)

// backupHeader is the backup's self-description.
type backupHeader struct {
	StoreFormat  string    `json:"store_format"`
	SnapshotTime time.Time `json:"snapshot_time"`
	// ReadTs is Badger's read timestamp of the snapshot (informational).
	ReadTs uint64 `json:"read_ts"`
}

// Backup implements herken.Backuper: it writes an online backup of the
// store to w (the format above) while the store goes on serving. An
// in-memory store has no key file to back up: ErrBackupUnsupported.
func (s *Store) Backup(ctx context.Context, w io.Writer) (herken.BackupInfo, error) {
	if s.keys == nil {
		return herken.BackupInfo{}, herken.ErrBackupUnsupported
	}
	var txn *badger.Txn
	var hdr backupHeader
	keyFile, err := s.keys.Copy(func() error {
		// The read transaction pins the snapshot: Badger keeps every
		// version it can see until it is discarded.
		txn = s.db.NewTransaction(false)
		hdr = backupHeader{SnapshotTime: time.Now().UTC(), ReadTs: txn.ReadTs(), StoreFormat: currentFormat}
		return nil
	})
	if txn != nil {
		defer txn.Discard()
	}
	defer clear(keyFile)
	if errors.Is(err, shred.ErrNoFile) {
		return herken.BackupInfo{}, herken.ErrBackupUnsupported
	}
	if err != nil {
		return herken.BackupInfo{}, storeError(err)
	}
	if sw, ok := w.(herken.SnapshotWriter); ok {
		sw.SetSnapshotTime(hdr.SnapshotTime)
	}
	bw := newBackupWriter(w)
	bw.header(hdr)
	bw.u64(uint64(len(keyFile)))
	bw.write(keyFile)
	if bw.err == nil {
		bw.err = s.backupDB(ctx, txn, bw)
	}
	bw.u32(0)
	if bw.err == nil {
		var j []herken.Erasure
		j, bw.err = s.journal(ctx)
		bw.journal(j)
	}
	bw.sum()
	if bw.err != nil {
		return herken.BackupInfo{}, bw.err
	}
	return herken.BackupInfo{SnapshotTime: hdr.SnapshotTime, Bytes: bw.n}, nil
}

// backupDB writes the newest version of every live key txn sees, as
// DB.Backup would, one chunk per KVList.
func (s *Store) backupDB(ctx context.Context, txn *badger.Txn, bw *backupWriter) error {
	it := txn.NewIterator(badger.DefaultIteratorOptions)
	defer it.Close()
	list := &pb.KVList{}
	size := 0
	flush := func() error {
		if len(list.Kv) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := proto.Marshal(list)
		if err != nil {
			return err
		}
		frame := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(b)), uint64(len(b)))
		frame = append(frame, b...)
		bw.u32(uint32(len(frame)))
		bw.write(frame)
		list.Kv, size = list.Kv[:0], 0
		return bw.err
	}
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		v, err := item.ValueCopy(nil)
		if err != nil {
			return storeError(err)
		}
		list.Kv = append(list.Kv, &pb.KV{
			Key: item.KeyCopy(nil), Value: v, UserMeta: []byte{item.UserMeta()},
			Version: item.Version(), ExpiresAt: item.ExpiresAt(),
		})
		size += len(v) + len(item.Key())
		if size >= backupBatchBytes || len(list.Kv) >= backupBatchKeys {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// journal reads the whole erasure journal (k/), oldest first, in one
// transaction of its own (later than the backup's snapshot).
func (s *Store) journal(ctx context.Context) ([]herken.Erasure, error) {
	return s.Erasures(ctx, time.Time{}, math.MaxInt)
}

// backupWriter writes the backup format, hashing and counting as it goes;
// the first error sticks and every later write is a no-op.
type backupWriter struct {
	w   io.Writer
	h   hash.Hash
	n   int64
	err error
}

func newBackupWriter(w io.Writer) *backupWriter { return &backupWriter{w: w, h: sha256.New()} }

func (b *backupWriter) write(p []byte) {
	if b.err != nil {
		return
	}
	var n int
	n, b.err = b.w.Write(p)
	b.h.Write(p[:n])
	b.n += int64(n)
}

func (b *backupWriter) u32(v uint32) { b.write(binary.LittleEndian.AppendUint32(nil, v)) }
func (b *backupWriter) u64(v uint64) { b.write(binary.LittleEndian.AppendUint64(nil, v)) }

func (b *backupWriter) header(h backupHeader) {
	j, err := json.Marshal(h)
	if err != nil {
		b.err = err
		return
	}
	b.write([]byte(backupMagic))
	b.u32(backupVersion)
	b.u32(uint32(len(j)))
	b.write(j)
}

func (b *backupWriter) journal(j []herken.Erasure) {
	b.u64(uint64(len(j)))
	for _, e := range j {
		buf := binary.LittleEndian.AppendUint64(nil, uint64(e.Time.UnixNano()))
		buf = binary.LittleEndian.AppendUint16(buf, uint16(len(e.CustomerID)))
		b.write(append(buf, e.CustomerID...))
	}
}

func (b *backupWriter) sum() {
	if b.err == nil {
		b.write(b.h.Sum(nil))
	}
}

// ErrBackupCorrupt is a backup file that does not read back: not a
// backup, truncated, or changed since it was written (checksum).
var ErrBackupCorrupt = errors.New("badgerstore: the backup file is corrupt or truncated")

// backupReader reads what backupWriter wrote, hashing as it goes.
type backupReader struct {
	r   io.Reader
	h   hash.Hash
	err error
}

func newBackupReader(r io.Reader) *backupReader { return &backupReader{r: r, h: sha256.New()} }

func (b *backupReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.h.Write(p[:n])
	return n, err
}

func (b *backupReader) full(p []byte) {
	if b.err != nil {
		return
	}
	if _, err := io.ReadFull(b, p); err != nil {
		b.err = fmt.Errorf("%w: %v", ErrBackupCorrupt, err)
	}
}

func (b *backupReader) u32() uint32 {
	var p [4]byte
	b.full(p[:])
	return binary.LittleEndian.Uint32(p[:])
}

func (b *backupReader) u64() uint64 {
	var p [8]byte
	b.full(p[:])
	return binary.LittleEndian.Uint64(p[:])
}

func (b *backupReader) header() backupHeader {
	var h backupHeader
	magic := make([]byte, len(backupMagic))
	b.full(magic)
	if b.err == nil && string(magic) != backupMagic {
		b.err = fmt.Errorf("%w: not a herken backup", ErrBackupCorrupt)
	}
	if v := b.u32(); b.err == nil && v != backupVersion {
		b.err = fmt.Errorf("badgerstore: backup format version %d, this build reads %d", v, backupVersion)
	}
	n := b.u32()
	if b.err == nil && n > 1<<16 {
		b.err = fmt.Errorf("%w: header of %d bytes", ErrBackupCorrupt, n)
	}
	if b.err != nil {
		return h
	}
	j := make([]byte, n)
	b.full(j)
	if b.err == nil {
		if err := json.Unmarshal(j, &h); err != nil {
			b.err = fmt.Errorf("%w: header: %v", ErrBackupCorrupt, err)
		}
	}
	return h
}

// keyFile reads the key-file section (bounded: 2^32 slots).
func (b *backupReader) keyFile() []byte {
	n := b.u64()
	if b.err == nil && n > shred.HeaderSize+shred.SlotSize<<32 {
		b.err = fmt.Errorf("%w: key file of %d bytes", ErrBackupCorrupt, n)
	}
	if b.err != nil {
		return nil
	}
	p := make([]byte, n)
	b.full(p)
	return p
}

// chunks returns a reader of the Badger section's bytes, which ends (EOF)
// at the zero-length chunk; errors stick in b.err.
func (b *backupReader) chunks() io.Reader { return &chunkReader{b: b} }

type chunkReader struct {
	b    *backupReader
	left uint32
	done bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		c.left = c.b.u32()
		if c.b.err == nil && c.left > maxBackupChunk {
			c.b.err = fmt.Errorf("%w: chunk of %d bytes", ErrBackupCorrupt, c.left)
		}
		if c.b.err != nil {
			return 0, c.b.err
		}
		if c.left == 0 {
			c.done = true
		}
	}
	n := min(uint32(len(p)), c.left)
	c.b.full(p[:n])
	if c.b.err != nil {
		return 0, c.b.err
	}
	c.left -= n
	return int(n), nil
}

// skip reads the rest of the Badger section without keeping it.
func (c *chunkReader) skip() error {
	_, err := io.Copy(io.Discard, c)
	return err
}

func (b *backupReader) journal() []herken.Erasure {
	n := b.u64()
	var out []herken.Erasure
	for i := uint64(0); i < n && b.err == nil; i++ {
		at := int64(b.u64())
		var l [2]byte
		b.full(l[:])
		id := make([]byte, binary.LittleEndian.Uint16(l[:]))
		b.full(id)
		out = append(out, herken.Erasure{CustomerID: string(id), Time: fromUnixNano(at)})
	}
	return out
}

// verify reads the checksum and checks it against every byte before it,
// and that nothing follows.
func (b *backupReader) verify() error {
	if b.err != nil {
		return b.err
	}
	want := b.h.Sum(nil)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(b.r, got); err != nil {
		return fmt.Errorf("%w: no checksum: %v", ErrBackupCorrupt, err)
	}
	if string(got) != string(want) {
		return fmt.Errorf("%w: checksum mismatch", ErrBackupCorrupt)
	}
	if n, _ := io.Copy(io.Discard, io.LimitReader(b.r, 1)); n > 0 {
		return fmt.Errorf("%w: bytes after the checksum", ErrBackupCorrupt)
	}
	return nil
}

// ReadBackupJournal reads a whole backup file, checks it, and returns its
// snapshot time and erasure journal: a backup taken after the one being
// restored is a source of erasures (restore --erasures-from FILE).
func ReadBackupJournal(r io.Reader) (time.Time, []herken.Erasure, error) {
	b := newBackupReader(r)
	hdr := b.header()
	kf := b.keyFile()
	clear(kf)
	c := &chunkReader{b: b}
	if err := c.skip(); err != nil && b.err == nil {
		b.err = err
	}
	j := b.journal()
	if err := b.verify(); err != nil {
		return time.Time{}, nil, err
	}
	return hdr.SnapshotTime, j, nil
}
