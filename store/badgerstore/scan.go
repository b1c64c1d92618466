package badgerstore

import (
	"fmt"

	"github.com/herken/herken/store/badgerstore/internal/rawscan"
)

// MinScanValue is the shortest value ScanDir searches for (bytes): shorter
// ones turn up by chance in sealed data and compressed blocks.
const MinScanValue = rawscan.MinNeedle

// ScanDir proves an erasure on a stopped store: it reads every file of the
// data directory dir — every table block decompressed, every value-log and
// write-ahead-log entry, every other file byte by byte — and returns one
// line per place any of values occurs in readable form (also in other
// letter case), naming the file, the entry and which value (by its
// position), never the value itself. Nothing found is an empty list. The
// error is for a directory it could not read completely.
func ScanDir(dir string, values []string) ([]string, error) { return ScanDirKey(dir, values, nil) }

// ScanDirKey is ScanDir for a store encrypted at rest under key (nil: not
// encrypted): tables and logs are decrypted as Badger reads them, so what
// the encryption hides is searched too (the proof of an erasure must not
// rest on the disk encryption).
func ScanDirKey(dir string, values []string, key []byte) ([]string, error) {
	needles := make([][]byte, len(values))
	for i, v := range values {
		if len(v) < MinScanValue {
			return nil, fmt.Errorf("value %d: at least %d bytes are needed (shorter ones match sealed bytes by chance)", i+1, MinScanValue)
		}
		needles[i] = []byte(v)
	}
	rep, err := rawscan.ScanKey(dir, needles, nil, key)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rep.Findings))
	for _, f := range rep.Findings {
		out = append(out, f.String())
	}
	return out, nil
}
