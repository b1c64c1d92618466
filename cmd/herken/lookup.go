package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
)

func lookup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herken lookup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &envFlags{fs: fs}
	var addr string
	var limit int
	var timeout time.Duration
	e.String(&addr, "addr", "localhost:50051", "server address")
	e.Int(&limit, "interactions", 10, "recent interactions to show (max 100)")
	e.Duration(&timeout, "timeout", 5*time.Second, "request deadline")
	var conn clientFlags
	conn.addFlags(e)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: herken lookup [flags] QUERY\n\nQUERY is a phone number, email, \"x:@handle\", profile URL or \"1234 AB 10\". Flags:")
		fs.PrintDefaults()
	}
	if err := e.parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	c, err := conn.dial(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := c.LookupQuery(ctx, strings.Join(fs.Args(), " "), int32(limit))
	if err != nil {
		return callError(err)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(resp)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}
