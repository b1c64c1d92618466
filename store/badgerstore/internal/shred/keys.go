package shred

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// FileName is the key file's name in the data directory.
const FileName = "keys"

// DefaultCacheSize is how many ready AES-GCM instances Keys keeps by
// default: an instance costs about a kilobyte (key schedule and GHASH
// tables), a key 32 bytes, so keys are all in memory and instances only for
// the customers being served now.
const DefaultCacheSize = 4096

// Options tunes a Keys.
type Options struct {
	// CacheSize is the number of cached AES-GCM instances, rounded up to a
	// power of two; 0 means DefaultCacheSize.
	CacheSize int
	// ReadOnly opens the file for reading only (herken check on a stopped
	// store, possibly on a read-only filesystem): Alloc, Destroy and Reclaim
	// then fail.
	ReadOnly bool
}

// Keys is an open key file. It is safe for concurrent use: Seal, Open and
// IndexHash run in parallel; Alloc, Destroy and Reclaim take turns (one
// writer at a time) and hold the readers off only while they publish their
// change in memory, never during the fsync.
type Keys struct {
	// wmu serialises writers (Alloc, Destroy, Reclaim, Close).
	wmu sync.Mutex
	// mu guards chunks, n, free and closed; readers take it shared.
	mu     sync.RWMutex
	f      file // the key file, or memFile for OpenMemory
	chunks []*[chunkSlots]slot
	n      uint32   // slots in the file
	free   []uint32 // zeroed slots Alloc may reuse, used from the end
	closed bool
	// broken is the first write or fsync error: after a failed fsync the
	// file's state on disk is unknown (the kernel may have dropped the dirty
	// pages), so every later write fails with it until the file is reopened.
	broken error

	cache []atomic.Pointer[aeadEntry] // direct-mapped by slot
	mask  uint32

	hmacs *sync.Pool // of *indexHasher keyed with the index key; nil once closed
}

// file is what Keys writes through: an *os.File, or memFile.
type file interface {
	WriteAt(b []byte, off int64) (int, error)
	Sync() error
	Close() error
}

// memFile is the file of an in-memory Keys: it keeps nothing, so the keys
// live in memory only, and die with the process or at Close.
type memFile struct{}

func (memFile) WriteAt(b []byte, _ int64) (int, error) { return len(b), nil }
func (memFile) Sync() error                            { return nil }
func (memFile) Close() error                           { return nil }

// chunkSlots is how many slots one chunk of memory holds; growing the file
// adds chunks, it never copies (and so never leaves copies of) keys.
const chunkSlots = 4096

type slot struct {
	gen   uint64
	key   [KeySize]byte
	state slotState
	// loaded: the slot was live or damaged when the file was opened, so
	// Reclaim may judge it (slots allocated since are the caller's to
	// commit or destroy).
	loaded bool
}

// Create makes a new key file at path with a fresh random index key and no
// slots, and opens it. It fails with ErrExists if a file is there: a new
// index key would orphan every index entry of an existing store. The file
// appears whole or not at all (written aside, fsynced, renamed, directory
// fsynced).
func Create(path string, opts Options) (*Keys, error) {
	var indexKey [KeySize]byte
	randomKey(&indexKey)
	hdr := encodeHeader(&indexKey)
	clear(indexKey[:])
	if err := writeNew(path, hdr); err != nil {
		if errors.Is(err, ErrExists) {
			return nil, err
		}
		return nil, fmt.Errorf("shred: create: %w", err)
	}
	return Open(path, opts)
}

// writeNew writes b to path, where no file may be (ErrExists), so that it
// appears whole or not at all: written aside, fsynced, renamed, directory
// fsynced.
func writeNew(path string, b []byte) error {
	if _, err := os.Lstat(path); err == nil {
		return ErrExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp := path + ".tmp"
	if err := writeSynced(tmp, b); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open opens the key file at path and loads every key into memory. A
// trailing partial slot (a torn append) and slots whose checksum fails are
// Damaged: Alloc does not hand them out, Destroy and Reclaim zero them.
// Open writes nothing.
func Open(path string, opts Options) (*Keys, error) {
	flag := os.O_RDWR
	if opts.ReadOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, fmt.Errorf("shred: open: %w", err)
	}
	k, err := load(f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return k, nil
}

// OpenMemory makes a Keys that has no file: a fresh random index key and no
// slots, everything in memory only (an in-memory store, tests). It behaves
// like a file-backed Keys in every other way: Alloc, Destroy and Reclaim
// change slots the same way, they just write nothing.
func OpenMemory(opts Options) *Keys {
	var indexKey [KeySize]byte
	randomKey(&indexKey)
	k := &Keys{f: memFile{}}
	k.initCache(opts.CacheSize)
	k.initHMAC(&indexKey)
	clear(indexKey[:])
	return k
}

// initHMAC sets the pool of index hashers keyed with indexKey (copied).
func (k *Keys) initHMAC(indexKey *[KeySize]byte) {
	key := *indexKey
	k.hmacs = &sync.Pool{New: func() any {
		return &indexHasher{h: hmac.New(sha256.New, key[:]), buf: make([]byte, 0, 128)}
	}}
}

func load(f *os.File, opts Options) (*Keys, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("shred: open: %w", err)
	}
	r := bufio.NewReaderSize(f, 64<<10)
	hdr := make([]byte, HeaderSize)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, ErrNotKeyFile
	}
	indexKey, err := decodeHeader(hdr)
	if err != nil {
		return nil, err
	}
	body := st.Size() - HeaderSize
	if body/SlotSize+1 > 1<<32-1 {
		return nil, ErrCorruptHeader
	}
	k := &Keys{f: f}
	k.initCache(opts.CacheSize)
	k.initHMAC(&indexKey)
	clear(indexKey[:])
	n := uint32((body + SlotSize - 1) / SlotSize)
	buf := make([]byte, SlotSize)
	for i := range n {
		s := k.grow(i)
		m, err := io.ReadFull(r, buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("shred: open: %w", err)
		}
		s.gen, s.state = decodeSlot(buf[:m], i, &s.key)
		s.loaded = s.state != stateFree
		if s.state == stateFree {
			k.free = append(k.free, i)
		}
	}
	clear(buf)
	k.n = n
	// Reuse low slots first: free is popped from the end.
	for i, j := 0, len(k.free)-1; i < j; i, j = i+1, j-1 {
		k.free[i], k.free[j] = k.free[j], k.free[i]
	}
	return k, nil
}

// grow returns slot i's memory, adding a chunk when i starts one. Callers
// hold mu (or are load, before k is shared).
func (k *Keys) grow(i uint32) *slot {
	c := i / chunkSlots
	for uint32(len(k.chunks)) <= c {
		k.chunks = append(k.chunks, new([chunkSlots]slot))
	}
	return &k.chunks[c][i%chunkSlots]
}

// slotAt returns slot i, or nil past the end. Callers hold mu.
func (k *Keys) slotAt(i uint32) *slot {
	if i >= k.n {
		return nil
	}
	return &k.chunks[i/chunkSlots][i%chunkSlots]
}

// Len is the number of slots in the file (live, free and damaged).
func (k *Keys) Len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return int(k.n)
}

// Live is the number of slots holding a key.
func (k *Keys) Live() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	live := 0
	for i := range k.n {
		if k.slotAt(i).state == stateLive {
			live++
		}
	}
	return live
}

// Damaged lists the slots that could not be read at open and have not been
// zeroed since, for the store's check to report.
func (k *Keys) Damaged() []uint32 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var d []uint32
	for i := range k.n {
		if k.slotAt(i).state == stateDamaged {
			d = append(d, i)
		}
	}
	return d
}

// Close wipes the keys from memory and closes the file. Calls after Close
// fail with ErrClosed.
func (k *Keys) Close() error {
	k.wmu.Lock()
	defer k.wmu.Unlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	for _, c := range k.chunks {
		clear(c[:])
	}
	k.chunks, k.n, k.free = nil, 0, nil
	for i := range k.cache {
		k.cache[i].Store(nil)
	}
	k.hmacs = nil
	return k.f.Close()
}
