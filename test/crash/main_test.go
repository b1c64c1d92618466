package crash

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/herken/herken/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL a HERKEN_CRASH_STORE=postgres run
// started, and removes the herken binary the tests built.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// binary is the herken binary, built once for every test of the run.
var binary struct {
	once     sync.Once
	dir, bin string
	err      error
	out      []byte
}

// herkenBinary builds herken the first time it is asked for.
func herkenBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "herken-crash-"); binary.err != nil {
			return
		}
		binary.bin = filepath.Join(binary.dir, "herken")
		binary.out, binary.err = exec.Command("go", "build", "-o", binary.bin, "github.com/herken/herken/cmd/herken").CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("go build: %v\n%s", binary.err, binary.out)
	}
	return binary.bin
}
