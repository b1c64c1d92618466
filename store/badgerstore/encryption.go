package badgerstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Encryption at rest is Badger's own (Options.EncryptionKey): Badger
// encrypts every table block, value-log and write-ahead-log entry with AES
// in CTR mode under a data key, and keeps its data keys in the file
// KEYREGISTRY, encrypted under the key herken is given (the "master" key,
// from --encryption-key-file). A new data key is made every
// DataKeyRotation; old ones stay in the registry while files use them.
// Rotating the master key (RotateEncryptionKey) rewrites only the
// registry: the data keys, and so the data files, stay as they are.
//
// What it covers and what not: the Badger files of a stolen disk or a
// copied data directory are unreadable without the master key, which
// lives outside the data directory. The key file of crypto-shredding
// ("keys", shred) is not Badger's and is not encrypted by it; it holds
// only data keys of sealed values, which themselves sit in the encrypted
// Badger files. A backup (backup.go) is NOT encrypted with the master key:
// it holds the shred key file and the store's values in the clear, so it
// must be kept as carefully as the key file (an encrypted volume or
// bucket).

// DataKeyRotation is how often Badger starts a new data key: Badger's
// default (10 days). Data keys are not secrets anyone handles; rotating
// them bounds how much data one key encrypts, and costs nothing to keep.
const DataKeyRotation = 10 * 24 * time.Hour

// ErrEncryptionKey is a store opened with the wrong encryption key,
// without one when it is encrypted, or with one when it is not. Nothing
// was changed in the data directory.
var ErrEncryptionKey = errors.New("badgerstore: encryption key does not match the store")

// validEncryptionKey checks an AES key length, as Badger will.
func validEncryptionKey(key []byte) error {
	switch len(key) {
	case 16, 24, 32:
		return nil
	}
	return fmt.Errorf("badgerstore: an encryption key is 16, 24 or 32 bytes, not %d", len(key))
}

// withEncryption turns on Badger's encryption at rest under key (nil:
// none), the key checked as Badger will. Badger requires an index cache
// with encryption (the decrypted table indexes live there): every caller
// sets one.
func withEncryption(o badger.Options, key []byte) (badger.Options, error) {
	if len(key) == 0 {
		return o, nil
	}
	if err := validEncryptionKey(key); err != nil {
		return o, err
	}
	return o.WithEncryptionKey(key).WithEncryptionKeyRotationDuration(DataKeyRotation), nil
}

// keyMismatch reports Badger's refusal of the encryption key (wrapped, or
// only in the text of an error Badger builds with errors.Wrap).
func keyMismatch(err error) bool {
	return errors.Is(err, badger.ErrEncryptionKeyMismatch) || strings.Contains(err.Error(), badger.ErrEncryptionKeyMismatch.Error())
}

// openError says why Badger refused to open dir; a key mismatch becomes
// ErrEncryptionKey with a message saying which of the three cases it is.
// Badger checks the key against its registry before it reads or writes
// any data file, so the refused open leaves the directory as it was.
func openError(dir string, withKey bool, err error) error {
	if !keyMismatch(err) {
		return fmt.Errorf("badgerstore: open: %w", err)
	}
	switch encrypted := storeEncrypted(dir); {
	case !withKey:
		return fmt.Errorf("%w: the store in %s is encrypted; give its key (--encryption-key-file)", ErrEncryptionKey, dir)
	case encrypted:
		return fmt.Errorf("%w: the store in %s is encrypted with another key", ErrEncryptionKey, dir)
	default:
		return fmt.Errorf("%w: the store in %s is not encrypted, but an encryption key was given (it cannot be encrypted in place: back it up and restore it with the key)", ErrEncryptionKey, dir)
	}
}

// storeEncrypted reports whether dir's key registry is encrypted: it reads
// as valid without a key only when it is not.
func storeEncrypted(dir string) bool {
	kr, err := badger.OpenKeyRegistry(badger.KeyRegistryOptions{Dir: dir, ReadOnly: true})
	if err != nil {
		return true
	}
	kr.Close()
	return false
}

// RotateEncryptionKey re-encrypts the key registry of the stopped store in
// dir from oldKey to newKey (nil: no encryption, either way), as Badger's
// own "badger rotate" does. Only KEYREGISTRY is rewritten (to a temporary
// file, then renamed by Badger), so an interrupted rotation leaves the
// store readable with the old key. It fails with ErrEncryptionKey when
// oldKey is not the store's key, and while a server has the store open
// (the directory lock).
func RotateEncryptionKey(dir string, oldKey, newKey []byte) error {
	for _, k := range [][]byte{oldKey, newKey} {
		if len(k) > 0 {
			if err := validEncryptionKey(k); err != nil {
				return err
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, badger.KeyRegistryFileName)); err != nil {
		return fmt.Errorf("badgerstore: no store in %s: %w", dir, err)
	}
	// Take the directory lock as a writer would, so a running server (or
	// a second rotation) makes this fail instead of racing it.
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer lock.release()
	opt := badger.KeyRegistryOptions{Dir: dir, ReadOnly: true, EncryptionKey: oldKey,
		EncryptionKeyRotationDuration: DataKeyRotation}
	kr, err := badger.OpenKeyRegistry(opt)
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		return fmt.Errorf("%w: the old key is not the key of the store in %s", ErrEncryptionKey, dir)
	}
	if err != nil {
		return fmt.Errorf("badgerstore: key registry: %w", err)
	}
	defer kr.Close()
	opt.EncryptionKey = newKey
	if err := badger.WriteKeyRegistry(kr, opt); err != nil {
		return fmt.Errorf("badgerstore: writing the key registry: %w", err)
	}
	return nil
}

// openReadOnly opens dir's Badger read-only (herken check, the erasure
// journal of an old store at restore): it takes a shared directory lock,
// so it fails while a server runs on dir.
func openReadOnly(dir string, key []byte) (*badger.DB, error) {
	o, err := withEncryption(badger.DefaultOptions(dir).
		WithReadOnly(true).
		WithLogger(nil).
		WithMetricsEnabled(false).
		WithBlockCacheSize(64<<20).
		WithIndexCacheSize(32<<20), key)
	if err != nil {
		return nil, err
	}
	db, err := badger.Open(o)
	if err != nil && keyMismatch(err) {
		return nil, openError(dir, len(key) > 0, err)
	}
	return db, err
}
