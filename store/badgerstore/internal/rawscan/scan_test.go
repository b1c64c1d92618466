package rawscan

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
)

// The places a value can survive in a Badger directory, each with its own
// secret; a copy taken while the database is open stands for a crash.
const (
	secretValue   = "Wilhelmina Oranje-Nassau" // a value in a table
	secretKey     = "+31612345678"             // a key in a table
	secretOld     = "Kerkstraat 12 Utrecht"    // an overwritten version
	secretDeleted = "verwijderd@example.nl"    // a deleted key's last value
	secretVlog    = "Grote Waarde Laan 99"     // a value above ValueThreshold
	secretMem     = "Geheugenweg 7 Zwolle"     // in the unflushed memtable's WAL
)

var allSecrets = needles(secretValue, secretKey, secretOld, secretDeleted, secretVlog, secretMem)

// fill writes either the secrets or harmless stand-ins of the same shape,
// returning the crash copy of the directory.
func fill(t *testing.T, secrets bool) string {
	pick := func(secret, other string) string {
		if secrets {
			return secret
		}
		return other
	}
	dir := t.TempDir()
	opts := storeOptions(dir).WithValueThreshold(1 << 10)
	db := openDB(t, opts)
	set(t, db, "c/1", "naam: "+pick(secretValue, "Anna Jansen"))
	set(t, db, "i/p:"+pick(secretKey, "+31201234567"), "c/1")
	set(t, db, "c/2", "adres: "+pick(secretOld, "Dorpsstraat 1 Ede"))
	set(t, db, "c/2", "adres: (verhuisd)")
	set(t, db, "c/3", "email: "+pick(secretDeleted, "anna@example.nl"))
	del(t, db, "c/3")
	if err := db.View(func(txn *badger.Txn) error { _, err := txn.Get([]byte("c/3")); return err }); !errors.Is(err, badger.ErrKeyNotFound) {
		t.Fatalf("c/3 after Delete: %v", err)
	}
	big := strings.Repeat("notitie ", 200) + pick(secretVlog, "Kleine Laan 1") + strings.Repeat(" einde", 100)
	set(t, db, "c/4", big)
	closeDB(t, db) // the memtable goes to a level-0 table; its WAL is deleted

	db = openDB(t, opts)
	set(t, db, "c/5", "adres: "+pick(secretMem, "Havenweg 3 Urk"))
	if err := db.Sync(); err != nil {
		t.Fatal(err)
	}
	crash := t.TempDir()
	copyDir(t, dir, crash)
	closeDB(t, db)
	return crash
}

func TestScanFindsEveryPlace(t *testing.T) {
	dir := fill(t, true)
	r := scan(t, dir, allSecrets)
	t.Logf("%d files, findings:\n%v", len(r.Files), r.Err())

	want := []struct {
		needle int
		where  string
		ext    string
		key    string
		inKey  bool
	}{
		{0, InTableEntry, ".sst", "c/1", false},
		{1, InTableEntry, ".sst", "i/p:" + secretKey, true},
		{2, InTableEntry, ".sst", "c/2", false},
		{3, InTableEntry, ".sst", "c/3", false},
		{4, InLogEntry, ".vlog", "c/4", false},
		{5, InLogEntry, ".mem", "c/5", false},
	}
	for _, w := range want {
		found := false
		for _, f := range r.Findings {
			if f.Needle == w.needle && f.Where == w.where && filepath.Ext(f.File) == w.ext &&
				string(f.Key) == w.key && f.InKey == w.inKey && f.Version > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("needle %d (%q) not found as %s in a %s file under key %q", w.needle, allSecrets[w.needle], w.where, w.ext, w.key)
		}
	}

	// The overwritten value is an older version: the overwrite's is higher.
	old, _ := r.Found(2)
	newer, ok := scan(t, dir, needles("adres: (verhuisd)")).Found(0)
	if !ok || !bytes.Equal(old.Key, newer.Key) || old.Version >= newer.Version {
		t.Errorf("overwritten value at %q@%d, overwrite at %q@%d", old.Key, old.Version, newer.Key, newer.Version)
	}
}

func TestScanFindsNothingInACleanDirectory(t *testing.T) {
	dir := fill(t, false)
	r := scan(t, dir, allSecrets)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	entries, files := map[string]int{}, map[string]int{}
	for _, f := range r.Files {
		entries[f.Kind] += f.Entries
		files[f.Kind]++
		if f.TailBytes != 0 {
			t.Errorf("%s: %d bytes after the last entry", f.Path, f.TailBytes)
		}
	}
	// The scan must have read entries of every kind, or "nothing found"
	// means nothing read.
	for _, k := range []string{"table", "value log", "write-ahead log"} {
		if entries[k] == 0 {
			t.Errorf("scan read no %s entries: %+v", k, r.Files)
		}
	}
	if files["manifest"] != 1 || files["other"] == 0 {
		t.Errorf("files read: %v", files)
	}
}

func TestScanCaseVariants(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, storeOptions(dir))
	set(t, db, "c/1", "naam: JAN DE VRIES; achternaam: YILMAZ; stad: öztürkköy")
	closeDB(t, db)
	r := scan(t, dir, needles("Jan de Vries", "yılmaz", "ÖZTÜRKKÖY", "Piet Puk"))
	for i := range 3 {
		if _, ok := r.Found(i); !ok {
			t.Errorf("needle %d not found in another letter case", i)
		}
	}
	if _, ok := r.Found(3); ok {
		t.Error("found a needle that was never written")
	}
}

func TestNeedleRules(t *testing.T) {
	dir := t.TempDir()
	if _, err := Scan(dir, nil); err == nil {
		t.Error("Scan with no needles succeeded")
	}
	if _, err := Scan(dir, needles("abcd", "abc")); err == nil {
		t.Error("Scan accepted a needle shorter than MinNeedle")
	}
	if _, err := Scan(filepath.Join(dir, "missing"), needles("abcd")); err == nil {
		t.Error("Scan of a missing directory succeeded")
	}
}

func TestMatcher(t *testing.T) {
	m, err := newMatcher(needles("Jan de Vries", "Öztürk"))
	if err != nil {
		t.Fatal(err)
	}
	var scratch []byte
	hay := []byte("xx jan DE vries xx ÖZTÜRK xx öztürk xx Öztürk xx Jan de Vrie")
	got := m.find(hay, &scratch)
	want := []hit{{0, 3}, {1, 19}, {1, 31}, {1, 43}}
	if len(got) != len(want) {
		t.Fatalf("hits %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("hits %v, want %v", got, want)
		}
	}
}
