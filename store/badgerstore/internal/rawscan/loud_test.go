package rawscan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// closedDB is a closed database with one table holding hidden (Snappy,
// split so grep misses it), and the path of that table.
func closedDB(t *testing.T) (dir, sst string) {
	t.Helper()
	dir = t.TempDir()
	db := openDB(t, storeOptions(dir))
	set(t, db, "a1", "eerder: Wilhelmina van O.")
	set(t, db, "a2", "later: Oranje-Nassau.")
	set(t, db, "a3", "naam: "+hidden+".")
	closeDB(t, db)
	ssts := filesWithSuffix(t, dir, ".sst")
	if len(ssts) != 1 {
		t.Fatalf("%d tables", len(ssts))
	}
	return dir, ssts[0]
}

func requireScanError(t *testing.T, dir, want string) {
	t.Helper()
	r, err := Scan(dir, needles(hidden))
	if err == nil {
		t.Fatalf("Scan succeeded (%d findings); want an error about %q", len(r.Findings), want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("Scan error %q does not mention %q", err, want)
	}
	t.Log(err)
}

func TestScanFailsOnCorruptBlock(t *testing.T) {
	dir, sst := closedDB(t)
	b, _ := os.ReadFile(sst)
	b[10] ^= 0xff // inside the first (only) block
	os.WriteFile(sst, b, 0o644)
	requireScanError(t, dir, "000001.sst")
}

func TestScanFailsOnTruncatedTable(t *testing.T) {
	dir, sst := closedDB(t)
	st, _ := os.Stat(sst)
	os.Truncate(sst, st.Size()/2)
	requireScanError(t, dir, "000001.sst")
}

func TestScanFailsOnWrongCompression(t *testing.T) {
	// A table listed as uncompressed whose blocks are Snappy: read as
	// stored, its checksums fail; the scan must not pass it as clean.
	_, sst := closedDB(t)
	other := t.TempDir()
	db := openDB(t, storeOptions(other).WithCompression(0))
	set(t, db, "x", "y")
	closeDB(t, db)
	// Put the Snappy table under the uncompressed database's MANIFEST.
	for _, f := range filesWithSuffix(t, other, ".sst") {
		os.Remove(f)
	}
	b, _ := os.ReadFile(sst)
	os.WriteFile(filepath.Join(other, "000001.sst"), b, 0o644)
	requireScanError(t, other, "as none")
}

func TestScanReadsTablesMissingFromManifest(t *testing.T) {
	dir, sst := closedDB(t)
	if err := os.Rename(sst, filepath.Join(dir, "000777.sst")); err != nil {
		t.Fatal(err)
	}
	r := scan(t, dir, needles(hidden))
	if f, ok := r.Found(0); !ok || f.File != "000777.sst" || f.Where != InTableEntry {
		t.Fatalf("orphan table not decoded: %v", r.Err())
	}
}

func TestScanFailsOnBadTableName(t *testing.T) {
	dir, sst := closedDB(t)
	os.Rename(sst, filepath.Join(dir, "copy.sst"))
	requireScanError(t, dir, "copy.sst")
}

func TestScanFailsOnCorruptManifest(t *testing.T) {
	dir, _ := closedDB(t)
	m := filepath.Join(dir, "MANIFEST")
	b, _ := os.ReadFile(m)
	b[len(b)-1] ^= 0xff
	os.WriteFile(m, b, 0o644)
	requireScanError(t, dir, "MANIFEST")
}

func TestScanFailsOnEncryptedDatabase(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	db := openDB(t, storeOptions(dir).WithEncryptionKey(key).WithIndexCacheSize(1<<20))
	set(t, db, "a", "naam: "+hidden)
	closeDB(t, db)
	requireScanError(t, dir, "encrypted")
}

func TestScanFailsOnEncryptedLog(t *testing.T) {
	dir, _ := closedDB(t)
	var hdr [logHeaderSize]byte
	binary.BigEndian.PutUint64(hdr[:8], 3)
	os.WriteFile(filepath.Join(dir, "000009.vlog"), hdr[:], 0o644)
	requireScanError(t, dir, "encrypted")
}

func TestScanFailsOnShortLog(t *testing.T) {
	dir, _ := closedDB(t)
	os.WriteFile(filepath.Join(dir, "00009.mem"), []byte{0, 0, 0}, 0o644)
	requireScanError(t, dir, "00009.mem")
}

func TestScanFailsOnSymlink(t *testing.T) {
	dir, sst := closedDB(t)
	if err := os.Symlink(sst, filepath.Join(dir, "link")); err != nil {
		t.Skip(err)
	}
	requireScanError(t, dir, "not a regular file")
}

func TestScanReadsSubdirectoriesAndOtherFiles(t *testing.T) {
	dir, _ := closedDB(t)
	os.Mkdir(filepath.Join(dir, "backup"), 0o755)
	os.WriteFile(filepath.Join(dir, "backup", "notes.txt"), []byte("x WILHELMINA VAN ORANJE-NASSAU x"), 0o644)
	r := scan(t, dir, needles(hidden))
	found := false
	for _, f := range r.Findings {
		if f.File == filepath.Join("backup", "notes.txt") && f.Where == InRawBytes && f.Offset == 2 {
			found = true
		}
	}
	if !found {
		t.Fatalf("secret in a plain file not reported: %v", r.Err())
	}
}

// A write torn by a crash: the WAL's last entry fails its checksum, so
// Badger (and the scanner) stop there; its bytes are still on disk and are
// searched raw.
func TestScanSearchesTornLogTail(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, storeOptions(dir))
	set(t, db, "c/1", "adres: Havenweg 3 Urk")
	set(t, db, "c/2", "naam: "+hidden)
	crash := t.TempDir()
	copyDir(t, dir, crash)
	closeDB(t, db)
	mems := filesWithSuffix(t, crash, ".mem")
	if len(mems) != 1 {
		t.Fatalf("%d WAL files", len(mems))
	}
	b, _ := os.ReadFile(mems[0])
	i := bytes.Index(b, []byte(hidden))
	// Flip the CRC of the entry holding hidden (the 4 bytes after its
	// value, "naam: " + hidden).
	b[i+len(hidden)] ^= 0xff
	os.WriteFile(mems[0], b, 0o644)

	r := scan(t, crash, needles(hidden, "Havenweg 3 Urk"))
	if f, ok := r.Found(1); !ok || f.Where != InLogEntry {
		t.Errorf("entry before the tear not decoded: %v", r.Err())
	}
	f, ok := r.Found(0)
	if !ok || f.Where != InLogTail || f.Offset != int64(i) {
		t.Errorf("torn entry not searched raw (want offset %d): %v", i, r.Err())
	}
	for _, fi := range r.Files {
		if fi.Kind == "write-ahead log" && (fi.TailBytes == 0 || fi.Entries < 1) {
			t.Errorf("WAL read as %+v", fi)
		}
	}
}

// Raw bytes are read a megabyte at a time, chunks overlapping by the
// longest needle less one byte: a needle across the boundary is found
// once, and a shorter one inside the overlap is not found twice.
func TestRawSearchAcrossChunks(t *testing.T) {
	dir := t.TempDir()
	b := make([]byte, 3<<20)
	copy(b[1<<20-5:], hidden)
	copy(b[2<<20-len(hidden):], hidden)
	copy(b[2<<20+3:], "Dietz")
	os.WriteFile(filepath.Join(dir, "blob"), b, 0o644)
	r := scan(t, dir, needles(hidden, "Dietz"))
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprint(f.Needle, "@", f.Offset))
	}
	want := []string{
		fmt.Sprint(0, "@", 1<<20-5),
		fmt.Sprint(0, "@", 2<<20-len(hidden)),
		fmt.Sprint(1, "@", 2<<20+3),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v", got, want)
	}
}
