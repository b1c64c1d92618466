package rawscan

import (
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4/options"
)

// These tests show why the scanner decodes tables: in each, the secret is
// in the database but bytes.Contains on the files (in any case) misses it,
// and Scan finds it in a decoded table entry.

const hidden = "Wilhelmina van Oranje-Nassau"

func requireHiddenFromGrep(t *testing.T, dir string, key string) {
	t.Helper()
	if hits := grepDir(t, dir, hidden); len(hits) != 0 {
		t.Fatalf("test setup: bytes.Contains finds the secret in %v; it should need decoding", hits)
	}
	r := scan(t, dir, needles(hidden))
	f, ok := r.Found(0)
	if !ok || f.Where != InTableEntry || string(f.Key) != key {
		t.Fatalf("Scan did not find the secret in table entry %q: %v", key, r.Err())
	}
	for _, f := range r.Findings {
		if f.Where == InRawBytes {
			t.Errorf("raw finding %v, though grep found nothing", f)
		}
	}
}

// Snappy, the store's compression (badger.DefaultOptions): a string whose
// pieces occurred earlier in the block is stored as back-references, so
// its bytes are nowhere in the file.
func TestSnappyBlockHidesValueFromGrep(t *testing.T) {
	dir := t.TempDir()
	opts := storeOptions(dir)
	if opts.Compression != options.Snappy {
		t.Fatalf("store compression is %v; this test is about Snappy", opts.Compression)
	}
	db := openDB(t, opts)
	set(t, db, "a1", "eerder: Wilhelmina van O.")
	set(t, db, "a2", "later: Oranje-Nassau.")
	set(t, db, "a3", "naam: "+hidden+".")
	closeDB(t, db)
	requireHiddenFromGrep(t, dir, "a3")
}

// ZSTD (the store's alternative, level 1): literals are entropy coded, so
// even a string that occurs once is not in the file as such.
func TestZSTDBlockHidesValueFromGrep(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, storeOptions(dir).WithCompression(options.ZSTD))
	filler := strings.Repeat("de klant belde over de levering van het pakket en vroeg om een nieuwe datum. ", 20)
	set(t, db, "a1", filler)
	set(t, db, "a2", "naam: "+hidden+". "+filler[:200])
	set(t, db, "a3", filler)
	closeDB(t, db)
	requireHiddenFromGrep(t, dir, "a2")
}

// Even without compression, a table stores each key as what follows the
// part it shares with its block's first key: an identifier close to the
// block's first one is never whole in the file.
func TestKeyPrefixEncodingHidesKeyFromGrep(t *testing.T) {
	const phone = "+31612345678"
	dir := t.TempDir()
	db := openDB(t, storeOptions(dir).WithCompression(options.None))
	set(t, db, "i/p:+31612345600", "c/1") // the block's first key
	set(t, db, "i/p:"+phone, "c/2")       // stored as "78" after the shared part
	closeDB(t, db)
	if hits := grepDir(t, dir, phone); len(hits) != 0 {
		t.Fatalf("test setup: the whole number is in %v", hits)
	}
	r := scan(t, dir, needles(phone))
	f, ok := r.Found(0)
	if !ok || f.Where != InTableEntry || !f.InKey || string(f.Key) != "i/p:"+phone {
		t.Fatalf("Scan did not find the key: %v", r.Err())
	}
}
