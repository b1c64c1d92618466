package server

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strconv"
	"strings"

	"github.com/herken/herken"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// ErrorDomain is the ErrorInfo domain of every herken error.
const ErrorDomain = "herken.v1"

// Reasons of the server's own refusals (errors.proto); the domain's
// reasons are in package herken.
const (
	ReasonAPIKeyMissing = "API_KEY_MISSING"
	ReasonAPIKeyInvalid = "API_KEY_INVALID"
	ReasonScopeMissing  = "SCOPE_MISSING"
	ReasonRateLimited   = "RATE_LIMITED"

	ReasonScreenPopLinkInvalid = "SCREEN_POP_LINK_INVALID"
	ReasonScreenPopLinkExpired = "SCREEN_POP_LINK_EXPIRED"
	ReasonScreenPopUnavailable = "SCREEN_POP_UNAVAILABLE"
)

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
	herken.CodePermissionDenied:   codes.PermissionDenied,
}

// toStatus turns any error a handler meets into the status the client sees:
// every non-OK status carries ErrorInfo, invalid input also BadRequest field
// violations (all of them when the domain joined several). Context errors
// pass through as CANCELLED / DEADLINE_EXCEEDED. Messages name fields and
// rules, never values. under is the request field holding the value the
// domain validated ("customer", "interaction", "promise"; see fieldPrefix),
// "" when the domain's field names are already the request's paths.
func toStatus(ctx context.Context, log *slog.Logger, err error, under string) error {
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
	if list, ok := invalidList(err); ok {
		var v violations
		for _, de := range list {
			v.add(de, fieldPrefix(under, de.Field))
		}
		return v.err()
	}
	de, ok := herken.AsError(err)
	if !ok {
		de = &herken.Error{Code: herken.CodeInternal, Reason: herken.ReasonInternal, Err: err}
	}
	de = de.WithField(fieldPrefix(under, de.Field)) // a copy: sentinels stay untouched
	code, ok := codeOf[de.Code]
	if !ok {
		code = codes.Internal
	}
	if code == codes.Internal || code == codes.Unavailable {
		// The cause may hold storage details; it goes to the log, not the client.
		log.ErrorContext(ctx, "request failed", "code", code.String(), "reason", de.Reason, "error", err)
		if code == codes.Internal {
			de.Message = "internal error"
		}
	}
	// The domain names customers by id; the API names them by resource
	// name: the holder of an identifier (IDENTIFIER_ALREADY_LINKED) and the
	// survivor of a merged customer (CUSTOMER_MERGED).
	var ie *herken.IdentifierError
	if errors.As(err, &ie) && ie.Holder != "" {
		de.Metadata = withMetadata(de.Metadata, "customer", customerName(ie.Holder))
	}
	if id := de.Metadata["survivor"]; id != "" && !strings.HasPrefix(id, customersPrefix) {
		de.Metadata = withMetadata(de.Metadata, "survivor", customerName(id))
	}
	return newStatus(code, de)
}

// withMetadata returns a copy of md with key set to value: the domain's
// maps may belong to sentinels and are never written.
func withMetadata(md map[string]string, key, value string) map[string]string {
	out := maps.Clone(md)
	if out == nil {
		out = map[string]string{}
	}
	out[key] = value
	return out
}

// invalidList returns err's INVALID_ARGUMENT errors when err is one or
// several (errors.Join) of them and nothing else.
func invalidList(err error) ([]*herken.Error, bool) {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	out := make([]*herken.Error, 0, len(list))
	for _, e := range list {
		de, ok := herken.AsError(e)
		if !ok || de.Code != herken.CodeInvalidArgument {
			return nil, false
		}
		out = append(out, de)
	}
	return out, len(out) > 0
}

// fieldPrefix places a domain field in the request of a write: the fields
// of the value written live under `under` ("customer.display_name"); the
// request's own fields (request_id, parent, identifier, identifiers[i])
// and errors about no field in particular stay at the top.
func fieldPrefix(under, field string) string {
	switch {
	case field == "", field == "request_id", field == "parent", strings.HasPrefix(field, "identifier"):
		return ""
	}
	return under
}

// newStatus is the one builder of herken's error statuses. The message
// and ErrorInfo (reason, metadata, "field") come from the first error, with
// metadata "violations" counting them when there are several;
// INVALID_ARGUMENT also carries BadRequest listing every one as a field
// violation (an empty field is the request as a whole).
func newStatus(code codes.Code, errs ...*herken.Error) error {
	first := errs[0]
	msg := first.Message
	if first.Field != "" {
		msg = first.Field + ": " + msg
	}
	md := make(map[string]string, len(first.Metadata)+2)
	maps.Copy(md, first.Metadata)
	if first.Field != "" {
		md["field"] = first.Field
	}
	if len(errs) > 1 {
		md["violations"] = strconv.Itoa(len(errs))
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: first.Reason, Domain: ErrorDomain, Metadata: md}}
	if code == codes.InvalidArgument {
		br := &errdetails.BadRequest{}
		for _, e := range errs {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: e.Field, Description: e.Message, Reason: e.Reason,
			})
		}
		details = append(details, br)
	}
	st := status.New(code, msg)
	withDetails, err := st.WithDetails(details...)
	if err != nil {
		return st.Err()
	}
	return withDetails.Err()
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
	return newStatus(codes.InvalidArgument, v.list...)
}
