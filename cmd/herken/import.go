package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the lead's import.go lands (it replaces this file).
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not yet")
}
