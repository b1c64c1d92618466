package shred

import (
	"encoding/binary"
	"errors"
)

// Errors. The store maps them to herken errors; none names a customer.
var (
	// ErrNotKeyFile: the file does not start with the key-file magic.
	ErrNotKeyFile = errors.New("shred: not a key file")
	// ErrCorruptHeader: the header's checksum or slot size is wrong.
	ErrCorruptHeader = errors.New("shred: key file header is corrupt")
	// ErrVersion: the key file was written by an unknown format version.
	ErrVersion = errors.New("shred: key file has an unknown version")
	// ErrExists: Create found a key file already there.
	ErrExists = errors.New("shred: key file already exists")
	// ErrDestroyed: the ref's key was destroyed, or its slot now belongs to
	// another generation. For the store: the customer was erased.
	ErrDestroyed = errors.New("shred: key destroyed")
	// ErrDamaged: the ref's slot cannot be read back from disk.
	ErrDamaged = errors.New("shred: key slot damaged")
	// ErrUnknownRef: the ref names a slot past the end of the file, or is
	// the zero Ref.
	ErrUnknownRef = errors.New("shred: unknown key slot")
	// ErrOpenFailed: a sealed value does not authenticate under the ref and
	// additional data given (tampered, truncated, or moved between records).
	ErrOpenFailed = errors.New("shred: sealed value does not authenticate")
	// ErrClosed: the Keys was closed.
	ErrClosed = errors.New("shred: key file closed")
)

// Ref names one customer's key: its slot and the generation the slot had
// when Alloc returned it. Generations are random and never 0, so the zero
// Ref names nothing and a Ref outlives the reuse of its slot harmlessly.
type Ref struct {
	Slot uint32
	Gen  uint64
}

// RefSize is the length of an encoded Ref.
const RefSize = 12

// IsZero reports whether r is the zero Ref.
func (r Ref) IsZero() bool { return r.Gen == 0 }

// AppendBinary appends r's 12-byte encoding (slot, generation; big-endian)
// to b, for the store to keep in its records.
func (r Ref) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint32(b, r.Slot)
	return binary.BigEndian.AppendUint64(b, r.Gen), nil
}

// ParseRef decodes what AppendBinary wrote.
func ParseRef(b []byte) (Ref, error) {
	if len(b) != RefSize {
		return Ref{}, ErrUnknownRef
	}
	r := Ref{Slot: binary.BigEndian.Uint32(b), Gen: binary.BigEndian.Uint64(b[4:])}
	if r.IsZero() {
		return Ref{}, ErrUnknownRef
	}
	return r, nil
}
