package badgerstore

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"unsafe"
)

// The bulk loader's external sort. Every key/value a load writes is
// appended to an in-memory run (one byte arena and a slice of entries);
// when the run passes its bound it is sorted and written to a run file by
// a background goroutine while the next run fills, so at most two runs are
// in memory. Finish merges the run files and the last run (still in
// memory) into one stream of keys in increasing order, which is what
// Badger's StreamWriter needs (bulk_write.go).

// defaultRunBytes bounds one in-memory run (its arena and entries). Two
// runs can be in memory at once: one filling, one being sorted and written.
const defaultRunBytes = 64 << 20

// maxBulkKey is the longest key a load takes (Badger's limit is 65,000).
const maxBulkKey = 65000

// bulkRunDirPattern names the directory of a load's runs (os.MkdirTemp).
const bulkRunDirPattern = "herken-load-*"

// bulkInline is how many bytes of a key an entry of a run holds itself:
// every key herken writes but the longest index keys (o/, w/ with a long
// owner or tag) fits, so sorting compares entries without reading the
// arena.
const bulkInline = 56

// bulkEnt is one key/value of a run: the key (its first bulkInline bytes),
// and where the value sits in the arena, after the whole key when the key
// is longer than bulkInline.
type bulkEnt struct {
	k    [bulkInline]byte
	off  uint32
	vlen uint32
	klen uint16
}

// bulkRun is a run being filled (or sorted and written). Its arena and
// entries have fixed capacities, in memory outside the Go heap (bulkAlloc):
// a run is full when either is. Only an entry bigger than a whole run makes
// the arena grow (on the heap).
type bulkRun struct {
	data []byte
	ents []bulkEnt
	mem  []byte // what bulkAlloc gave, for bulkFree
}

// newBulkRun makes a run of about size bytes: five eighths for entries,
// the rest for values (a load's values are mostly empty index entries).
func newBulkRun(size int) *bulkRun {
	nEnts := max(size*5/8/int(unsafe.Sizeof(bulkEnt{})), 1)
	entBytes := nEnts * int(unsafe.Sizeof(bulkEnt{}))
	dataBytes := max(size-entBytes, 1)
	mem := bulkAlloc(entBytes + dataBytes)
	return &bulkRun{
		ents: unsafe.Slice((*bulkEnt)(unsafe.Pointer(&mem[0])), nEnts)[:0],
		data: mem[entBytes:entBytes:len(mem)],
		mem:  mem,
	}
}

// fits reports whether an entry of key and val fits in the run.
func (r *bulkRun) fits(key, val []byte) bool {
	n := len(val)
	if len(key) > bulkInline {
		n += len(key)
	}
	return len(r.ents) < cap(r.ents) && len(r.data)+n <= cap(r.data)
}

func (r *bulkRun) free() {
	if r.mem != nil {
		bulkFree(r.mem)
		r.mem, r.data, r.ents = nil, nil, nil
	}
}

func (r *bulkRun) add(key, val []byte) {
	e := bulkEnt{off: uint32(len(r.data)), vlen: uint32(len(val)), klen: uint16(len(key))}
	copy(e.k[:], key)
	if len(key) > bulkInline {
		r.data = append(r.data, key...)
	}
	r.data = append(r.data, val...)
	r.ents = append(r.ents, e)
}

// key is e's key: in the entry, or in the arena when it is longer.
func (r *bulkRun) key(e *bulkEnt) []byte {
	if e.klen <= bulkInline {
		return e.k[:e.klen]
	}
	return r.data[e.off : e.off+uint32(e.klen)]
}

func (r *bulkRun) val(e *bulkEnt) []byte {
	off := e.off
	if e.klen > bulkInline {
		off += uint32(e.klen)
	}
	return r.data[off : off+e.vlen]
}

// compare orders entries by key. The inline parts are compared eight
// bytes at a time: zero padding and then the length order them as the
// keys are ordered (a key that is a prefix of another sorts first).
func (r *bulkRun) compare(a, b *bulkEnt) int {
	for i := 0; i < bulkInline; i += 8 {
		x, y := binary.BigEndian.Uint64(a.k[i:]), binary.BigEndian.Uint64(b.k[i:])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
		if int(a.klen) <= i+8 && int(b.klen) <= i+8 {
			break
		}
	}
	if a.klen <= bulkInline || b.klen <= bulkInline {
		return cmp.Compare(a.klen, b.klen)
	}
	return bytes.Compare(r.data[a.off+bulkInline:a.off+uint32(a.klen)], r.data[b.off+bulkInline:b.off+uint32(b.klen)])
}

// sort orders the run by key (equal keys in any order: the merge drops
// identical copies and refuses different values under one key).
func (r *bulkRun) sort() {
	slices.SortFunc(r.ents, func(a, b bulkEnt) int { return r.compare(&a, &b) })
}

// write writes the sorted run to path: per entry the key length and value
// length (uvarints), the key, the value.
func (r *bulkRun) write(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [2 * binary.MaxVarintLen32]byte
	for i := range r.ents {
		e := &r.ents[i]
		n := binary.PutUvarint(hdr[:], uint64(e.klen))
		n += binary.PutUvarint(hdr[n:], uint64(e.vlen))
		w.Write(hdr[:n])
		w.Write(r.key(e))
		w.Write(r.val(e))
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (r *bulkRun) reset() {
	r.data, r.ents = r.data[:0], r.ents[:0]
}

// bulkSorter collects key/values and sorts them into runs.
type bulkSorter struct {
	parent   string // where the run directory is made ("" : os.TempDir)
	dir      string // the run directory, made at the first spill
	runBytes int
	cur      *bulkRun
	spare    *bulkRun   // a run written out, to fill again
	spilling *bulkRun   // the run being sorted and written, if any
	spillErr chan error // its outcome
	runs     []string   // run files, in order
	entries  int
	err      error
}

func newBulkSorter(parent string, runBytes int) *bulkSorter {
	if runBytes <= 0 {
		runBytes = defaultRunBytes
	}
	return &bulkSorter{parent: parent, runBytes: runBytes, cur: newBulkRun(runBytes)}
}

// add queues a copy of key and val.
func (s *bulkSorter) add(key, val []byte) error {
	if s.err != nil {
		return s.err
	}
	if len(key) > maxBulkKey || len(val) > 1<<30 {
		return errors.New("badgerstore: load: a key or value is too big")
	}
	r := s.cur
	if len(r.ents) > 0 && !r.fits(key, val) {
		if err := s.spill(); err != nil {
			return err
		}
		r = s.cur
	}
	if len(r.data)+len(key)+len(val) > math.MaxUint32 {
		return errors.New("badgerstore: load: a run is too big")
	}
	r.add(key, val)
	s.entries++
	return nil
}

// spill hands the current run to a goroutine that sorts and writes it,
// after the previous one is written, and starts a new run.
func (s *bulkSorter) spill() error {
	if err := s.wait(); err != nil {
		return err
	}
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.parent, bulkRunDirPattern)
		if err != nil {
			s.err = fmt.Errorf("badgerstore: load: run directory: %w", err)
			return s.err
		}
		s.dir = dir
	}
	path := filepath.Join(s.dir, "run-"+strconv.Itoa(len(s.runs)))
	s.runs = append(s.runs, path)
	r := s.cur
	s.cur, s.spare = s.spare, nil
	if s.cur == nil {
		s.cur = newBulkRun(s.runBytes)
	}
	s.spilling, s.spillErr = r, make(chan error, 1)
	go func(ch chan<- error) {
		r.sort()
		ch <- r.write(path)
	}(s.spillErr)
	return nil
}

// wait waits for the run being written, if any.
func (s *bulkSorter) wait() error {
	if s.spilling == nil {
		return s.err
	}
	err := <-s.spillErr
	s.spilling.reset()
	s.spare, s.spilling = s.spilling, nil
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("badgerstore: load: writing a sorted run: %w", err)
	}
	return s.err
}

// close waits for a spill, frees the runs and removes the run files.
func (s *bulkSorter) close() {
	_ = s.wait()
	for _, r := range []*bulkRun{s.cur, s.spare} {
		if r != nil {
			r.free()
		}
	}
	s.cur, s.spare = nil, nil
	if s.dir != "" {
		os.RemoveAll(s.dir)
		s.dir = ""
	}
}

// bulkKV is one entry of a merge source: valid until the source's next.
type bulkKV struct {
	key, val  []byte
	expiresAt uint64
	userMeta  byte
}

type bulkSource interface {
	// next returns the next entry; false at the end.
	next() (bulkKV, bool, error)
}

// memSource reads a sorted in-memory run.
type memSource struct {
	r *bulkRun
	i int
}

func (m *memSource) next() (bulkKV, bool, error) {
	if m.i >= len(m.r.ents) {
		return bulkKV{}, false, nil
	}
	e := &m.r.ents[m.i]
	m.i++
	return bulkKV{key: m.r.key(e), val: m.r.val(e)}, true, nil
}

// sliceSource reads sorted entries from a slice.
type sliceSource struct {
	kvs []bulkKV
}

func (s *sliceSource) next() (bulkKV, bool, error) {
	if len(s.kvs) == 0 {
		return bulkKV{}, false, nil
	}
	kv := s.kvs[0]
	s.kvs = s.kvs[1:]
	return kv, true, nil
}

// fileSource reads a run file.
type fileSource struct {
	f   *os.File
	r   *bufio.Reader
	buf []byte
}

func openRun(path string) (*fileSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &fileSource{f: f, r: bufio.NewReaderSize(f, 256<<10)}, nil
}

func (s *fileSource) next() (bulkKV, bool, error) {
	klen, err := binary.ReadUvarint(s.r)
	if err == io.EOF {
		return bulkKV{}, false, nil
	}
	if err != nil {
		return bulkKV{}, false, err
	}
	vlen, err := binary.ReadUvarint(s.r)
	if err != nil {
		return bulkKV{}, false, io.ErrUnexpectedEOF
	}
	n := int(klen + vlen)
	if cap(s.buf) < n {
		s.buf = make([]byte, n, max(n, 2*cap(s.buf)))
	}
	s.buf = s.buf[:n]
	if _, err := io.ReadFull(s.r, s.buf); err != nil {
		return bulkKV{}, false, io.ErrUnexpectedEOF
	}
	return bulkKV{key: s.buf[:klen], val: s.buf[klen:]}, true, nil
}

func (s *fileSource) close() { s.f.Close() }

// bulkMerge merges sorted sources into one sorted stream (a binary heap of
// the sources by their current key; ties go to the earlier source).
type bulkMerge struct {
	heads []bulkKV
	srcs  []bulkSource
	order []int // heap of indexes into srcs
}

func newBulkMerge(srcs []bulkSource) (*bulkMerge, error) {
	m := &bulkMerge{heads: make([]bulkKV, len(srcs)), srcs: srcs}
	for i, s := range srcs {
		kv, ok, err := s.next()
		if err != nil {
			return nil, err
		}
		if ok {
			m.heads[i] = kv
			m.order = append(m.order, i)
		}
	}
	for i := len(m.order)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return m, nil
}

func (m *bulkMerge) less(a, b int) bool {
	c := bytes.Compare(m.heads[a].key, m.heads[b].key)
	return c < 0 || c == 0 && a < b
}

func (m *bulkMerge) down(i int) {
	n := len(m.order)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && m.less(m.order[r], m.order[l]) {
			j = r
		}
		if !m.less(m.order[j], m.order[i]) {
			return
		}
		m.order[i], m.order[j] = m.order[j], m.order[i]
		i = j
	}
}

// each calls fn with every entry in key order. fn must not keep the
// slices.
func (m *bulkMerge) each(fn func(bulkKV) error) error {
	for len(m.order) > 0 {
		i := m.order[0]
		if err := fn(m.heads[i]); err != nil {
			return err
		}
		kv, ok, err := m.srcs[i].next()
		if err != nil {
			return err
		}
		if ok {
			m.heads[i] = kv
		} else {
			last := len(m.order) - 1
			m.order[0] = m.order[last]
			m.order = m.order[:last]
		}
		m.down(0)
	}
	return nil
}
