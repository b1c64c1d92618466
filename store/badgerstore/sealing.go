package badgerstore

import (
	"encoding/hex"
	"errors"
	"sync"

	badger "github.com/dgraph-io/badger/v4"
	"google.golang.org/protobuf/proto"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// Crypto-shredding (format 5). Every value that holds personal data is
// sealed under its customer's own data key (internal/shred), kept in the
// key file "keys" beside Badger's files, and every index key that would
// hold an identifier or a name holds a keyed hash of it instead. Erasing a
// customer deletes its records and then destroys its key in place in the
// key file: whatever copies of its values Badger still has (old versions,
// the value log, the write-ahead log, tables not yet compacted) are noise
// from then on. keys.go says what is sealed and what stays plain, under
// which key (a record keeps its origin's key through merges), and the
// limits of the guarantee.
//
// A sealed value is
//
//	0x01 | ref (12 bytes: slot, generation) | nonce | AES-256-GCM ciphertext | tag
//
// bound to the customer id and the Badger key it is stored under, so a
// sealed value moved to another key or customer does not open. The ref in
// the value tells which key opens it without another read (Lookup pays one
// AES-GCM open per record, no extra point read); the authoritative ref of a
// customer is its x/ record, which every write reads in its transaction (so
// an erasure that deletes it conflicts with any write sealing under it).
// A plain protobuf record never starts with 0x01 (field number 0 does not
// exist), so plain values written before format 5, or by a plain store
// (tests), are told apart and still read.
const sealedTag = 0x01

// refBatch is how many data keys one fsync of the key file allocates ahead
// for new customers (refPool).
const refBatch = 32

// tx is one Badger transaction as the store's functions see it: the
// transaction (embedded: Get, Set, Delete, NewIterator...), the store (its
// key file, to seal, open and hash index keys), the data-key refs read or
// written in it, and a scratch buffer for opened values. Not for use by
// two goroutines at once, like the transaction.
type tx struct {
	*badger.Txn
	s    *Store
	refs map[string]shred.Ref
	buf  *[]byte // from scratchPool, returned by release
}

var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (s *Store) newTx(t *badger.Txn) *tx { return &tx{Txn: t, s: s} }

// release returns the scratch buffer; the tx must not open values after.
func (t *tx) release() {
	if t.buf != nil {
		if cap(*t.buf) <= 64<<10 {
			scratchPool.Put(t.buf)
		}
		t.buf = nil
	}
}

// errNoRef: a customer of a sealed store without a data key (x/ record).
var errNoRef = errors.New("customer has no data key")

// ref is customerID's data-key ref, its x/ record, read once per
// transaction. The read puts x/ in the transaction's read set, so an
// erasure committed meanwhile makes this transaction conflict and retry.
func (t *tx) ref(customerID string) (shred.Ref, error) {
	if r, ok := t.refs[customerID]; ok {
		return r, nil
	}
	r, ok, err := t.readRef(customerID)
	if err != nil {
		return shred.Ref{}, err
	}
	if !ok {
		return shred.Ref{}, decodeError{"key reference", errNoRef}
	}
	t.cacheRef(customerID, r)
	return r, nil
}

// readRef reads x/{customerID}; false when there is none.
func (t *tx) readRef(customerID string) (shred.Ref, bool, error) {
	item, err := t.Get(keyRefKey(customerID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return shred.Ref{}, false, nil
	}
	if err != nil {
		return shred.Ref{}, false, err
	}
	var r shred.Ref
	err = item.Value(func(v []byte) error {
		var perr error
		if r, perr = shred.ParseRef(v); perr != nil {
			return decodeError{"key reference", perr}
		}
		return nil
	})
	return r, err == nil, err
}

func (t *tx) cacheRef(customerID string, r shred.Ref) {
	if t.refs == nil {
		t.refs = make(map[string]shred.Ref, 2)
	}
	t.refs[customerID] = r
}

// setRef gives customerID the data key ref (x/), for a new customer.
func (t *tx) setRef(customerID string, r shred.Ref) error {
	b, _ := r.AppendBinary(nil)
	if err := t.Set(keyRefKey(customerID), b); err != nil {
		return err
	}
	t.cacheRef(customerID, r)
	return nil
}

// seal marshals m and seals it under customerID's key, bound to the
// customer and key; a plain store only marshals.
func (t *tx) seal(customerID string, key []byte, m proto.Message) ([]byte, error) {
	var r shred.Ref
	if !t.s.plain {
		var err error
		if r, err = t.ref(customerID); err != nil {
			return nil, err
		}
	}
	return t.s.sealMsg(r, customerID, key, m)
}

// sealAs is seal under ref, not customerID's own key, when keep is set: a
// record moved to another customer, or rewritten, stays sealed under the
// key it was sealed under (keptRef). customerID's x/ is read all the same,
// so the write conflicts with an erasure of its customer.
func (t *tx) sealAs(r shred.Ref, keep bool, customerID string, key []byte, m proto.Message) ([]byte, error) {
	if !keep || t.s.plain {
		return t.seal(customerID, key, m)
	}
	if _, err := t.ref(customerID); err != nil {
		return nil, err
	}
	return t.s.sealMsg(r, customerID, key, m)
}

// keptRef is the ref the value stored at key is sealed under: the key a
// record keeps when it is rewritten or moved to another customer. A record
// stays sealed under the key of the customer it was first written for (its
// origin), wherever merges move it, so that erasing that customer destroys
// every version of it, including those written while it was merged. false
// when key holds nothing, or a plain value (a plain store).
func (t *tx) keptRef(key []byte) (shred.Ref, bool, error) {
	if t.s.plain {
		return shred.Ref{}, false, nil
	}
	item, err := t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return shred.Ref{}, false, nil
	}
	if err != nil {
		return shred.Ref{}, false, err
	}
	var r shred.Ref
	var ok bool
	err = item.Value(func(v []byte) error { r, ok = sealedRef(v); return nil })
	return r, ok, err
}

// sealMsg marshals m and seals it under ref (plain store: marshals only).
func (s *Store) sealMsg(r shred.Ref, customerID string, key []byte, m proto.Message) ([]byte, error) {
	b, err := marshalOpts.Marshal(m)
	if err != nil || s.plain {
		return b, err
	}
	return s.sealBytes(r, customerID, key, b)
}

// sealBytes seals a marshalled record and wipes the plaintext.
func (s *Store) sealBytes(r shred.Ref, customerID string, key, plain []byte) ([]byte, error) {
	out := make([]byte, 0, 1+shred.RefSize+shred.Overhead+len(plain))
	out = append(out, sealedTag)
	out, _ = r.AppendBinary(out)
	out, err := s.keys.Seal(out, r, customerID, key, plain)
	clear(plain)
	return out, err
}

// sealedRef is the ref a stored value is sealed under; false for a plain
// value.
func sealedRef(v []byte) (shred.Ref, bool) {
	if len(v) == 0 || v[0] != sealedTag || len(v) < 1+shred.RefSize {
		return shred.Ref{}, false
	}
	r, err := shred.ParseRef(v[1 : 1+shred.RefSize])
	return r, err == nil
}

// errSealedWithoutKeys: a sealed value in a store opened without its key
// file.
var errSealedWithoutKeys = errors.New("sealed value, and no key file")

// open returns the protobuf bytes of a value stored at key for customerID:
// the value itself when it is plain, else the opened plaintext in the
// transaction's scratch buffer, valid until the next open. A destroyed key
// fails with an error that wraps shred.ErrDestroyed (the customer was
// erased since this transaction's snapshot, or the store is damaged).
func (t *tx) open(customerID string, key, v []byte) ([]byte, error) {
	if len(v) == 0 || v[0] != sealedTag {
		return v, nil
	}
	if len(v) < 1+shred.RefSize {
		return nil, shred.ErrOpenFailed
	}
	r, err := shred.ParseRef(v[1 : 1+shred.RefSize])
	if err != nil {
		return nil, err
	}
	if t.s.keys == nil {
		return nil, errSealedWithoutKeys
	}
	if t.buf == nil {
		t.buf = scratchPool.Get().(*[]byte)
	}
	out, err := t.s.keys.Open((*t.buf)[:0], r, customerID, key, v[1+shred.RefSize:])
	if err != nil {
		return nil, err
	}
	*t.buf = out[:0]
	return out, nil
}

// keyGone reports an error that comes from a data key destroyed (or
// damaged) under a record the transaction read.
func keyGone(err error) bool {
	return errors.Is(err, shred.ErrDestroyed) || errors.Is(err, shred.ErrDamaged) || errors.Is(err, shred.ErrUnknownRef)
}

// Index hash kinds: identifiers use their kind's code (kindCode), name
// prefixes this byte, which no kind code is.
const nameHashKind = 'n'

// identifierKey is the i/ key of an identifier: "i/", the kind's one-byte
// code, '#' and 32 hex digits of the keyed hash of the kind and canonical
// value (shred.IndexHash). It is the only place an i/ key is built. A
// plain store (format 4, tests) builds the old readable key "i/{kind}:{value}".
func (s *Store) identifierKey(id identity.Identifier) []byte {
	code := kindCode[id.Kind]
	if s.plain {
		return []byte(prefixIndex + string(code) + ":" + id.Value)
	}
	return s.hashedIdentifierKey(code, id.Value)
}

// indexName is the part of an identifier's i/ key after "i/".
func (s *Store) indexName(id identity.Identifier) string {
	return string(s.identifierKey(id)[len(prefixIndex):])
}

// namePrefixKey is the s/ key saying that a folded display-name prefix
// (herken.NamePrefixes) belongs to customerID; with customerID "" it is the
// prefix every such key of that name prefix starts with, which
// ListCustomers scans. It is the only place an s/ key is built: "s/#", 32
// hex digits of the prefix's keyed hash, '/' and the id. A plain store
// (format 4, tests) writes the prefix's hex instead of its hash.
func (s *Store) namePrefixKey(prefix, customerID string) []byte {
	if s.plain {
		return []byte(prefixName + hex.EncodeToString([]byte(prefix)) + "/" + customerID)
	}
	b := make([]byte, 0, len(prefixName)+1+2*shred.IndexHashSize+1+len(customerID))
	b = append(b, prefixName+"#"...)
	var h [shred.IndexHashSize]byte
	s.keys.AppendIndexHash(h[:0], nameHashKind, prefix)
	b = hex.AppendEncode(b, h[:])
	b = append(b, '/')
	return append(b, customerID...)
}

// customerIndexKeys are the list-index entries of a live customer: its
// tags (both orders), its update time and every indexed prefix of its name.
func (s *Store) customerIndexKeys(c herken.Customer) [][]byte {
	keys := [][]byte{updateKey(c.UpdateTime, c.ID)}
	for _, t := range c.Tags {
		keys = append(keys, tagKey(t, c.ID), tagTimeKey(t, c.UpdateTime, c.ID))
	}
	for _, p := range herken.NamePrefixes(c.DisplayName) {
		keys = append(keys, s.namePrefixKey(p, c.ID))
	}
	return keys
}

// refPool hands out data keys allocated ahead, refBatch per fsync of the
// key file, so creating customers does not wait for one fsync each. Keys
// in the pool seal nothing yet; those a crash or Close leaves unused are
// destroyed by Reclaim at the next open.
type refPool struct {
	mu   sync.Mutex
	refs []shred.Ref
}

// takeRef is a durable data key for a new customer (the zero Ref in a
// plain store).
func (s *Store) takeRef() (shred.Ref, error) {
	if s.plain {
		return shred.Ref{}, nil
	}
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	if len(s.pool.refs) == 0 {
		refs, err := s.keys.AllocN(refBatch)
		if err != nil {
			return shred.Ref{}, err
		}
		s.pool.refs = refs
	}
	n := len(s.pool.refs) - 1
	r := s.pool.refs[n]
	s.pool.refs = s.pool.refs[:n]
	return r, nil
}

// returnRefs gives back keys that sealed nothing that was committed.
func (s *Store) returnRefs(refs ...shred.Ref) {
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	for _, r := range refs {
		if !r.IsZero() {
			s.pool.refs = append(s.pool.refs, r)
		}
	}
}
