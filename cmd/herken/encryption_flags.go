package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// encryptionFlags select Badger's encryption at rest: the key is read from
// a file outside the data directory (a copied data directory alone must
// not open). badgerstore/encryption.go says what is encrypted.
type encryptionFlags struct {
	KeyFile string
	key     []byte // read by validate
}

func (f *encryptionFlags) addFlags(e *envFlags) {
	e.String(&f.KeyFile, "encryption-key-file", "", "encrypt the store at rest with the key in this file (16, 24 or 32 bytes, raw or hex; `herken encryption-key create FILE` makes one). The file must not be readable by group or others. An existing store opens only with the key it was created or rotated with")
}

// validate reads and checks the key file. A key file that group or others
// can read is refused, not warned about: the key guards every byte of the
// store, and a warning in a log is easy to miss.
func (f *encryptionFlags) validate(store string) error {
	if f.KeyFile == "" {
		return nil
	}
	switch store {
	case "memory":
		return errors.New("--encryption-key-file does not apply to --in-memory (nothing is written to disk)")
	case "postgres":
		return errors.New("--encryption-key-file applies to the Badger store only: encrypt a PostgreSQL database's disks and backups with PostgreSQL's own means")
	}
	k, err := readKeyFile(f.KeyFile)
	if err != nil {
		return err
	}
	f.key = k
	return nil
}

// Key is the encryption key (nil: no encryption); set by validate.
func (f *encryptionFlags) Key() []byte { return f.key }

// readKeyFile reads an encryption key: 16, 24 or 32 raw bytes, or their
// hex (surrounding white space ignored). The file must be a regular file
// that only its owner can read.
func readKeyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("encryption key file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("encryption key file %s is not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("encryption key file %s is readable by group or others (mode %v): chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encryption key file: %w", err)
	}
	if t := bytes.TrimSpace(b); len(t) == 32 || len(t) == 48 || len(t) == 64 {
		if k, err := hex.DecodeString(string(t)); err == nil {
			clear(b)
			return k, nil
		}
	}
	switch len(b) {
	case 16, 24, 32:
		return b, nil
	}
	clear(b)
	return nil, fmt.Errorf("encryption key file %s holds no key: want 16, 24 or 32 bytes, raw or as hex", path)
}

// encryptionKey runs `herken encryption-key create FILE`: 32 random bytes,
// written as hex to a new file of mode 0600 (never over an existing one:
// that would lose the key of a store).
func encryptionKey(args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "create" {
		fmt.Fprintln(stderr, `Usage: herken encryption-key create FILE

Writes a new random 256-bit key, as hex, to FILE (mode 0600; FILE must not
exist). Give it to herken serve, check, scan and restore with
--encryption-key-file. Keep it outside the data directory and its backups,
and keep a copy: without it the store cannot be read.`)
		return errUsage
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	defer clear(k)
	f, err := os.OpenFile(args[1], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("encryption key file: %w", err)
	}
	_, err = fmt.Fprintln(f, hex.EncodeToString(k))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(args[1])
		return fmt.Errorf("encryption key file: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "wrote a new encryption key to %s\n", args[1])
	return err
}
