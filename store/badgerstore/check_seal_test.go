package badgerstore

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/herken/herken"

	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// TestCheckSealing breaks what crypto-shredding keeps true, one way at a
// time, and expects exactly the problems named.
func TestCheckSealing(t *testing.T) {
	refBytes := func(r shred.Ref) []byte { b, _ := r.AppendBinary(nil); return b }
	tests := []struct {
		name    string
		corrupt func(t *testing.T, f *lifeFixture, txn *tx) error
		want    []string
	}{
		{"customer record in plain form", func(t *testing.T, f *lifeFixture, txn *tx) error {
			c, err := getCustomerRec(txn, f.anna.ID)
			if err != nil {
				return err
			}
			b, err := marshalOpts.Marshal(customerToRecord(c))
			if err != nil {
				return err
			}
			return txn.Set(customerKey(f.anna.ID), b)
		}, []string{ProblemUnsealedRecord}},
		{"interaction in plain form", func(t *testing.T, f *lifeFixture, txn *tx) error {
			b, err := marshalOpts.Marshal(interactionToRecord(f.janMail))
			if err != nil {
				return err
			}
			return txn.Set(interactionKey(f.janMail), b)
		}, []string{ProblemUnsealedRecord}},
		{"merge record in plain form", func(t *testing.T, f *lifeFixture, txn *tx) error {
			item, err := txn.Get(mergeKey(f.cor.ID))
			if err != nil {
				return err
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			plain, err := txn.open(f.cor.ID, mergeKey(f.cor.ID), v)
			if err != nil {
				return err
			}
			return txn.Set(mergeKey(f.cor.ID), slices.Clone(plain))
		}, []string{ProblemUnsealedRecord}},
		{"data-key record deleted", func(t *testing.T, f *lifeFixture, txn *tx) error {
			return txn.Delete(keyRefKey(f.anna.ID))
		}, []string{ProblemKeyRefMissing}},
		{"data-key record of a merged name deleted", func(t *testing.T, f *lifeFixture, txn *tx) error {
			return txn.Delete(keyRefKey(f.cor.ID))
		}, []string{ProblemKeyRefMissing}},
		{"data-key record of nobody", func(t *testing.T, f *lifeFixture, txn *tx) error {
			r, err := txn.ref(f.anna.ID)
			if err != nil {
				return err
			}
			return txn.Set(keyRefKey(herken.NewID()), refBytes(r))
		}, []string{ProblemKeyRefOrphan}},
		{"data-key record of an erased customer", func(t *testing.T, f *lifeFixture, txn *tx) error {
			r, err := txn.ref(f.anna.ID)
			if err != nil {
				return err
			}
			return txn.Set(keyRefKey(f.els.ID), refBytes(r))
		}, []string{ProblemErasedRemains}},
		{"interaction sealed under another customer's key", func(t *testing.T, f *lifeFixture, txn *tx) error {
			in, err := readInteraction(txn, f.jan.ID, f.janMail.ID)
			if err != nil {
				return err
			}
			annas, err := txn.ref(f.anna.ID)
			if err != nil {
				return err
			}
			txn.cacheRef(f.jan.ID, annas) // opens (bound to Jan), but is not under Jan's key
			b, err := encodeInteraction(txn, f.jan.ID, interactionKey(in), in)
			if err != nil {
				return err
			}
			return txn.Set(interactionKey(in), b)
		}, []string{ProblemKeyRefMismatch}},
		{"interaction sealed under the key of a customer merged in through another", func(t *testing.T, f *lifeFixture, txn *tx) error {
			// Cor was merged into Bram, Bram into Jan: a record of Cor's
			// that moved to Jan keeps Cor's key.
			return resealUnder(txn, f.jan.ID, f.janMail.ID, f.cor.ID)
		}, nil},
		{"interaction sealed under the key of a customer merged into another", func(t *testing.T, f *lifeFixture, txn *tx) error {
			return resealUnder(txn, f.quiet.ID, f.quietNote.ID, f.cor.ID) // Cor is merged into Jan, not into Quiet
		}, []string{ProblemKeyRefMismatch}},
		{"customer's data-key record names another key", func(t *testing.T, f *lifeFixture, txn *tx) error {
			r, err := txn.s.keys.Alloc()
			if err != nil {
				return err
			}
			return txn.Set(keyRefKey(f.pieter.ID), refBytes(r))
		}, []string{ProblemKeyRefMismatch}},
		{"merge record sealed under another key", func(t *testing.T, f *lifeFixture, txn *tx) error {
			r, err := txn.s.keys.Alloc()
			if err != nil {
				return err
			}
			return txn.Set(keyRefKey(f.cor.ID), refBytes(r))
		}, []string{ProblemKeyRefMismatch}},
		{"live customer's key destroyed", func(t *testing.T, f *lifeFixture, txn *tx) error {
			r, err := txn.ref(f.quiet.ID)
			if err != nil {
				return err
			}
			return txn.s.keys.Destroy(r)
		}, []string{ProblemKeyDestroyed, ProblemKeyDestroyed, ProblemKeyDestroyed}}, // c/ h/ x/
		{"erased customer's key not destroyed", func(t *testing.T, f *lifeFixture, txn *tx) error {
			r, err := txn.s.keys.Alloc()
			if err != nil {
				return err
			}
			return txn.Set(erasedKey(f.els.ID), refBytes(r))
		}, []string{ProblemErasedKeyLive}},
		{"readable identifier key", func(t *testing.T, f *lifeFixture, txn *tx) error {
			b, err := encodeHolders([]string{f.jan.ID})
			if err != nil {
				return err
			}
			return txn.Set([]byte(prefixIndex+"p:+31612345678"), b)
		}, []string{ProblemMalformedKey}},
		{"readable name key", func(t *testing.T, f *lifeFixture, txn *tx) error {
			return txn.Set([]byte(prefixName+hex.EncodeToString([]byte("jan"))+"/"+f.jan.ID), nil)
		}, []string{ProblemMalformedKey}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newLifeFixture(t)
			if rep := mustCheck(t, f.s); !rep.OK() {
				t.Fatalf("fixture has problems:\n%s", reportText(t, rep))
			}
			f.update(t, func(txn *tx) error { return tc.corrupt(t, f, txn) })
			rep := mustCheck(t, f.s)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if got := kindsOf(rep); !slices.Equal(got, want) {
				t.Fatalf("problems %v, want %v\n%s", got, want, reportText(t, rep))
			}
		})
	}
}

// TestCheckDamagedKeySlot: a slot of the key file that does not read back
// is reported, and so is the record that can no longer be read.
func TestCheckDamagedKeySlot(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f := &checkFixture{s: s}
	c := storeCustomer(t, s, "Anna")
	var r shred.Ref
	f.update(t, func(txn *tx) error { r, err = txn.ref(c.ID); return err })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, shred.FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[shred.HeaderSize+int(r.Slot)*shred.SlotSize+8] ^= 0xff // a bit of the key: the checksum fails
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := CheckDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kindsOf(rep), []string{ProblemKeyDestroyed, ProblemKeySlotDamaged}; !slices.Equal(got, want) {
		t.Fatalf("problems %v, want %v\n%s", got, want, reportText(t, rep))
	}
}

// resealUnder re-seals one interaction of cid under the data key of
// keyOf (bound to cid, so it still opens).
func resealUnder(txn *tx, cid, interactionID, keyOf string) error {
	in, err := readInteraction(txn, cid, interactionID)
	if err != nil {
		return err
	}
	r, err := txn.ref(keyOf)
	if err != nil {
		return err
	}
	b, err := encodeInteractionAs(txn, r, true, cid, interactionKey(in), in)
	if err != nil {
		return err
	}
	return txn.Set(interactionKey(in), b)
}
