package rawscan

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"

	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/badger/v4/y"
)

// The log file format, from badger/v4 (not exported there):
//
//	file:  keyID u64 BE | baseIV [12] | entry...
//	entry: meta u8 | userMeta u8 | uvarint klen | uvarint vlen |
//	       uvarint expiresAt | key [klen] | value [vlen] | crc32c BE
//
// keyID is 0 when the log is not encrypted. The CRC covers the header,
// key and value. Badger reads a log up to the first entry that does not
// decode or check (a write torn by a crash, or the zeros after the last
// entry: files are preallocated and the next header is zeroed), and so
// does readLog; what follows is searched raw.
const (
	logHeaderSize = 20
	maxKeySize    = 1 << 16 // Badger rejects longer keys and stops there
)

// scanLog decodes every entry of a .vlog or .mem file and searches its key
// and value; the bytes after the last valid entry are searched raw.
func (s *scanner) scanLog(f *os.File, info *File) error {
	if info.Size == 0 {
		return nil
	}
	if info.Size < logHeaderSize {
		return fmt.Errorf("log of %d bytes is shorter than its %d-byte header", info.Size, logHeaderSize)
	}
	var hdr [logHeaderSize]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return err
	}
	var dk *pb.DataKey
	if keyID := binary.BigEndian.Uint64(hdr[:8]); keyID != 0 {
		var err error
		if dk, err = s.dataKey(keyID); err != nil {
			return fmt.Errorf("log is encrypted (key id %d): %w", keyID, err)
		}
	}
	r := &logReader{
		r:   bufio.NewReaderSize(io.NewSectionReader(f, logHeaderSize, info.Size-logHeaderSize), 1<<16),
		crc: crc32.New(y.CastagnoliCrcTable),
		end: info.Size,
		off: logHeaderSize,
	}
	for {
		start := r.off
		key, value, ok := r.next()
		if !ok {
			// The header's base IV is random bytes, searched like the tail.
			if err := s.grepRange(f, info.Path, 0, logHeaderSize, InLogTail); err != nil {
				return err
			}
			tail, err := nonZero(f, start, info.Size)
			if err != nil {
				return err
			}
			info.TailBytes = tail
			if tail > 0 {
				return s.grepRange(f, info.Path, start, info.Size, InLogTail)
			}
			return nil
		}
		info.Entries++
		if dk != nil {
			// Key and value are encrypted together (AES-CTR), the IV being
			// the header's base IV and the entry's offset (Badger's
			// logFile.generateIV); the entry's header and CRC are not.
			iv := make([]byte, 16)
			copy(iv, hdr[8:20])
			binary.BigEndian.PutUint32(iv[12:], uint32(start))
			kv, err := y.XORBlockAllocate(append(key[:len(key):len(key)], value...), dk.Data, iv)
			if err != nil {
				return err
			}
			key, value = kv[:len(key)], kv[len(key):]
		}
		var user []byte
		var version uint64
		if len(key) >= 8 {
			user, version = y.ParseKey(key), y.ParseTs(key)
		} else {
			user = key
		}
		s.entry(info.Path, InLogEntry, start, user, version, key, value)
	}
}

// logReader reads entries, counting offsets and the CRC as it goes.
type logReader struct {
	r   *bufio.Reader
	crc hash.Hash32
	off int64 // file offset of the next byte
	end int64
	kv  []byte
}

// next returns the next valid entry, or ok=false where Badger would stop
// replaying.
func (l *logReader) next() (key, value []byte, ok bool) {
	l.crc.Reset()
	var head [2]byte
	if !l.read(head[:]) {
		return nil, nil, false
	}
	klen, ok1 := l.uvarint()
	vlen, ok2 := l.uvarint()
	_, ok3 := l.uvarint()
	if !ok1 || !ok2 || !ok3 || klen == 0 || klen > maxKeySize || vlen > uint64(l.end-l.off) {
		return nil, nil, false
	}
	n := int(klen + vlen)
	if cap(l.kv) < n {
		l.kv = make([]byte, n)
	}
	kv := l.kv[:n]
	if !l.read(kv) {
		return nil, nil, false
	}
	sum := l.crc.Sum32()
	var crc [4]byte
	if !l.read(crc[:]) || binary.BigEndian.Uint32(crc[:]) != sum {
		return nil, nil, false
	}
	return kv[:klen], kv[klen:], true
}

func (l *logReader) read(b []byte) bool {
	n, err := io.ReadFull(l.r, b)
	l.off += int64(n)
	l.crc.Write(b[:n])
	return err == nil
}

func (l *logReader) uvarint() (uint64, bool) {
	var x uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		var b [1]byte
		if !l.read(b[:]) {
			return 0, false
		}
		if b[0] < 0x80 {
			if i == binary.MaxVarintLen64-1 && b[0] > 1 {
				return 0, false
			}
			return x | uint64(b[0])<<(7*i), true
		}
		x |= uint64(b[0]&0x7f) << (7 * i)
	}
	return 0, false
}

// nonZero counts the non-zero bytes of f[start:end].
func nonZero(f io.ReaderAt, start, end int64) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for pos := start; pos < end; {
		m := min(int64(len(buf)), end-pos)
		if _, err := f.ReadAt(buf[:m], pos); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for _, c := range buf[:m] {
			if c != 0 {
				n++
			}
		}
		pos += m
	}
	return n, nil
}
