package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken/client"
	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "blocklist.txt")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadBlocklist: --blocklist-file adds its rules to the shipped ones;
// a file that does not read is an error naming the flag (and the line).
func TestLoadBlocklist(t *testing.T) {
	shipped := identity.DefaultBlocklist().Len()
	extra := identity.Identifier{Kind: identity.KindEmail, Value: "klant@voorbeeld.invalid"}
	shippedRule := identity.Identifier{Kind: identity.KindEmail, Value: "test@test.com"}

	b, err := loadBlocklist("")
	if err != nil || b.Len() != shipped || b.Blocked(extra) || !b.Blocked(shippedRule) {
		t.Fatalf("no file: %d rules (want %d), err %v", b.Len(), shipped, err)
	}

	b, err = loadBlocklist(writeFile(t, "# ons eigen testdomein\n\nemail .*@voorbeeld\\.invalid\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != shipped+1 || !b.Blocked(extra) || !b.Blocked(shippedRule) {
		t.Fatalf("with file: %d rules (want %d); blocks extra %v, shipped %v", b.Len(), shipped+1, b.Blocked(extra), b.Blocked(shippedRule))
	}

	for name, tc := range map[string]struct{ path, want string }{
		"unknown kind": {writeFile(t, "email .*@x\\.nl\nfax 0+\n"), "line 2"},
		"bad regexp":   {writeFile(t, "email (\n"), "line 1"},
		"missing file": {filepath.Join(t.TempDir(), "absent.txt"), "no such file"},
	} {
		_, err := loadBlocklist(tc.path)
		if err == nil || !strings.Contains(err.Error(), "--blocklist-file") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want --blocklist-file and %q", name, err, tc.want)
		}
	}
}

// TestServeBlocklistFile: the file's rules reach the running server (a
// blocked identifier is refused on create, and the shipped rules still
// hold), and a bad file stops the start with a message naming the flag.
func TestServeBlocklistFile(t *testing.T) {
	file := writeFile(t, "email .*@voorbeeld\\.invalid\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--in-memory", "--addr", "127.0.0.1:0", "--log-format", "json", "--blocklist-file", file}, &logs, &logs)
	}()
	addr := servingAddr(t, &logs, done)
	c, err := client.New(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, email := range []string{"klant@voorbeeld.invalid", "test@test.com"} {
		_, err := c.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
			Customer:    &herkenv1.Customer{DisplayName: "Jan"},
			Identifiers: []*herkenv1.Identifier{{Value: &herkenv1.Identifier_Email{Email: email}}},
		})
		if client.Reason(err) != "IDENTIFIER_BLOCKED" {
			t.Errorf("CreateCustomer with %s: %v, want IDENTIFIER_BLOCKED", email, err)
		}
	}
	if _, err := c.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
		Identifiers: []*herkenv1.Identifier{{Value: &herkenv1.Identifier_Email{Email: "jan@voorbeeld.nl"}}},
	}); err != nil {
		t.Errorf("CreateCustomer with an email no rule blocks: %v", err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}

	var out syncBuffer
	code := run(context.Background(), []string{"serve", "--in-memory", "--addr", "127.0.0.1:0", "--blocklist-file", writeFile(t, "fax 0+\n")}, &out, &out)
	if code != 1 || !strings.Contains(out.String(), "--blocklist-file") || !strings.Contains(out.String(), "line 1") {
		t.Fatalf("bad blocklist file: exit %d, output:\n%s", code, out.String())
	}
}
