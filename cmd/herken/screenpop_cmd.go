package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

var screenPopSpec = cmdSpec{
	name:    "screen-pop",
	args:    "[flags] NUMBER | --phone N | --email E | ...",
	summary: "print a short-lived link to a caller's screen pop, for the agent's browser",
	about: `Asks herken for a signed link to the screen pop of one identifier (the
caller's number) and prints it. The link opens without an API key: the
caller's number is sealed inside, and it expires after --ttl (the server's
default is 2 minutes). The key used here needs the lookup scope. The server
must serve HTTP (herken serve --http-addr).`,
	examples: `herken screen-pop 06-12345678
herken screen-pop --ttl 10m 020-1234567     # a household line: the agent picks the caller
xdg-open "$(herken screen-pop 06-12345678)"`,
}

func screenPopCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(screenPopSpec, stdout, stderr)
	c.serverFlags()
	var ids idFlags
	ids.register(c, "the caller's identifier", false)
	var ttl time.Duration
	c.e.Duration(&ttl, "ttl", 0, "how long the link opens (at most 15m); 0: the server's default")
	if err := c.parse(args); err != nil {
		return err
	}
	id, query, err := ids.queryOrOne(c)
	if err != nil {
		return err
	}
	req := &herkenv1.CreateScreenPopLinkRequest{Identifier: id}
	if ttl != 0 {
		req.Ttl = durationpb.New(ttl)
	}
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	resp, err := cl.ScreenPop.CreateScreenPopLink(cctx, req)
	if err != nil {
		return queryHint(c.fail(err), "screen-pop", query)
	}
	_, err = fmt.Fprintln(stdout, resp.GetUrl())
	return err
}
