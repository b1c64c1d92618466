//go:build linux

// Package disk tests herken when its data directory runs out of space or
// is read-only: the real binary on a small filesystem (a tmpfs, or an ext4
// image on a loop device with HERKEN_DISK_FS=ext4), written to until the
// filesystem is full, then given room again.
//
// The contract (what clients and load balancers must see): a write that
// cannot be stored is UNAVAILABLE / STORE_UNAVAILABLE, never INTERNAL; the
// server keeps running, health goes NOT_SERVING, reads keep working; once
// there is room again writes succeed and health is SERVING; nothing that
// was acknowledged is lost, and herken check is clean after a graceful stop.
//
// TestDiskFull checks all of it. Whatever happens when the disk fills, it
// then frees space (deletes the filler file it created on the same
// filesystem), restarts the server if it died, and proves that every
// acknowledged write is still there.
//
// The tests are skipped unless HERKEN_DISK_TEST is set (make disktest), and
// skipped with a message where the environment cannot mount a filesystem
// (it needs root or CAP_SYS_ADMIN; ext4 also loop devices):
//
//	sudo HERKEN_DISK_TEST=1 go test ./test/disk -run . -v
//	sudo HERKEN_DISK_TEST=1 HERKEN_DISK_FS=ext4 go test ./test/disk -run . -v
package disk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/store/badgerstore"
)

// setup builds herken and mounts a filesystem of sizeMiB: a tmpfs, or with
// HERKEN_DISK_FS=ext4 an ext4 image on a loop device (what a data
// directory usually lives on). It skips the test when mounting is not
// possible here.
func setup(t *testing.T, sizeMiB int) (bin, mnt string) {
	t.Helper()
	if os.Getenv("HERKEN_DISK_TEST") == "" {
		t.Skip("set HERKEN_DISK_TEST=1 to run the disk tests (make disktest; they mount a filesystem, so they need root)")
	}
	tmp := t.TempDir()
	mnt = filepath.Join(tmp, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	var mount *exec.Cmd
	switch fs := os.Getenv("HERKEN_DISK_FS"); fs {
	case "", "tmpfs":
		mount = exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", sizeMiB), "tmpfs", mnt)
	case "ext4":
		img := filepath.Join(tmp, "ext4.img")
		if err := os.WriteFile(img, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(img, int64(sizeMiB)<<20); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-m", "0", img).CombinedOutput(); err != nil {
			t.Skipf("cannot make an ext4 filesystem here: %v: %s", err, bytes.TrimSpace(out))
		}
		mount = exec.Command("mount", "-o", "loop", img, mnt)
	default:
		t.Fatalf("HERKEN_DISK_FS=%q: want tmpfs or ext4", fs)
	}
	if out, err := mount.CombinedOutput(); err != nil {
		t.Skipf("cannot mount a filesystem here (needs root or CAP_SYS_ADMIN, and loop devices for ext4): %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	bin = filepath.Join(tmp, "herken")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/herken/herken/cmd/herken").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin, mnt
}

// filler takes all but leaveMiB of the free space in dir with a file of
// zeros (written, not sparse) and returns its path. With leaveMiB 0 it
// writes until the filesystem says it is full.
func filler(t *testing.T, dir, name string, leaveMiB int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := int64(free(t, dir)) - int64(leaveMiB)<<20
	chunk := make([]byte, 1<<20)
	if leaveMiB == 0 {
		n = math.MaxInt64
	}
	for ; n > 0; n -= int64(len(chunk)) {
		if _, err := f.Write(chunk[:min(int64(len(chunk)), n)]); err != nil {
			if leaveMiB == 0 && errors.Is(err, syscall.ENOSPC) {
				break
			}
			t.Fatalf("filler: %v", err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	return path
}

func remount(t *testing.T, mnt, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", mnt, opts, err, out)
	}
}

type acked struct{ name, phone string }

// minFreeMB is the free-space reserve the disk test gives herken: small, to
// fit the small filesystem, and enough for a store of a few MiB (Badger's
// flushes and compactions are then small too).
const minFreeMB = 32

func TestDiskFull(t *testing.T) {
	bin, mnt := setup(t, 192)
	dataDir := filepath.Join(mnt, "data")
	logDir := filepath.Dir(mnt)
	srv := start(t, bin, dataDir, logDir)
	// Leave herken 32 MiB above its reserve; the filler file is what is
	// cleaned up later.
	fill := filler(t, mnt, "filler", 2*minFreeMB)
	df(t, mnt)

	// Write customers with long handover notes until a write fails.
	note := strings.Repeat("Lange notitie over deze klant. ", 120)[:3600]
	var written []acked
	var failed error
	for i := 0; failed == nil; i++ {
		if i == 100000 {
			t.Fatal("100000 writes into 32 MiB and none failed")
		}
		phone := fmt.Sprintf("+3162%07d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := srv.customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
			Customer:    &herkenv1.Customer{DisplayName: fmt.Sprintf("Klant %d", i), HandoverNote: note},
			Identifiers: []*herkenv1.Identifier{phoneID(phone)},
		})
		cancel()
		if err != nil {
			failed = err
			break
		}
		written = append(written, acked{resp.GetCustomer().GetName(), phone})
	}
	t.Logf("write %d failed", len(written)+1)
	df(t, mnt)
	srv.wantRefused(t, failed)
	if len(written) < 100 {
		t.Errorf("only %d writes before the reserve was reached; want the reserve to leave room above it usable", len(written))
	}
	// The refusal may be short-lived: the write that filled a memtable makes
	// Badger flush it, and the flushed WAL file is deleted. Let that settle.
	settle(t, mnt)

	// Something else takes the rest of the disk, reserve and all. herken
	// must not touch a block it has not got, and says so in its health.
	rest := filler(t, mnt, "filler-rest", 0)
	df(t, mnt)
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := srv.customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
			Customer: &herkenv1.Customer{DisplayName: "Vol"}, Identifiers: []*herkenv1.Identifier{phoneID(fmt.Sprintf("+3164%07d", i))}})
		cancel()
		srv.wantRefused(t, err)
	}
	// Health goes read-only: NOT_SERVING overall and for the services that
	// write, while callers are still recognised.
	srv.waitHealth(t, "", healthpb.HealthCheckResponse_NOT_SERVING, 15*time.Second)
	srv.waitHealth(t, herkenv1.CustomerService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_NOT_SERVING, 15*time.Second)
	srv.waitHealth(t, herkenv1.RecognitionService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING, 15*time.Second)
	time.Sleep(2 * time.Second) // Badger's background work has had its chance to fault
	srv.verify(t, written)

	// Room again: the filler files go.
	for _, f := range []string{fill, rest} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	df(t, mnt)
	if srv.dead() {
		srv = start(t, bin, dataDir, logDir) // recovers the store like after kill -9
	} else {
		srv.waitHealth(t, "", healthpb.HealthCheckResponse_SERVING, 15*time.Second)
	}
	// Writes succeed again.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := srv.customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
			Customer: &herkenv1.Customer{DisplayName: "Na de opruiming"}, Identifiers: []*herkenv1.Identifier{phoneID(fmt.Sprintf("+3163%07d", i))}})
		cancel()
		if err == nil {
			written = append(written, acked{resp.GetCustomer().GetName(), fmt.Sprintf("+3163%07d", i)})
			break
		}
		if time.Now().After(deadline) {
			srv.fatalf(t, "writes still fail 30s after the disk has room again: %v", err)
		}
		time.Sleep(time.Second)
	}
	// Nothing acknowledged was lost.
	srv.verify(t, written)
	t.Logf("all %d acknowledged customers are there", len(written))
	srv.stop(t)
	checkStore(t, bin, dataDir)
}

// wantRefused checks that err is how herken refuses a write on a nearly
// full disk, and that the server is still alive.
func (p *process) wantRefused(t *testing.T, err error) {
	t.Helper()
	st, info := details(err)
	if p.dead() {
		time.Sleep(200 * time.Millisecond)
		p.fatalf(t, "herken died when its data directory filled up (%v): %s\n"+
			"clients see the connection drop (UNAVAILABLE without ErrorInfo) instead of STORE_UNAVAILABLE, "+
			"and health cannot go NOT_SERVING", p.err, p.fatalLine())
	}
	if st.Code() != codes.Unavailable || info.GetReason() != "STORE_UNAVAILABLE" || info.GetDomain() != "herken.v1" ||
		info.GetMetadata()["cause"] != "DISK_SPACE_LOW" {
		p.fatalf(t, "a write on a full disk: %s %q %v, want UNAVAILABLE / STORE_UNAVAILABLE in herken.v1, cause DISK_SPACE_LOW",
			st.Code(), st.Message(), info)
	}
}

// TestReadOnlyDataDir: a data directory on a read-only filesystem is refused
// at startup with a message that says so (exit 1, no crash), and herken
// check, which opens the store read-only, still works on it.
func TestReadOnlyDataDir(t *testing.T) {
	bin, mnt := setup(t, 96)
	dataDir := filepath.Join(mnt, "data")
	srv := start(t, bin, dataDir, filepath.Dir(mnt))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := srv.customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{phoneID("+31620000001")}})
	if err != nil {
		t.Fatal(err)
	}
	srv.stop(t)
	// A running server keeps files open for writing, so the filesystem can
	// only be made read-only while it is stopped.
	remount(t, mnt, "ro")
	defer remount(t, mnt, "rw")

	var out bytes.Buffer
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "HERKEN_DEMO=false")
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out.String(), "read-only file system") {
		t.Errorf("herken serve on a read-only data directory: %v, want exit 1 naming the read-only file system; output:\n%s", err, out.String())
	}
	checkStore(t, bin, dataDir)

	remount(t, mnt, "rw")
	srv = start(t, bin, dataDir, filepath.Dir(mnt))
	srv.verify(t, []acked{{resp.GetCustomer().GetName(), "+31620000001"}})
	srv.stop(t)
}

func details(err error) (*status.Status, *errdetails.ErrorInfo) {
	st := status.Convert(err)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return st, info
		}
	}
	return st, nil
}

func free(t *testing.T, dir string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Bavail * uint64(st.Bsize)
}

// settle waits until dir's free space has not changed for a second.
func settle(t *testing.T, dir string) {
	t.Helper()
	last := free(t, dir)
	for range 30 {
		time.Sleep(time.Second)
		now := free(t, dir)
		if now == last {
			return
		}
		last = now
	}
	t.Fatalf("%s: free space still changing after 30s", dir)
}

func df(t *testing.T, dir string) {
	t.Helper()
	t.Logf("%s: %d KiB free", dir, free(t, dir)>>10)
}

// ---- the server process ----

type process struct {
	cmd     *exec.Cmd
	addr    string
	logPath string
	exited  chan struct{}
	err     error
	conn    *grpc.ClientConn

	customers   herkenv1.CustomerServiceClient
	recognition herkenv1.RecognitionServiceClient
	health      healthpb.HealthClient
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var starts int

// start starts herken serve on a free loopback port and waits for SERVING.
func start(t *testing.T, bin, dataDir, logDir string) *process {
	t.Helper()
	starts++
	p := &process{addr: freeAddr(t), logPath: filepath.Join(logDir, fmt.Sprintf("serve-%d.log", starts)), exited: make(chan struct{})}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	p.cmd = exec.Command(bin, "serve", "--addr", p.addr, "--data-dir", dataDir, "--log-format", "json", "--block-cache-mb", "8",
		"--min-free-mb", strconv.Itoa(minFreeMB), "--no-rate-limit") // it writes as fast as it can until the disk is full
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.Env = append(os.Environ(), "HERKEN_DEMO=false")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if !p.dead() {
			_ = p.cmd.Process.Kill() // this test's own child, by pid
			<-p.exited
		}
	})
	p.conn, err = grpc.NewClient(p.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.conn.Close() })
	p.customers = herkenv1.NewCustomerServiceClient(p.conn)
	p.recognition = herkenv1.NewRecognitionServiceClient(p.conn)
	p.health = healthpb.NewHealthClient(p.conn)
	p.waitHealth(t, "", healthpb.HealthCheckResponse_SERVING, 30*time.Second)
	return p
}

func (p *process) dead() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// waitHealth waits until health reports want.
func (p *process) waitHealth(t *testing.T, service string, want healthpb.HealthCheckResponse_ServingStatus, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := p.health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		cancel()
		if err == nil && resp.GetStatus() == want {
			return
		}
		if p.dead() {
			p.fatalf(t, "server exited (%v) while waiting for health %q %s", p.err, service, want)
		}
		if time.Now().After(deadline) {
			p.fatalf(t, "health %q is not %s after %s: %v %v", service, want, within, resp.GetStatus(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// verify reads every customer back by name and looks each up by phone.
func (p *process) verify(t *testing.T, cs []acked) {
	t.Helper()
	for _, c := range cs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := p.customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: c.name})
		if err != nil {
			cancel()
			t.Fatalf("acknowledged customer %s: %v", c.name, err)
		}
		resp, err := p.recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phoneID(c.phone)})
		cancel()
		if err != nil || resp.GetCustomer().GetCustomer().GetName() != c.name {
			t.Fatalf("lookup of acknowledged customer %s by phone: %v %v", c.name, resp.GetOutcome(), err)
		}
	}
}

// fatalLine is the Go runtime's account of a crash in the server log.
func (p *process) fatalLine() string {
	b, _ := os.ReadFile(p.logPath)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "fatal error") || strings.HasPrefix(l, "[signal") || strings.HasPrefix(l, "panic:") ||
			strings.HasPrefix(l, "unexpected fault") || strings.Contains(l, "badger/v4.") && len(out) < 8 {
			out = append(out, strings.TrimSpace(l))
		}
	}
	if len(out) == 0 {
		return "no crash report in the log"
	}
	return strings.Join(out, " | ")
}

func (p *process) logTail(t *testing.T) {
	t.Helper()
	b, _ := os.ReadFile(p.logPath)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.Contains(l, `"grpc.service":"grpc.health.v1.Health"`) { // the test's own polling
			lines = append(lines, l)
		}
	}
	t.Logf("last log lines of %s (health checks left out):\n%s", p.logPath, strings.Join(lines[max(0, len(lines)-20):], "\n"))
}

func (p *process) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	p.logTail(t)
	t.Fatalf(format, args...)
}

// stop stops the server gracefully (SIGTERM) and requires a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			p.fatalf(t, "server exit after SIGTERM: %v", p.err)
		}
	case <-time.After(30 * time.Second):
		p.fatalf(t, "server did not stop within 30s of SIGTERM")
	}
}

// checkStore runs herken check on the stopped store.
func checkStore(t *testing.T, bin, dataDir string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, "check", "--data-dir", dataDir, "--json")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var rep badgerstore.Report
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("herken check: %v %v\n%s%s", err, jerr, out.String(), errOut.String())
	}
	if err != nil || !rep.OK() {
		var text bytes.Buffer
		_ = rep.WriteText(&text)
		t.Errorf("herken check: %v\n%s", err, text.String())
		return
	}
	t.Logf("herken check: clean (%d customers)", rep.Counts.Customers)
}

func phoneID(s string) *herkenv1.Identifier {
	return &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: s}}
}
