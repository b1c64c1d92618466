package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken/client"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// TestServeInMemory runs `herken serve --in-memory --demo` (and the same
// through HERKEN_IN_MEMORY) through run: it serves the demo dataset from
// the memory store, says in its startup log that nothing is persisted, and
// never touches --data-dir.
func TestServeInMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  bool
	}{{"flag", false}, {"env", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			args := []string{"serve", "--addr", "127.0.0.1:0", "--demo", "--demo-size", "5", "--data-dir", dataDir, "--log-format", "json"}
			if tc.env {
				t.Setenv("HERKEN_IN_MEMORY", "true")
			} else {
				args = append(args, "--in-memory")
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var logs syncBuffer
			done := make(chan int, 1)
			go func() { done <- run(ctx, args, &logs, &logs) }()
			addr := servingAddr(t, &logs, done)

			c, err := client.New(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			resp, err := c.LookupPhone(ctx, "06-12345678")
			if err != nil || resp.Outcome != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND || len(resp.Customer.GetRecentInteractions()) == 0 {
				t.Fatalf("Lookup of a demo number: %v %v", resp, err)
			}
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("exit %d:\n%s", code, logs.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("server did not shut down")
			}
			if !strings.Contains(logs.String(), "nothing is persisted") || !strings.Contains(logs.String(), `"store":"memory, nothing persisted"`) {
				t.Fatalf("startup log does not say nothing is persisted:\n%s", logs.String())
			}
			if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
				t.Fatalf("--data-dir touched with --in-memory: %v", err)
			}
		})
	}
}

// servingAddr waits for the "herken serving" log line and returns its
// address.
func servingAddr(t *testing.T, logs *syncBuffer, done <-chan int) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, logs.String())
		default:
		}
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "herken serving" {
				return line.Addr
			}
		}
	}
	t.Fatalf("server not serving:\n%s", logs.String())
	return ""
}
