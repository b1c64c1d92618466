package crash

import (
	"os"
	"testing"

	"github.com/herken/herken/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL a HERKEN_CRASH_STORE=postgres run
// started.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
