package badgerstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore"
)

// backupEnv is a Badger store on disk with a Service over it and data of
// every kind: customers with identifiers, interactions and promises, a
// merge, and an erasure.
type backupEnv struct {
	dir  string
	key  []byte
	s    *badgerstore.Store
	svc  *herken.Service
	now  time.Time
	ids  []string // every customer created, in order
	norm *identity.Normalizer
}

func newBackupEnv(t *testing.T, key []byte) *backupEnv {
	t.Helper()
	e := &backupEnv{dir: t.TempDir(), key: key, now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	var err error
	if e.norm, err = identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"}); err != nil {
		t.Fatal(err)
	}
	e.open(t)
	return e
}

func (e *backupEnv) open(t *testing.T) {
	t.Helper()
	s, err := badgerstore.Open(badgerstore.Options{Dir: e.dir, EncryptionKey: e.key})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	e.svc = herken.NewService(s, e.norm, herken.ServiceConfig{Now: func() time.Time { return e.now }})
	t.Cleanup(func() { s.Close() })
}

func (e *backupEnv) normalized(t *testing.T, kind identity.Kind, v string) identity.Normalized {
	t.Helper()
	n, err := e.svc.Normalize(identity.Input{Kind: kind, Value: v})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// populate creates n customers, each with a phone, an email, three
// interactions and a promise.
func (e *backupEnv) populate(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		e.now = e.now.Add(time.Minute)
		c, err := e.svc.CreateCustomer(ctx, herken.NewCustomer{
			DisplayName: fmt.Sprintf("Klant %d de Vries", i), HandoverNote: "belt liever 's ochtends",
			Identifiers: []identity.Normalized{
				e.normalized(t, identity.KindPhone, fmt.Sprintf("+316123400%02d", i)),
				e.normalized(t, identity.KindEmail, fmt.Sprintf("klant%d@example.nl", i)),
			},
		}, herken.Write{})
		if err != nil {
			t.Fatal(err)
		}
		e.ids = append(e.ids, c.ID)
		var last herken.Interaction
		for j := range 3 {
			if last, err = e.svc.RecordInteraction(ctx, herken.InteractionTarget{CustomerID: c.ID}, herken.Interaction{
				Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved,
				OccurTime: e.now.Add(-time.Duration(j) * time.Second), Agent: "agent-7", Summary: fmt.Sprintf("vraag %d over factuur", j),
			}, herken.Write{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.CreatePromise(ctx, herken.InteractionTarget{CustomerID: c.ID}, herken.NewPromise{
			Kind: herken.PromiseCallback, Description: "terugbellen", DueTime: e.now.Add(24 * time.Hour), Owner: "agent-7",
			InteractionCustomerID: c.ID, InteractionID: last.ID,
		}, herken.Write{}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *backupEnv) erase(t *testing.T, id string) {
	t.Helper()
	e.now = e.now.Add(time.Minute)
	if _, err := e.svc.EraseCustomer(context.Background(), id, herken.Write{}); err != nil {
		t.Fatal(err)
	}
}

func (e *backupEnv) merge(t *testing.T, survivor, merged string) {
	t.Helper()
	e.now = e.now.Add(time.Minute)
	if _, err := e.svc.MergeCustomers(context.Background(), survivor, merged, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
}

func (e *backupEnv) backup(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	info, err := e.s.Backup(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if info.Bytes != int64(buf.Len()) || info.SnapshotTime.IsZero() {
		t.Fatalf("backup info %+v for %d bytes", info, buf.Len())
	}
	return buf.Bytes()
}

// exports is ExportCustomer of every id (an error for those not there).
func exports(t *testing.T, svc *herken.Service, ids []string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, id := range ids {
		ex, err := svc.ExportCustomer(context.Background(), id)
		if err != nil {
			out[id] = err.Error()
			continue
		}
		ex.Time = time.Time{}
		out[id] = ex
	}
	return out
}

// restoreTo restores b into a new directory and opens it.
func restoreTo(t *testing.T, b []byte, erasures []herken.Erasure, key []byte) (badgerstore.RestoreInfo, *backupEnv) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "restored")
	info, err := badgerstore.Restore(context.Background(), dir, bytes.NewReader(b), erasures, badgerstore.Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := badgerstore.CheckDirKey(context.Background(), dir, key)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		var w bytes.Buffer
		rep.WriteText(&w)
		t.Fatalf("restored store does not check clean:\n%s", w.String())
	}
	r := &backupEnv{dir: dir, key: key, norm: nil, now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	var nerr error
	if r.norm, nerr = identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"}); nerr != nil {
		t.Fatal(nerr)
	}
	r.open(t)
	return info, r
}

// TestBackupRestoreRoundTrip: a restored backup has every customer,
// identifier, interaction and promise of the snapshot (the same exports,
// the same keys and values), none of those erased before it, and with the
// old store's journal none of those erased after it.
func TestBackupRestoreRoundTrip(t *testing.T) {
	e := newBackupEnv(t, nil)
	e.populate(t, 12)
	e.merge(t, e.ids[0], e.ids[1])
	e.erase(t, e.ids[2]) // before the backup
	b := e.backup(t)
	atBackup := exports(t, e.svc, e.ids)
	digest, err := e.s.Digest()
	if err != nil {
		t.Fatal(err)
	}
	e.erase(t, e.ids[3]) // after the backup
	e.erase(t, e.ids[0]) // after the backup, with the name merged into it
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("as taken", func(t *testing.T) {
		info, r := restoreTo(t, b, nil, nil)
		if len(info.Erased) != 0 || info.SnapshotTime.IsZero() {
			t.Fatalf("restore info %+v", info)
		}
		if got, err := r.s.Digest(); err != nil || !bytes.Equal(got, digest) {
			t.Fatalf("restored digest differs from the store's at the backup (%v)", err)
		}
		if got := exports(t, r.svc, e.ids); !reflect.DeepEqual(got, atBackup) {
			t.Fatalf("exports differ:\n got %v\nwant %v", got, atBackup)
		}
		if _, err := r.svc.ExportCustomer(context.Background(), e.ids[2]); !errors.Is(err, herken.ErrCustomerErased) {
			t.Fatalf("customer erased before the backup: %v", err)
		}
	})

	t.Run("with the old journal", func(t *testing.T) {
		journal, err := badgerstore.JournalFromDir(context.Background(), e.dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		info, r := restoreTo(t, b, journal, nil)
		want := []string{e.ids[0], e.ids[1], e.ids[3]}
		slices.Sort(want)
		if !slices.Equal(info.Erased, want) || len(info.Unresolved) > 0 {
			t.Fatalf("erased again %v, unresolved %v; want %v", info.Erased, info.Unresolved, want)
		}
		got := exports(t, r.svc, e.ids)
		for i, id := range e.ids {
			_, err := r.svc.ExportCustomer(context.Background(), id)
			switch i {
			case 0, 1, 2, 3:
				if !errors.Is(err, herken.ErrCustomerErased) {
					t.Errorf("customer %d: %v, want erased", i, err)
				}
			default:
				if !reflect.DeepEqual(got[id], atBackup[id]) {
					t.Errorf("customer %d differs after the restore", i)
				}
			}
		}
		// The phone of an erased customer finds nobody; another's does.
		res, err := r.svc.Lookup(context.Background(), r.normalized(t, identity.KindPhone, "+31612340003"), 5)
		if err != nil || res.Outcome != herken.MatchNotFound {
			t.Fatalf("lookup of an erased customer's phone: %v %v", res.Outcome, err)
		}
		res, err = r.svc.Lookup(context.Background(), r.normalized(t, identity.KindPhone, "+31612340005"), 5)
		if err != nil || res.Outcome != herken.MatchFound {
			t.Fatalf("lookup of a kept customer's phone: %v %v", res.Outcome, err)
		}
		// New writes after a restore are visible (Load moved the clock on).
		r.populate(t, 1)
		if _, err := r.svc.ExportCustomer(context.Background(), r.ids[0]); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("with a later backup's journal", func(t *testing.T) {
		again := newBackupEnv(t, nil)
		// A later backup of the old store: its journal has the erasures.
		again.dir = e.dir
		again.open(t)
		later := again.backup(t)
		again.s.Close()
		_, journal, err := badgerstore.ReadBackupJournal(bytes.NewReader(later))
		if err != nil {
			t.Fatal(err)
		}
		info, _ := restoreTo(t, b, journal, nil)
		if len(info.Erased) != 3 {
			t.Fatalf("erased again %v, want 3 ids", info.Erased)
		}
	})
}

// TestRestoreUnmergedThenErased: a name merged in the backup, unmerged and
// erased after it, is unmerged and erased by the restore; its survivor
// (not erased) stays.
func TestRestoreUnmergedThenErased(t *testing.T) {
	e := newBackupEnv(t, nil)
	e.populate(t, 3)
	e.merge(t, e.ids[0], e.ids[1])
	b := e.backup(t)
	e.now = e.now.Add(time.Minute)
	if _, _, err := e.svc.UnmergeCustomer(context.Background(), e.ids[1], herken.Write{}); err != nil {
		t.Fatal(err)
	}
	e.erase(t, e.ids[1])
	journal, err := e.s.Erasures(context.Background(), time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	info, r := restoreTo(t, b, journal, nil)
	if !slices.Equal(info.Erased, []string{e.ids[1]}) {
		t.Fatalf("erased again %v", info.Erased)
	}
	if _, err := r.svc.ExportCustomer(context.Background(), e.ids[1]); !errors.Is(err, herken.ErrCustomerErased) {
		t.Fatalf("the erased name: %v", err)
	}
	ex, err := r.svc.ExportCustomer(context.Background(), e.ids[0])
	if err != nil || len(ex.Merges) != 0 || len(ex.Interactions) != 3 {
		t.Fatalf("the survivor: %v merges, %d interactions, %v", len(ex.Merges), len(ex.Interactions), err)
	}
}

// TestBackupWhileWriting: a backup taken while customers are created and
// erased restores to a store that checks clean (each key of the snapshot
// is in the copied key file).
func TestBackupWhileWriting(t *testing.T) {
	e := newBackupEnv(t, nil)
	e.populate(t, 5)
	ctx := context.Background()
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			c, err := e.s.CreateCustomer(ctx, herken.Customer{ID: herken.NewID(), DisplayName: "Schrijver", CreateTime: time.Now(), UpdateTime: time.Now(), Revision: 1}, herken.WriteOptions{})
			if err != nil {
				done <- err
				return
			}
			if i%2 == 0 {
				if _, err := e.s.EraseCustomer(ctx, c.ID, time.Now(), herken.WriteOptions{}); err != nil {
					done <- err
					return
				}
			}
		}
	}()
	var bs [][]byte
	for range 3 {
		bs = append(bs, e.backup(t))
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		restoreTo(t, b, nil, nil)
	}
}

func TestRestoreRefuses(t *testing.T) {
	e := newBackupEnv(t, nil)
	e.populate(t, 2)
	b := e.backup(t)
	ctx := context.Background()

	t.Run("non-empty directory", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "x"), nil, 0o600)
		if _, err := badgerstore.Restore(ctx, dir, bytes.NewReader(b), nil, badgerstore.Options{}); !errors.Is(err, badgerstore.ErrRestoreNotEmpty) {
			t.Fatalf("got %v", err)
		}
	})
	for name, bad := range map[string][]byte{
		"flipped byte":  flip(b, len(b)/2),
		"flipped sum":   flip(b, len(b)-1),
		"truncated":     b[:len(b)-40],
		"not a backup":  []byte("hello, world, this is not a backup file at all"),
		"trailing byte": append(slices.Clone(b), 0),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := badgerstore.Restore(ctx, dir, bytes.NewReader(bad), nil, badgerstore.Options{})
			if !errors.Is(err, badgerstore.ErrBackupCorrupt) {
				t.Fatalf("got %v, want ErrBackupCorrupt", err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a failed restore left %d entries", len(entries))
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := slices.Clone(b)
	c[i] ^= 0x40
	return c
}

func TestBackupInMemoryUnsupported(t *testing.T) {
	s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Backup(context.Background(), &bytes.Buffer{}); !errors.Is(err, herken.ErrBackupUnsupported) {
		t.Fatalf("got %v", err)
	}
}
