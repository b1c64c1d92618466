package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The helpers below are `herken keys create|list|revoke`. They edit the
// file the server polls, so each change is one the poller can never see
// half done: create appends one whole line with a single O_APPEND write,
// revoke replaces the file by renaming a complete new one over it.

// Create generates a key for name with scopes, appends its hash to the
// keys file at path (created with mode 0600 if missing) and returns the
// key, which exists nowhere else: the caller prints it once.
// With cert, it appends a certificate entry instead and returns "".
func Create(path, name string, scopes []Scope, cert bool) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	if len(scopes) == 0 {
		return "", errors.New("at least one scope is needed")
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	entries, err := Parse(data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	for _, e := range entries {
		if e.Name == name {
			return "", fmt.Errorf("%s already has a key named %q (revoke it first)", path, name)
		}
	}
	e := Entry{Name: name, Scopes: scopes, Certificate: cert}
	key := ""
	if !cert {
		key = NewKey()
		e.Hash = HashKey(key)
	}
	line := e.line() + "\n"
	if len(data) > 0 && data[len(data)-1] != '\n' {
		line = "\n" + line // the last line had no newline; do not join it
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	return key, f.Close()
}

// List returns the entries of the keys file at path.
func List(path string) ([]Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	entries, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// Revoke removes the entry named name from the keys file at path, keeping
// every other line (comments included), by writing a new file beside it
// and renaming it over the old one. The file's mode is kept.
func Revoke(path, name string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if _, err := Parse(data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	var out strings.Builder
	found := false
	for line := range strings.SplitAfterSeq(string(data), "\n") {
		text, _, _ := strings.Cut(line, "#")
		if f := strings.Fields(text); len(f) > 0 && f[0] == name {
			found = true
			continue
		}
		out.WriteString(line)
	}
	if !found {
		return fmt.Errorf("%s has no key named %q", path, name)
	}
	return replaceFile(path, []byte(out.String()), st.Mode().Perm())
}

// replaceFile atomically replaces path with data.
func replaceFile(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
