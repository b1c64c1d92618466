// Package rawscan proves erasure for tests: it reads a closed Badger data
// directory the way Badger itself does — every block of every table
// decompressed, every entry of every value-log and write-ahead-log file,
// every version of every key — plus the raw bytes of every file, and
// reports each place where any of the given strings (an erased customer's
// names, numbers, addresses, texts) appears in any letter case.
//
// grep is not enough: Badger compresses table blocks (Snappy or ZSTD) and
// stores each key as a suffix of the block's previous key, so a value or
// key can be on disk without its bytes ever being contiguous in the file.
//
// Tables are read with Badger's own table package, their compression taken
// from Badger's MANIFEST (read with badger.ReplayManifestFile). The log
// entry format of .vlog and .mem files is not exported by Badger, so
// readLog implements it from Badger's source (value.go, memtable.go,
// structs.go of badger/v4): a 20-byte file header (key id, base IV), then
// entries of meta, user meta, uvarint key length, value length and
// expiry, key, value, CRC-32C (big-endian). Log entries are never
// compressed, and the bytes after the last valid entry are searched raw.
//
// Scan fails, rather than report a clean directory, whenever it meets
// something it cannot read completely: a table whose blocks do not decode
// and check, a table whose entry count disagrees with its index, an
// encrypted table or log (Badger's encryption is not used by herken and
// would hide values from this scan), an unreadable MANIFEST, a symlink or
// special file. Scan a closed database, or a copy taken as a crash would
// leave it; a table being written while scanned fails the scan.
package rawscan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	badger "github.com/dgraph-io/badger/v4"
)

// Where a finding was made.
const (
	InTableEntry = "table entry" // a decoded key or value of an .sst
	InLogEntry   = "log entry"   // a decoded key or value of a .vlog or .mem entry
	InLogTail    = "log tail"    // raw bytes after a log's last valid entry
	InRawBytes   = "raw bytes"   // the file's bytes as they are on disk
)

// Finding is one occurrence of a needle.
type Finding struct {
	File   string // path relative to the scanned directory
	Where  string // InTableEntry, InLogEntry, InLogTail or InRawBytes
	Needle int    // index into the needles given to Scan
	// Offset is the match's byte offset in the file for raw bytes and log
	// tails, the entry's offset for log entries, -1 for table entries
	// (blocks are compressed: there is no file offset of a decoded byte).
	Offset int64
	// Key and Version name the entry a table or log match is in (Key is
	// the user key, without Badger's version suffix); InKey tells whether
	// the needle was in the key or in the value.
	Key     []byte
	Version uint64
	InKey   bool
}

func (f Finding) String() string {
	switch f.Where {
	case InTableEntry, InLogEntry:
		part := "value"
		if f.InKey {
			part = "key"
		}
		return fmt.Sprintf("%s: needle %d in the %s of %s %q@%d (offset %d)",
			f.File, f.Needle, part, f.Where, f.Key, f.Version, f.Offset)
	}
	return fmt.Sprintf("%s: needle %d in %s at offset %d", f.File, f.Needle, f.Where, f.Offset)
}

// File is what Scan read of one file.
type File struct {
	Path    string // relative to the scanned directory
	Kind    string // "table", "value log", "write-ahead log", "manifest", "other"
	Size    int64
	Entries int // decoded entries (tables and logs)
	// TailBytes counts the non-zero bytes after a log's last valid entry:
	// a write torn by a crash. They were searched raw.
	TailBytes int64
	// Compression is a table's block compression.
	Compression string
}

// Report is the result of a scan.
type Report struct {
	Files    []File
	Findings []Finding
}

// Err is nil when nothing was found, else an error listing every finding.
func (r *Report) Err() error {
	if len(r.Findings) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rawscan: %d occurrence(s) of erased data:", len(r.Findings))
	for _, f := range r.Findings {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return errors.New(b.String())
}

// Found reports whether needle i was found, and where first.
func (r *Report) Found(i int) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Needle == i {
			return f, true
		}
	}
	return Finding{}, false
}

// Scan reads every file under dir and returns where the needles occur.
// Every needle must be at least MinNeedle bytes long. The error is for a
// directory Scan could not read completely, never for a finding: check
// Report.Err or Report.Findings.
func Scan(dir string, needles [][]byte) (*Report, error) {
	return ScanOpened(dir, needles, nil)
}

// InOpened is added to a finding's Where when the needle was in what open
// returned for the entry's value (ScanOpened), not in the value itself.
const InOpened = " (opened)"

// ScanOpened is Scan that also searches, for every decoded table and log
// entry, what open returns for its user key and value (nil: nothing): the
// plaintext of a sealed value whose key can still open it. A finding there
// has Where ending in InOpened. open must not keep the slices it is given.
func ScanOpened(dir string, needles [][]byte, open func(key, value []byte) []byte) (*Report, error) {
	return ScanKey(dir, needles, open, nil)
}

// ScanKey is ScanOpened for a store encrypted at rest with Badger's
// encryption under key (nil: not encrypted): every encrypted table and log
// is decrypted with its data key from the KEYREGISTRY (opened with key)
// and searched as Badger reads it. Without the key an encrypted file fails
// the scan, as before.
func ScanKey(dir string, needles [][]byte, open func(key, value []byte) []byte, key []byte) (*Report, error) {
	m, err := newMatcher(needles)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("rawscan: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("rawscan: %s is not a directory", dir)
	}
	s := &scanner{dir: dir, m: m, report: &Report{}, open: open}
	if err := s.readManifest(); err != nil {
		return nil, err
	}
	if len(key) > 0 {
		if err := s.openRegistry(key); err != nil {
			return nil, err
		}
		defer s.registry.Close()
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("rawscan: %s is not a regular file (%v)", path, d.Type())
		}
		return s.scanFile(path)
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(s.report.Findings, func(i, j int) bool {
		a, b := s.report.Findings[i], s.report.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Offset < b.Offset
	})
	return s.report, nil
}

type scanner struct {
	dir      string
	m        *matcher
	report   *Report
	manifest *badger.Manifest // nil when there is no MANIFEST
	scratch  []byte
	open     func(key, value []byte) []byte
	// registry holds the data keys of an encrypted store (ScanKey); nil
	// when no key was given.
	registry *badger.KeyRegistry
}

func (s *scanner) readManifest() error {
	f, err := os.Open(filepath.Join(s.dir, badger.ManifestFilename))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rawscan: %w", err)
	}
	defer f.Close()
	opt := badger.DefaultOptions(s.dir).WithLogger(nil)
	mf, _, err := badger.ReplayManifestFile(f, opt.ExternalMagicVersion, opt)
	if err != nil {
		return fmt.Errorf("rawscan: MANIFEST: %w", err)
	}
	s.manifest = &mf
	return nil
}

func (s *scanner) scanFile(path string) error {
	rel, err := filepath.Rel(s.dir, path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("rawscan: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("rawscan: %w", err)
	}
	info := File{Path: rel, Size: st.Size(), Kind: "other"}
	switch name := filepath.Base(path); {
	case strings.HasSuffix(name, ".sst"):
		info.Kind = "table"
		err = s.scanTable(f, &info)
	case strings.HasSuffix(name, ".vlog"):
		info.Kind = "value log"
		err = s.scanLog(f, &info)
	case strings.HasSuffix(name, ".mem"):
		info.Kind = "write-ahead log"
		err = s.scanLog(f, &info)
	case name == badger.ManifestFilename:
		info.Kind = "manifest"
	}
	if err != nil {
		return fmt.Errorf("rawscan: %s: %w", rel, err)
	}
	// Every file's bytes as they are, too: table indexes hold each block's
	// first key uncompressed; other files are not Badger's to decode.
	if info.Kind != "value log" && info.Kind != "write-ahead log" {
		if err := s.grepRange(f, rel, 0, info.Size, InRawBytes); err != nil {
			return fmt.Errorf("rawscan: %s: %w", rel, err)
		}
	}
	s.report.Files = append(s.report.Files, info)
	return nil
}

// grepRange searches f[start:end] raw, a chunk at a time, chunks
// overlapping by the longest needle so no match is cut in two.
func (s *scanner) grepRange(f io.ReaderAt, rel string, start, end int64, where string) error {
	const chunk = 1 << 20
	overlap := int64(s.m.maxLen - 1)
	buf := make([]byte, chunk+overlap)
	for pos := start; pos < end; pos += chunk {
		n := min(int64(len(buf)), end-pos)
		if _, err := f.ReadAt(buf[:n], pos); err != nil && !(errors.Is(err, io.EOF)) {
			return err
		}
		for _, h := range s.m.find(buf[:n], &s.scratch) {
			// A match starting in the overlap is the next chunk's.
			if int64(h.off) >= chunk {
				continue
			}
			s.add(Finding{File: rel, Where: where, Needle: h.needle, Offset: pos + int64(h.off)})
		}
	}
	return nil
}

// entry reports matches in one decoded key and value.
func (s *scanner) entry(rel, where string, offset int64, userKey []byte, version uint64, fullKey, value []byte) {
	for _, h := range s.m.find(fullKey, &s.scratch) {
		s.add(Finding{File: rel, Where: where, Needle: h.needle, Offset: offset,
			Key: clone(userKey), Version: version, InKey: true})
	}
	for _, h := range s.m.find(value, &s.scratch) {
		s.add(Finding{File: rel, Where: where, Needle: h.needle, Offset: offset,
			Key: clone(userKey), Version: version})
	}
	if s.open == nil {
		return
	}
	if p := s.open(userKey, value); p != nil {
		for _, h := range s.m.find(p, &s.scratch) {
			s.add(Finding{File: rel, Where: where + InOpened, Needle: h.needle, Offset: offset,
				Key: clone(userKey), Version: version})
		}
	}
}

func (s *scanner) add(f Finding) { s.report.Findings = append(s.report.Findings, f) }

func clone(b []byte) []byte { return append([]byte(nil), b...) }
