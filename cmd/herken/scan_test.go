package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runScan(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"scan"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestScanCommand: the store seals personal data, so a customer's values
// are nowhere readable; a file that holds one in the clear is reported,
// without quoting it.
func TestScanCommand(t *testing.T) {
	dir := newStoreDir(t, nil)
	code, out, errOut := runScan("--data-dir", dir, "+31612345678", "jan@example.nl")
	if code != 0 || !strings.Contains(out, "none of 2 values found") {
		t.Fatalf("sealed store: exit %d\n%s%s", code, out, errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("bel JAN@EXAMPLE.NL terug"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runScan("--data-dir", dir, "+31612345678", "jan@example.nl")
	if code != 1 || !strings.Contains(out, "notes.txt: needle 1 in raw bytes") || strings.Contains(out+errOut, "example.nl") {
		t.Fatalf("a readable copy: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runScan("--data-dir", dir); code != 2 {
		t.Fatalf("no values: exit %d %s", code, errOut)
	}
	if code, _, errOut := runScan("--data-dir", dir, "Jan"); code != 1 || !strings.Contains(errOut, "at least 4 bytes") {
		t.Fatalf("a value too short: exit %d %s", code, errOut)
	}
}
