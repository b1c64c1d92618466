package shred

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// The key file is a 64-byte header followed by 64-byte slots:
//
//	header: magic[8] "herkKEYS" | version u32 | slot size u32 |
//	        index key[32] | crc32c(bytes 0..48) u32 | zero[12]
//	slot i at offset HeaderSize + i*SlotSize:
//	        generation u64 | data key[32] | crc32c(bytes 0..40) seeded with i, u32 | zero[20]
//
// Integers are little-endian. A slot of 64 zero bytes was never used; a
// slot with a valid checksum and a zero key was destroyed (its generation
// stays, so a replayed Destroy recognises it); a valid checksum and a
// non-zero key is live; anything else is damaged (a torn write, or rot).
// The slot index is in the checksum so a slot copied to another position
// does not read as valid there.
const (
	HeaderSize = 64
	SlotSize   = 64
	KeySize    = 32
	version    = 1
	magic      = "herkKEYS"
	// offsets inside the header
	hdrVersion  = 8
	hdrSlotSize = 12
	hdrIndexKey = 16
	hdrCRC      = hdrIndexKey + KeySize
	// offsets inside a slot
	slotGen = 0
	slotKey = 8
	slotCRC = slotKey + KeySize
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// slotOffset is where slot i starts in the file.
func slotOffset(i uint32) int64 { return HeaderSize + int64(i)*SlotSize }

func encodeHeader(indexKey *[KeySize]byte) []byte {
	b := make([]byte, HeaderSize)
	copy(b, magic)
	binary.LittleEndian.PutUint32(b[hdrVersion:], version)
	binary.LittleEndian.PutUint32(b[hdrSlotSize:], SlotSize)
	copy(b[hdrIndexKey:], indexKey[:])
	binary.LittleEndian.PutUint32(b[hdrCRC:], crc32.Checksum(b[:hdrCRC], castagnoli))
	return b
}

// decodeHeader checks a header and returns its index key.
func decodeHeader(b []byte) ([KeySize]byte, error) {
	var k [KeySize]byte
	switch {
	case len(b) < HeaderSize || string(b[:len(magic)]) != magic:
		return k, ErrNotKeyFile
	case binary.LittleEndian.Uint32(b[hdrCRC:]) != crc32.Checksum(b[:hdrCRC], castagnoli):
		return k, ErrCorruptHeader
	case binary.LittleEndian.Uint32(b[hdrVersion:]) != version:
		return k, ErrVersion
	case binary.LittleEndian.Uint32(b[hdrSlotSize:]) != SlotSize:
		return k, ErrCorruptHeader
	}
	copy(k[:], b[hdrIndexKey:])
	return k, nil
}

// encodeSlot fills b (SlotSize bytes) with slot i holding key under gen; a
// nil key writes a destroyed slot.
func encodeSlot(b []byte, i uint32, gen uint64, key *[KeySize]byte) {
	clear(b[:SlotSize])
	binary.LittleEndian.PutUint64(b[slotGen:], gen)
	if key != nil {
		copy(b[slotKey:], key[:])
	}
	binary.LittleEndian.PutUint32(b[slotCRC:], slotChecksum(i, b))
}

// slotChecksum is the CRC-32C of the slot's first 40 bytes, started from
// the slot's index instead of 0: a CRC is an invertible function of its
// starting value, so the same bytes at another index check differently.
func slotChecksum(i uint32, b []byte) uint32 {
	return crc32.Update(i, castagnoli, b[:slotCRC])
}

// slotState is what a slot is on disk and in memory.
type slotState uint8

const (
	// stateFree: never used or destroyed; Alloc may reuse it.
	stateFree slotState = iota
	// stateLive: holds a key.
	stateLive
	// stateDamaged: unreadable on disk; holds no usable key, is not reused
	// until Destroy or Reclaim has zeroed it.
	stateDamaged
	// stateShredding: Destroy took the key out of memory and is writing the
	// zeros; readers see it destroyed, Alloc does not reuse it yet.
	stateShredding
)

// decodeSlot classifies slot i's bytes; key is set only for a live slot.
func decodeSlot(b []byte, i uint32, key *[KeySize]byte) (gen uint64, st slotState) {
	if len(b) < SlotSize {
		return 0, stateDamaged
	}
	b = b[:SlotSize]
	var zero [SlotSize]byte
	if bytes.Equal(b, zero[:]) {
		return 0, stateFree
	}
	if binary.LittleEndian.Uint32(b[slotCRC:]) != slotChecksum(i, b) || !bytes.Equal(b[slotCRC+4:], zero[slotCRC+4:]) {
		return 0, stateDamaged
	}
	gen = binary.LittleEndian.Uint64(b[slotGen:])
	if bytes.Equal(b[slotKey:slotCRC], zero[:KeySize]) {
		return gen, stateFree
	}
	copy(key[:], b[slotKey:slotCRC])
	return gen, stateLive
}
