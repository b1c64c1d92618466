package rawscan

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
)

// storeOptions are the Badger options store/badgerstore's Open uses on
// disk (badger.DefaultOptions: Snappy blocks, ZSTD level 1 when ZSTD is
// chosen, 4 KiB blocks, 1 MiB value threshold; two 32 MiB memtables),
// except ValueLogFileSize: a value log is preallocated to twice that size
// while open, and copies of open databases must stay small.
func storeOptions(dir string) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(nil).
		WithMetricsEnabled(false).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(8 << 20).
		WithMemTableSize(32 << 20).
		WithNumMemtables(2).
		WithValueLogFileSize(1 << 20)
}

func openDB(t *testing.T, opts badger.Options) *badger.DB {
	t.Helper()
	db, err := badger.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func set(t *testing.T, db *badger.DB, key, value string) {
	t.Helper()
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(key), []byte(value)) }); err != nil {
		t.Fatal(err)
	}
}

func del(t *testing.T, db *badger.DB, key string) {
	t.Helper()
	if err := db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(key)) }); err != nil {
		t.Fatal(err)
	}
}

func closeDB(t *testing.T, db *badger.DB) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies every file of src to dst as it is now: with a database
// open in src, what a crash at this moment would leave on disk (minus what
// only the page cache holds, which a copy reads too).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
}

// filesWithSuffix lists dir's files ending in suffix.
func filesWithSuffix(t *testing.T, dir, suffix string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), suffix) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// grepDir is the naive check the issue warns about: bytes.Contains on
// every file, in the case given and folded to lower case.
func grepDir(t *testing.T, dir string, needle string) []string {
	t.Helper()
	var hits []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(needle)) || bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(needle))) {
			hits = append(hits, e.Name())
		}
	}
	return hits
}

func needles(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

func scan(t *testing.T, dir string, n [][]byte) *Report {
	t.Helper()
	r, err := Scan(dir, n)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
