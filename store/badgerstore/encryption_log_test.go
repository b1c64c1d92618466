package badgerstore

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/herken/herken"
	"github.com/herken/herken/store/storetest"
)

// TestScanEncryptedValueLog: values in an encrypted value log are
// decrypted by the scan too (the other test reads tables only).
func TestScanEncryptedValueLog(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, EncryptionKey: key, valueThreshold: 64, valueLogFileSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.NewCustomer("Lange Waarde", storetest.Phone("+31612345678"))
	c.Tags = []string{"waarde-in-het-log"}
	c.HandoverNote = strings.Repeat("x", 500)
	if _, err := s.CreateCustomer(context.Background(), c, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	found, err := ScanDirKey(dir, []string{"c/" + c.ID}, key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(found, "\n"), "log entry") {
		t.Fatalf("nothing found in a log entry: %v", found)
	}
}
