// Command fuzzcorpus writes the server's bad-input table (package badinput)
// as seeds of the server's fuzz targets, testdata/fuzz/<target>/bad_<row>,
// and removes the bad_* seeds no row makes any more. Other seeds (the
// fuzzer's own finds, committed by hand) are left alone. go generate runs
// it in server/ (the directive is in server/fuzz_test.go); a test checks
// that the committed corpus is what it writes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/herken/herken/server/internal/badinput"
)

func main() {
	dir := flag.String("dir", filepath.Join("testdata", "fuzz"), "the fuzz corpus directory")
	flag.Parse()
	if err := write(*dir, badinput.Corpus()); err != nil {
		fmt.Fprintln(os.Stderr, "fuzzcorpus:", err)
		os.Exit(1)
	}
}

// write makes dir hold corpus (paths relative to dir, '/'-separated) as
// its bad_* files, touching only files whose content changes.
func write(dir string, corpus map[string][]byte) error {
	old, err := filepath.Glob(filepath.Join(dir, "*", "bad_*"))
	if err != nil {
		return err
	}
	for _, path := range old {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if _, keep := corpus[filepath.ToSlash(rel)]; !keep {
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	for rel, b := range corpus {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		cur, err := os.ReadFile(path)
		if err == nil && bytes.Equal(cur, b) {
			continue
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
