package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/herken/herken"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/store/badgerstore"
)

// receiveBackup runs the Backup RPC and returns the file it streams and
// the snapshot time of its first message; it fails the test if a message
// is over 1 MiB or a later one carries a snapshot time.
func receiveBackup(ctx context.Context, t testing.TB, s *testServer) ([]byte, time.Time, error) {
	t.Helper()
	stream, err := herkenv1.NewBackupServiceClient(s.Conn).Backup(ctx, &herkenv1.BackupRequest{})
	if err != nil {
		return nil, time.Time{}, err
	}
	var buf bytes.Buffer
	var snap time.Time
	for i := 0; ; i++ {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return buf.Bytes(), snap, nil
		}
		if err != nil {
			return nil, time.Time{}, err
		}
		if len(resp.GetData()) > 1<<20 {
			t.Fatalf("message %d holds %d bytes", i, len(resp.GetData()))
		}
		switch {
		case i == 0 && resp.GetSnapshotTime() == nil:
			t.Fatal("the first message has no snapshot time")
		case i == 0:
			snap = resp.GetSnapshotTime().AsTime()
		case resp.GetSnapshotTime() != nil:
			t.Fatalf("message %d has a snapshot time", i)
		}
		buf.Write(resp.GetData())
	}
}

// TestBackupRPCWhileWriting: an online backup through the RPC, taken while
// clients create and erase customers, restores to a store that checks
// clean and holds every customer created before the backup began (but the
// one erased meanwhile).
func TestBackupRPCWhileWriting(t *testing.T) {
	s := newTestServer(t, withDir(t.TempDir()))
	ctx := ctxT(t)
	var before []*herkenv1.Customer
	// 120 notes of 12 KB: the backup needs more than one message.
	for i := range 120 {
		c := createCustomer(t, s, &herkenv1.Customer{DisplayName: fmt.Sprintf("Klant %d", i), HandoverNote: strings.Repeat("€", 4000)},
			phone(fmt.Sprintf("06-12345%03d", i)))
		before = append(before, c)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	var mu sync.Mutex
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, err := s.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
					Customer:    &herkenv1.Customer{DisplayName: "Schrijver"},
					Identifiers: []*herkenv1.Identifier{email(fmt.Sprintf("w%d-%d@example.nl", w, i))},
				})
				if err == nil && i%3 == 0 {
					_, err = s.Customers.EraseCustomer(ctx, &herkenv1.EraseCustomerRequest{Name: before[0].GetName()})
					if status.Code(err) == codes.NotFound {
						err = nil // erased already, by the other writer or an earlier turn
					}
				}
				if err != nil {
					mu.Lock()
					writeErr = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	start := time.Now()
	data, snap, err := receiveBackup(ctx, t, s)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if writeErr != nil {
		t.Fatalf("writes during the backup: %v", writeErr)
	}
	if len(data) <= 1<<20 {
		t.Fatalf("a backup of %d bytes does not test the chunking", len(data))
	}
	if snap.Before(start.Add(-time.Second)) || snap.After(time.Now()) {
		t.Fatalf("snapshot time %v, backup ran from %v", snap, start)
	}

	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := badgerstore.Restore(ctx, dir, bytes.NewReader(data), nil, badgerstore.Options{}); err != nil {
		t.Fatal(err)
	}
	rep, err := badgerstore.CheckDir(dir)
	if err != nil || !rep.OK() {
		t.Fatalf("restored store: %v, %d problems", err, rep.Total())
	}
	r, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, c := range before[1:] {
		id := c.GetName()[len("customers/"):]
		got, err := r.GetCustomer(ctx, id)
		if err != nil || got.DisplayName != c.GetDisplayName() {
			t.Fatalf("customer %s after restore: %v %v", id, got.DisplayName, err)
		}
	}
}

// TestBackupRPCUnsupported: a store that cannot back up (memory store,
// in-memory Badger) answers FAILED_PRECONDITION / BACKUP_UNSUPPORTED.
func TestBackupRPCUnsupported(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		_, _, err := receiveBackup(ctxT(t), t, s)
		checkErr(t, err, wantErr{codes.FailedPrecondition, herken.ReasonBackupUnsupported, ""})
	})
}
