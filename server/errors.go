package server

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/herken/herken"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the ErrorInfo domain of every herken error.
const ErrorDomain = "herken.v1"

// codeOf is the one table from domain error class to gRPC status code.
var codeOf = map[herken.Code]codes.Code{
	herken.CodeInternal:           codes.Internal,
	herken.CodeInvalidArgument:    codes.InvalidArgument,
	herken.CodeNotFound:           codes.NotFound,
	herken.CodeAlreadyExists:      codes.AlreadyExists,
	herken.CodeFailedPrecondition: codes.FailedPrecondition,
	herken.CodeAborted:            codes.Aborted,
	herken.CodeResourceExhausted:  codes.ResourceExhausted,
	herken.CodeUnavailable:        codes.Unavailable,
}

// toStatus turns any error a handler meets into the status the client sees:
// every non-OK status carries ErrorInfo, invalid input also BadRequest field
// violations. Context errors pass through as CANCELLED / DEADLINE_EXCEEDED.
// Messages name fields and rules, never values. fieldPrefix is the request
// path of the value the domain validated ("identifier", "customer").
func toStatus(ctx context.Context, log *slog.Logger, err error, fieldPrefix string) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err // already a status (built by this package)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	de, ok := herken.AsError(err)
	if !ok {
		de = &herken.Error{Code: herken.CodeInternal, Reason: herken.ReasonInternal, Err: err}
	}
	de = de.WithField(fieldPrefix)
	code, ok := codeOf[de.Code]
	if !ok {
		code = codes.Internal
	}
	msg := de.Message
	if code == codes.Internal || code == codes.Unavailable {
		// The cause may hold storage details; it goes to the log, not the client.
		log.ErrorContext(ctx, "request failed", "code", code.String(), "reason", de.Reason, "error", err)
		if code == codes.Internal {
			msg = "internal error"
		}
	}
	if de.Field != "" {
		msg = de.Field + ": " + msg
	}
	return withDetails(code, msg, de)
}

func withDetails(code codes.Code, msg string, de *herken.Error) error {
	st := status.New(code, msg)
	md := map[string]string{}
	for k, v := range de.Metadata {
		md[k] = v
	}
	if de.Field != "" {
		md["field"] = de.Field
	}
	info := &errdetails.ErrorInfo{Reason: de.Reason, Domain: ErrorDomain, Metadata: md}
	var withD *status.Status
	var err error
	// Invalid input always carries BadRequest; a violation with an empty
	// field concerns the request as a whole (bytes that are not protobuf).
	if code == codes.InvalidArgument {
		withD, err = st.WithDetails(info, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{
			Field: de.Field, Description: de.Message, Reason: de.Reason,
		}}})
	} else {
		withD, err = st.WithDetails(info)
	}
	if err != nil {
		return st.Err()
	}
	return withD.Err()
}

// violations collects several invalid fields of one request so the client
// learns about all of them at once. The first one's reason is the
// ErrorInfo reason.
type violations struct{ list []*herken.Error }

func (v *violations) add(err error, prefix string) {
	if err == nil {
		return
	}
	de, ok := herken.AsError(err)
	if !ok || de.Code != herken.CodeInvalidArgument {
		de = &herken.Error{Code: herken.CodeInvalidArgument, Reason: herken.ReasonInvalidArgument, Message: "invalid"}
	}
	v.list = append(v.list, de.WithField(prefix))
}

func (v *violations) addf(reason, field, msg string) {
	v.list = append(v.list, herken.Invalid(reason, field, "%s", msg))
}

// err returns nil or one INVALID_ARGUMENT status listing every violation.
func (v *violations) err() error {
	if len(v.list) == 0 {
		return nil
	}
	first := v.list[0]
	md := map[string]string{"field": first.Field}
	for k, val := range first.Metadata {
		md[k] = val
	}
	if len(v.list) > 1 {
		md["violations"] = strconv.Itoa(len(v.list))
	}
	br := &errdetails.BadRequest{}
	for _, e := range v.list {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: e.Field, Description: e.Message, Reason: e.Reason})
	}
	st, err := status.New(codes.InvalidArgument, first.Field+": "+first.Message).
		WithDetails(&errdetails.ErrorInfo{Reason: first.Reason, Domain: ErrorDomain, Metadata: md}, br)
	if err != nil {
		return status.Error(codes.InvalidArgument, first.Field+": "+first.Message)
	}
	return st.Err()
}

// invalidFields turns a domain error that is one or several (errors.Join)
// INVALID_ARGUMENT errors into one status listing them all; prefix places
// each domain field in the request. It returns nil for any other error.
func invalidFields(err error, prefix func(field string) string) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var v violations
	for _, e := range list {
		de, ok := herken.AsError(e)
		if !ok || de.Code != herken.CodeInvalidArgument {
			return nil
		}
		v.add(de, prefix(de.Field))
	}
	return v.err()
}
