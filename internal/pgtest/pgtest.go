// Package pgtest gives tests a real PostgreSQL: HERKEN_TEST_POSTGRES_URL
// when set, otherwise a throwaway server it starts itself from the
// installed binaries (pg_config --bindir, or Debian's
// /usr/lib/postgresql/*/bin) in a temporary directory, as the postgres
// user when the tests run as root (initdb refuses root). Each test gets a
// database of its own.
//
// Where no PostgreSQL can be had, tests skip with a message saying why,
// unless HERKEN_REQUIRE_POSTGRES=1 (.ci/run sets it): then they fail, so CI
// never passes by skipping the PostgreSQL suite.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a PostgreSQL server the tests may create databases on.
type Server struct {
	URL string // the admin URL (database postgres)

	dir, bindir string
	asPostgres  bool
	uid, gid    uint32 // the postgres user's, when asPostgres
	port        int
	cmd         *exec.Cmd
	exited      chan struct{} // closed when cmd has exited
}

var (
	once   sync.Once
	shared *Server
	errNo  error
)

// Main runs a test binary's tests and stops the server they started, if
// any: call it from TestMain as os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// Shared returns the test binary's server, starting it on first use; it
// skips t (or fails it under HERKEN_REQUIRE_POSTGRES=1) when there is none.
func Shared(t testing.TB) *Server {
	t.Helper()
	once.Do(func() {
		if u := os.Getenv("HERKEN_TEST_POSTGRES_URL"); u != "" {
			shared = &Server{URL: u}
			return
		}
		shared, errNo = Start("")
	})
	if errNo != nil {
		if os.Getenv("HERKEN_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (HERKEN_REQUIRE_POSTGRES=1) but: %v", errNo)
		}
		t.Skipf("no PostgreSQL for this test: %v (install Debian's postgresql package, or set HERKEN_TEST_POSTGRES_URL)", errNo)
	}
	return shared
}

// NewDatabase creates an empty database on the shared server for t, drops
// it when t ends, and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	srv := Shared(t)
	u, err := srv.CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("creating a test database: %v", err)
	}
	t.Cleanup(func() { srv.DropDatabase(context.Background(), u) })
	return u
}

// CreateDatabase creates a database with a random name and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "herken_test_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	// An ICU en-US default collation, as production databases have (not
	// the server's C): the store must order ids by bytes whatever the
	// database's collation is.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"); err != nil {
		return "", err
	}
	return WithDatabase(s.URL, name)
}

// DropDatabase drops the database u names, closing its connections.
func (s *Server) DropDatabase(ctx context.Context, u string) {
	pu, err := url.Parse(u)
	if err != nil {
		return
	}
	name := strings.TrimPrefix(pu.Path, "/")
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// WithDatabase is u naming database name instead.
func WithDatabase(u, name string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	pu.Path = "/" + name
	return pu.String(), nil
}

// BinDir finds the PostgreSQL server binaries: pg_config --bindir, else the
// newest /usr/lib/postgresql/*/bin with initdb in it.
func BinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		return "", errors.New("no PostgreSQL server binaries (initdb) found: pg_config --bindir and /usr/lib/postgresql/*/bin have none")
	}
	return filepath.Dir(dirs[len(dirs)-1]), nil
}

// Start initialises and starts a throwaway server in a new temporary
// directory under parent ("" for the system's), listening on a free
// loopback port and a unix socket in that directory, with settings
// ("name=value") on top of the tests' own. Its data is not fsynced: tests
// kill herken, never the database's machine.
func Start(parent string, settings ...string) (*Server, error) {
	bindir, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bindir: bindir, asPostgres: os.Geteuid() == 0}
	if s.dir, err = os.MkdirTemp(parent, "herken-pg-"); err != nil {
		return nil, err
	}
	if s.asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and initdb refuses root: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.uid, s.gid = uint32(uid), uint32(gid)
		if err := os.Chown(s.dir, uid, gid); err != nil {
			return nil, err
		}
		// The postgres user must reach the directory.
		for d := filepath.Dir(s.dir); d != "/" && d != "."; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
				_ = os.Chmod(d, fi.Mode().Perm()|0o001)
			}
		}
	}
	data := filepath.Join(s.dir, "data")
	if out, err := s.run(filepath.Join(bindir, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	s.cmd = s.run(filepath.Join(bindir, "postgres"), "-D", data, "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=128MB")
	for _, kv := range settings {
		s.cmd.Args = append(s.cmd.Args, "-c", kv)
	}
	logf, err := os.Create(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	if err := s.startCmd(logf); err != nil {
		return nil, err
	}
	s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.URL)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return s, nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			s.Stop()
			return nil, fmt.Errorf("PostgreSQL did not start: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops a server Start started (a fast shutdown) and removes its
// directory; a server given by URL is left alone.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.halt()
	_ = os.RemoveAll(s.dir)
}

// Restart stops the server and starts it again on the same port and data
// (tests of a database restart under load): down for about down.
func (s *Server) Restart(down time.Duration) error {
	if s.cmd == nil {
		return errors.New("pgtest: only a server Start started can restart")
	}
	args := s.cmd.Args
	s.halt()
	time.Sleep(down)
	logf, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	s.cmd = s.run(args[0], args[1:]...)
	return s.startCmd(logf)
}

// startCmd starts s.cmd with its output to logf.
func (s *Server) startCmd(logf *os.File) error {
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}(s.cmd, s.exited)
	return nil
}

// halt stops the running server: a fast shutdown, killed after 10 s.
func (s *Server) halt() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// run is a command as the user the server runs as.
func (s *Server) run(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	if s.asPostgres {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: s.uid, Gid: s.gid}}
		cmd.Env = append(os.Environ(), "HOME="+s.dir)
	}
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
