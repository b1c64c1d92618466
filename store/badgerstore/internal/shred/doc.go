// Package shred holds the crypto-shredding primitives of the Badger store:
// a key file of fixed-size slots, one per customer, each holding that
// customer's 32-byte data key; AES-256-GCM sealing of personal values under
// it; and keyed hashes for index keys. Erasing a customer destroys its slot
// in place, after which every copy of its sealed values, wherever Badger
// left them (old versions, value log, write-ahead log, tables not yet
// compacted, backups taken after the key file was shredded), is noise.
//
// It imports the standard library only and knows nothing of Badger: the
// store records which customer owns which slot (a Ref) in its own
// transactions, and must call this package in the orders below.
//
// # Creating a customer (crash safety)
//
//  1. ref, err := keys.Alloc()   // the key is written and fsynced
//  2. sealed := keys.Seal(..., ref, ...) for every personal value
//  3. commit the Badger transaction that stores ref and the sealed values
//
// Alloc returns only once the key is durable, so nothing sealed with it can
// be committed before its key. AllocN does the same for a batch of new
// customers with one fsync (a bulk load, a migration, or keys allocated
// ahead for the next creates): each of its keys follows the same order. A crash after 1 and before 3 leaves an
// orphan key no record refers to: harmless (it seals nothing that exists),
// and Reclaim destroys it at the next open. If the commit fails for any
// other reason, call Destroy(ref) (or leave it to Reclaim).
//
// # Erasing a customer
//
//  1. commit the Badger transaction that deletes the customer's records and
//     writes its erasure tombstone, keeping ref (slot and generation: no
//     personal data) in that tombstone or in a "destroy pending" record
//  2. keys.Destroy(ref)            // zeros written in place and fsynced
//  3. (optional) commit the removal of the "destroy pending" record
//  4. only now answer the RPC
//
// Destroying first would lose a live customer's data if the commit then
// failed. A crash between 1 and 2 leaves the key on disk: at open, the
// store must call Destroy for every pending ref before it serves (Destroy
// is idempotent). Refs carry a random generation, so replaying Destroy for
// a ref whose slot was since freed and given to another customer is a
// no-op, never the destruction of the new owner's key.
//
// # At open
//
// Open(path) (or Create for a new data directory, never for an existing
// one: a new index key would orphan every index entry, and new keys would
// make every sealed value unreadable; OpenMemory for a store that lives in
// memory only, which writes nothing anywhere). Then replay pending Destroys, then
// Reclaim(inUse) with the store's slot -> generation map to destroy orphans
// from crashed Allocs, and report Damaged slots.
//
// # What in-place destruction guarantees
//
// Destroy overwrites the slot's 32 key bytes with zeros in the same file
// (WriteAt at the slot's offset, then fsync), never by writing a new file
// and renaming it: a rename would leave the old file's blocks, with every
// key in it, in the filesystem's free space, readable by anyone who images
// the device. On an update-in-place filesystem (ext4 in its default
// data=ordered mode, XFS without reflinked copies) the overwrite goes to
// the same disk block, so after Destroy returns no file and no free block
// holds the key. Slots are 64 bytes and 64-byte aligned, so one slot never
// spans two 512-byte sectors and a torn write damages at most the slot
// being written.
//
// It does not guarantee more than the device honours:
//   - copy-on-write filesystems (Btrfs, ZFS, APFS, bcachefs, and XFS or
//     ext4 files shared by reflink) write the new bytes to a new block and
//     free the old one unerased; filesystem snapshots keep it for good;
//   - ext4 with data=journal puts a copy of the old block in the journal;
//   - SSDs and other flash remap writes in their translation layer: the old
//     page holds the key until the drive erases it, which nothing here can
//     force (TRIM is a hint);
//   - backups and copies of the key file taken before Destroy hold the key,
//     and with it every value sealed under it — the erasure journal exists
//     so a restore re-destroys those keys;
//   - process memory: the in-memory copy is zeroed on Destroy, but the Go
//     runtime may have copied it (the AES key schedule inside a cached
//     cipher.AEAD cannot be wiped) and swap may hold pages of it.
//
// Where device-level remnants matter, put the data directory on an
// encrypted volume (LUKS, FileVault, BitLocker): then the remnants are as
// unreadable as the shredded values.
//
// # Index keys
//
// IndexHash replaces readable identifiers and name prefixes in Badger keys
// by an HMAC under a store-wide key kept in the key file's header. That is
// pseudonymisation, not anonymisation: whoever holds both the key file and
// an old version of an index key (until compaction drops it) can test
// guesses — phone numbers are few enough to test them all. It keeps the
// data directory free of readable personal data, not of confirmable data.
package shred
