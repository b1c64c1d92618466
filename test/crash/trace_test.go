//go:build unix

package crash

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// trace appends one line to the file HERKEN_CRASH_TRACE names (nothing
// when unset): a log of the lifecycle model's decisions, for debugging.
var traceMu sync.Mutex
var traceFile *os.File
var traceOnce sync.Once

func (h *harness) trace(format string, args ...any) {
	traceOnce.Do(func() {
		if p := os.Getenv("HERKEN_CRASH_TRACE"); p != "" {
			traceFile, _ = os.Create(p)
		}
	})
	if traceFile == nil {
		return
	}
	traceMu.Lock()
	defer traceMu.Unlock()
	fmt.Fprintf(traceFile, "%s c%d %s\n", time.Now().Format("15:04:05.000000"), h.cycle, fmt.Sprintf(format, args...))
}
