package main

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// serverProc is a running `herken serve`.
type serverProc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, set before exited closes
}

// startServer execs herken with args and polls Health/Check on addr every
// 5ms until it answers SERVING. The time returned runs from just before
// exec to that answer: process start, store open, listen.
func startServer(ctx context.Context, bin string, args []string, addr string, stderr io.Writer, dial ...grpc.DialOption) (*serverProc, time.Duration, error) {
	if len(dial) == 0 {
		dial = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	// A connection that retries every 5ms: grpc's default backoff (1s and
	// up after a refused connection) would swamp what is measured.
	conn, err := grpc.NewClient(addr, append(dial,
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 5 * time.Millisecond, Multiplier: 1, MaxDelay: 5 * time.Millisecond},
			MinConnectTimeout: 100 * time.Millisecond,
		}))...)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)

	cmd := exec.Command(bin, args...)
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = stderr, stderr
	dieWithParent(cmd)
	p := &serverProc{cmd: cmd, exited: make(chan struct{})}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.NewTimer(60 * time.Second)
	defer giveUp.Stop()
	req := &healthpb.HealthCheckRequest{}
	for {
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		res, err := health.Check(cctx, req)
		cancel()
		if err == nil && res.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return p, time.Since(start), nil
		}
		select {
		case <-tick.C:
		case <-p.exited:
			return nil, 0, fmt.Errorf("herken serve exited before SERVING: %v", p.err)
		case <-giveUp.C:
			p.kill()
			return nil, 0, errors.New("herken serve not SERVING after 60s")
		case <-ctx.Done():
			p.kill()
			return nil, 0, ctx.Err()
		}
	}
}

// serverEnv is the environment without HERKEN_* variables, so that only
// the flags herken-bench passes configure the server.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERKEN_") {
			env = append(env, kv)
		}
	}
	return env
}

// stop asks the server to shut down (SIGTERM: health NOT_SERVING, graceful
// stop, store closed) and kills it if it has not exited within timeout.
func (p *serverProc) stop(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		select {
		case <-p.exited:
			return fmt.Errorf("had already exited: %v", p.err)
		default:
			return err
		}
	}
	select {
	case <-p.exited:
		return p.err
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("still running %s after SIGTERM; killed", timeout)
	}
}

// kill ends the server at once and waits for it.
func (p *serverProc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}

// procMem is the memory of a process from /proc/<pid>/status, in bytes.
type procMem struct {
	HWM     int64 // VmHWM: peak resident set
	RSS     int64 // VmRSS: resident set now
	RSSAnon int64 // RssAnon: of which heap, stacks and other anonymous memory
	RSSFile int64 // RssFile: of which mapped files (Badger mmaps its tables)
}

func (p *serverProc) memory() (procMem, error) {
	return readProcMem(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
}

func readProcMem(path string) (procMem, error) {
	var m procMem
	f, err := os.Open(path)
	if err != nil {
		return m, err
	}
	defer f.Close()
	fields := map[string]*int64{"VmHWM:": &m.HWM, "VmRSS:": &m.RSS, "RssAnon:": &m.RSSAnon, "RssFile:": &m.RSSFile}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 3 && fs[2] == "kB" {
			if dst := fields[fs[0]]; dst != nil {
				n, _ := strconv.ParseInt(fs[1], 10, 64)
				*dst = n << 10
			}
		}
	}
	if m.HWM == 0 {
		return m, errors.New("no VmHWM in /proc/<pid>/status")
	}
	return m, sc.Err()
}

// freeLoopbackAddr returns 127.0.0.1:<a port free a moment ago>.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// machine describes where the benchmark ran.
type machine struct {
	CPUs   int
	Model  string
	Memory int64
	Kernel string
	Go     string
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, Model: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if fs := strings.Fields(line); len(fs) == 3 && fs[0] == "MemTotal:" {
				n, _ := strconv.ParseInt(fs[1], 10, 64)
				m.Memory = n << 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// binaryVersion is the VCS revision the herken binary was built from, as
// go build stamps it, or else the checkout's (the Makefile builds it just
// before).
func binaryVersion(path string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		// Built with -buildvcs=false: ask git (read-only), if there is one.
		out, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err != nil {
			return bi.GoVersion
		}
		rev = strings.TrimSpace(string(out))
		if exec.Command("git", "diff", "--quiet", "HEAD", "--").Run() != nil {
			modified = "true"
		}
		rev = "git " + rev
	}
	if len(rev) > 16 {
		rev = rev[:16]
	}
	if modified == "true" {
		rev += " (with uncommitted changes)"
	}
	return rev + ", " + bi.GoVersion
}

// settle waits until the server is idle: under idleCores of CPU over a
// whole second (Badger compacts a freshly loaded store after it opens;
// measuring during that would measure the compaction). It returns how long
// that took and the CPU the server used meanwhile, in core-seconds.
func (p *serverProc) settle(ctx context.Context, timeout time.Duration, idleCores float64) (time.Duration, float64, error) {
	start := time.Now()
	pid := p.cmd.Process.Pid
	first := sampleCPU(pid)
	if !first.ok {
		return 0, 0, nil // no /proc: nothing to wait for
	}
	prev := first
	for {
		select {
		case <-ctx.Done():
			return time.Since(start), 0, ctx.Err()
		case <-p.exited:
			return time.Since(start), 0, fmt.Errorf("herken serve exited: %v", p.err)
		case <-time.After(time.Second):
		}
		cur := sampleCPU(pid)
		u := prev.use(cur, runtime.NumCPU())
		prev = cur
		if u.Valid && u.Server < idleCores {
			all := first.use(cur, runtime.NumCPU())
			return time.Since(start), all.Server * time.Since(start).Seconds(), nil
		}
		if time.Since(start) > timeout {
			return time.Since(start), 0, fmt.Errorf("herken serve still busy (%.2f cores) %s after SERVING", u.Server, timeout)
		}
	}
}

// resetPeak resets the process's VmHWM to its current RSS
// (/proc/<pid>/clear_refs, "5"), so the next reading is the peak from now.
func (p *serverProc) resetPeak() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}

// syncWriter serialises writes from herken-bench and the server's output.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
