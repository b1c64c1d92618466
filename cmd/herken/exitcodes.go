package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/herken/herken/client"
)

// Exit codes of herken, documented in `herken help` (exitCodesHelp). check
// and scan keep their own meaning of 1 (problems or values found).
const (
	exitOK             = 0
	exitFailed         = 1 // the command failed (an invalid value, a conflict, ...)
	exitUsage          = 2 // a usage error: unknown command or flag, missing argument
	exitNotFound       = 3 // NOT_FOUND, or a lookup or resolve without a match
	exitUnavailable    = 4 // the server cannot be reached or did not answer in time: retry later
	exitDenied         = 5 // UNAUTHENTICATED or PERMISSION_DENIED: a key or its scope is missing
	exitImportProblems = 6 // import finished, but rows failed or identifiers were dropped
)

const exitCodesHelp = `Exit codes:
  0  ok
  1  failed (invalid input, a conflict, a server error; check and scan: problems or values found)
  2  usage error (unknown command or flag, missing argument)
  3  not found (NOT_FOUND; a lookup or resolve that matched no customer)
  4  unavailable or deadline exceeded: the server could not be reached or did not answer; retry later
  5  not allowed (UNAUTHENTICATED, PERMISSION_DENIED): an API key or its scope is missing
  6  import finished with problems (rows failed or identifiers dropped; see the error file)
`

var (
	// errHelp: --help was asked for and printed (exit 0).
	errHelp = errors.New("help requested")
	// errNoMatch: a lookup or resolve matched nobody and said so on
	// stdout (exit 3, nothing more on stderr).
	errNoMatch = errors.New("no match")
	// errImportProblems is what import returns, wrapped with its summary
	// (fmt.Errorf("%w: 3 rows failed, see errors.csv", errImportProblems)),
	// when it finished but rows failed or identifiers were dropped (exit 6).
	errImportProblems = errors.New("import finished with problems")
)

// rpcError is a failed call to the server at addr: the address makes a
// connection failure readable ("cannot reach localhost:50051: connection
// refused").
type rpcError struct {
	addr string
	err  error
}

func (e *rpcError) Error() string { return describe(e) }
func (e *rpcError) Unwrap() error { return e.err }

// reachError wraps an error returned by a call to the server at addr so
// that main prints it as herken prints every call error.
func reachError(addr string, err error) error {
	if err == nil {
		return nil
	}
	return &rpcError{addr: addr, err: err}
}

// hintError adds a line of advice, printed under the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// callStatus is what herken knows of a failed call: its code, ErrorInfo
// reason and message.
type callStatus struct {
	code    codes.Code
	reason  string
	message string
}

// statusOf finds the gRPC status in err (wrapped or not, or a client.Error).
func statusOf(err error) (callStatus, bool) {
	var gs interface{ GRPCStatus() *status.Status }
	if errors.As(err, &gs) {
		if st := gs.GRPCStatus(); st != nil && st.Code() != codes.OK {
			cs := callStatus{code: st.Code(), message: st.Message()}
			for _, d := range st.Details() {
				if info, ok := d.(*errdetails.ErrorInfo); ok {
					cs.reason = info.GetReason()
				}
			}
			return cs, true
		}
	}
	if ce := client.AsError(err); ce != nil {
		return callStatus{code: ce.Code, reason: ce.Reason, message: ce.Message}, true
	}
	return callStatus{}, false
}

// codeName is a status code as the API documents it: "NOT_FOUND".
func codeName(c codes.Code) string {
	if n, ok := code.Code_name[int32(c)]; ok {
		return n
	}
	return c.String()
}

// describe renders err for people, once: "<message> (<CODE> / <REASON>)".
func describe(err error) string {
	cs, ok := statusOf(err)
	if !ok {
		return err.Error()
	}
	addr := "the server"
	var re *rpcError
	if errors.As(err, &re) && re.addr != "" {
		addr = re.addr
	}
	msg := cs.message
	switch {
	case cs.code == codes.Unavailable && cs.reason == "":
		msg = "cannot reach " + addr + ": " + transportCause(msg)
	case cs.code == codes.DeadlineExceeded && cs.reason == "":
		msg = "no answer from " + addr + " in time (see --timeout)"
	}
	tail := codeName(cs.code)
	if cs.reason != "" {
		tail += " / " + cs.reason
	}
	return fmt.Sprintf("%s (%s)", strings.TrimPrefix(msg, "herken: "), tail)
}

// transportCause shortens gRPC's transport message ("connection error:
// desc = \"transport: Error while dialing: dial tcp 127.0.0.1:50051:
// connect: connection refused\"") to its cause ("connection refused").
func transportCause(msg string) string {
	s := msg
	if i := strings.Index(s, `desc = "`); i >= 0 {
		s = strings.TrimSuffix(s[i+len(`desc = "`):], `"`)
	}
	s = strings.TrimPrefix(s, "transport: ")
	if rest, ok := strings.CutPrefix(s, "Error while dialing: "); ok {
		if i := strings.LastIndex(rest, ": "); i >= 0 {
			return rest[i+2:]
		}
		return rest
	}
	if s == "" {
		return "no connection"
	}
	return s
}

// exitCode maps the error a command returned to herken's exit code: the
// one place that does.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, errNoMatch):
		return exitNotFound
	case errors.Is(err, errImportProblems):
		return exitImportProblems
	}
	if cs, ok := statusOf(err); ok {
		switch cs.code {
		case codes.NotFound:
			return exitNotFound
		case codes.Unavailable, codes.DeadlineExceeded:
			return exitUnavailable
		case codes.Unauthenticated, codes.PermissionDenied:
			return exitDenied
		}
		return exitFailed
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return exitUnavailable
	}
	return exitFailed
}

// errorText is what main prints on stderr for err, or "" when the command
// has said everything already (help, a usage error, no match).
func errorText(err error) string {
	switch {
	case err == nil, errors.Is(err, errHelp), errors.Is(err, errUsage), errors.Is(err, errNoMatch):
		return ""
	}
	text := "herken: " + strings.TrimPrefix(describe(err), "herken: ") + "\n"
	var he *hintError
	if errors.As(err, &he) && he.hint != "" {
		text += "  " + he.hint + "\n"
	}
	return text
}
