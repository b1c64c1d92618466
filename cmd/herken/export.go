package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the lead's export.go lands (it replaces this file).
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not yet")
}
