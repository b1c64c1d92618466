package client

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is a herken error status in typed form. Every method of Client,
// and every call through its stubs (Client.Customers, ...), returns a
// *Error for an error status, built from the status and its details as
// they arrived: no extra call.
//
// Match it with errors.Is against the sentinels below: a code sentinel
// (ErrNotFound, ErrUnavailable, ...) matches every error of its code, a
// reason sentinel (ErrCustomerNotFound, ErrRateLimited, ...) every error
// with its ErrorInfo reason:
//
//	if errors.Is(err, client.ErrNotFound) { ... }        // any NOT_FOUND
//	if errors.Is(err, client.ErrCustomerErased) { ... }  // NOT_FOUND / CUSTOMER_ERASED
//
// A *Error is also a gRPC status error again (GRPCStatus), so
// status.Code(err) and status.FromError(err) keep working.
type Error struct {
	Code codes.Code
	// Reason is the ErrorInfo reason, e.g. "PHONE_NUMBER_INVALID"
	// (proto/herken/v1/errors.proto); "" when the status has none (a
	// DEADLINE_EXCEEDED or UNAVAILABLE made by gRPC itself).
	Reason string
	// Message is the status message: it names fields and rules, never
	// personal data.
	Message string
	// Metadata is the ErrorInfo metadata, e.g. "customer" (the holder of
	// an identifier) or "survivor" (of a merged customer).
	Metadata map[string]string
	// FieldViolations are the BadRequest field violations of an
	// INVALID_ARGUMENT: every invalid field of the request.
	FieldViolations []FieldViolation
	// RetryDelay is the RetryInfo delay: how long to wait before calling
	// again (RATE_LIMITED). 0 when the status has none.
	RetryDelay time.Duration

	st *status.Status // as received; nil for sentinels
}

// FieldViolation names one invalid request field.
type FieldViolation struct {
	Field, Reason, Description string
}

// Error is "<message> (<CODE> / <REASON>)", e.g. "customer not found
// (NOT_FOUND / CUSTOMER_NOT_FOUND)", or "<message> (<CODE>)" without a
// reason. It has no "herken:" prefix: the program printing it adds its own.
func (e *Error) Error() string {
	code := CodeName(e.Code)
	msg := e.Message
	if msg == "" {
		msg = strings.ToLower(strings.ReplaceAll(code, "_", " "))
	}
	if e.Reason == "" {
		return msg + " (" + code + ")"
	}
	return msg + " (" + code + " / " + e.Reason + ")"
}

// Is makes errors.Is match:
//   - a target *Error with a Reason: on the reason alone, so
//     errors.Is(err, &client.Error{Reason: "CUSTOMER_NOT_FOUND"}) works as
//     errors.Is(err, client.ErrCustomerNotFound) does;
//   - a target *Error without a Reason: on the code (the code sentinels);
//   - context.DeadlineExceeded and context.Canceled: on DEADLINE_EXCEEDED
//     and CANCELLED, so code that checks for context errors keeps working.
func (e *Error) Is(target error) bool {
	switch target {
	case context.DeadlineExceeded:
		return e.Code == codes.DeadlineExceeded
	case context.Canceled:
		return e.Code == codes.Canceled
	}
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Reason != "" {
		return t.Reason == e.Reason
	}
	return t.Code != codes.OK && t.Code == e.Code
}

// GRPCStatus returns the status e was made from (for sentinels, one of
// their code and message), so that status.FromError and status.Code see
// through a *Error.
func (e *Error) GRPCStatus() *status.Status {
	if e.st != nil {
		return e.st
	}
	return status.New(e.Code, e.Message)
}

// Retryable reports whether the same call may succeed when made again
// later: UNAVAILABLE (a restarting server, a store hiccup; the client
// already retried reads a few times), DEADLINE_EXCEEDED, and
// RESOURCE_EXHAUSTED with a RetryDelay (RATE_LIMITED: wait RetryDelay
// first). Retry a write with the same request_id, so that it is not
// applied twice. Everything else needs a different request.
func (e *Error) Retryable() bool {
	switch e.Code {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	case codes.ResourceExhausted:
		return e.RetryDelay > 0 || e.Reason == ErrRateLimited.Reason
	}
	return false
}

// Retryable reports whether err is a *Error that is Retryable.
func Retryable(err error) bool {
	e := AsError(err)
	return e != nil && e.Retryable()
}

// AsError converts an error returned by a herken RPC into *Error. It returns
// nil for nil and for errors that are not gRPC statuses (io.EOF, a
// client-side error).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	e := &Error{Code: st.Code(), Message: st.Message(), st: st}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Metadata = d.GetReason(), d.GetMetadata()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{Field: v.GetField(), Reason: v.GetReason(), Description: v.GetDescription()})
			}
		case *errdetails.RetryInfo:
			e.RetryDelay = d.GetRetryDelay().AsDuration()
		}
	}
	return e
}

// convert returns err as a *Error when it is a status, else unchanged
// (nil, io.EOF).
func convert(err error) error {
	if err == nil {
		return nil
	}
	if e := AsError(err); e != nil {
		return e
	}
	return err
}

// Reason returns the ErrorInfo reason of err, or "" if it has none.
func Reason(err error) string {
	if e := AsError(err); e != nil {
		return e.Reason
	}
	return ""
}

// CodeName is c as the gRPC and proto documentation write it:
// codes.NotFound is "NOT_FOUND".
func CodeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return c.String()
}

var codeNames = [...]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

// Code sentinels: errors.Is(err, ErrNotFound) is true for every NOT_FOUND,
// whatever its reason.
var (
	ErrCanceled           = &Error{Code: codes.Canceled, Message: "cancelled"}
	ErrInvalidArgument    = &Error{Code: codes.InvalidArgument, Message: "invalid argument"}
	ErrDeadlineExceeded   = &Error{Code: codes.DeadlineExceeded, Message: "deadline exceeded"}
	ErrNotFound           = &Error{Code: codes.NotFound, Message: "not found"}
	ErrAlreadyExists      = &Error{Code: codes.AlreadyExists, Message: "already exists"}
	ErrPermissionDenied   = &Error{Code: codes.PermissionDenied, Message: "permission denied"}
	ErrResourceExhausted  = &Error{Code: codes.ResourceExhausted, Message: "resource exhausted"}
	ErrFailedPrecondition = &Error{Code: codes.FailedPrecondition, Message: "failed precondition"}
	ErrAborted            = &Error{Code: codes.Aborted, Message: "aborted"}
	ErrUnimplemented      = &Error{Code: codes.Unimplemented, Message: "not implemented by this server"}
	ErrInternal           = &Error{Code: codes.Internal, Message: "internal error"}
	ErrUnavailable        = &Error{Code: codes.Unavailable, Message: "unavailable"}
	ErrUnauthenticated    = &Error{Code: codes.Unauthenticated, Message: "unauthenticated"}
)

// Reason sentinels: errors.Is(err, ErrCustomerNotFound) is true for every
// error with the reason CUSTOMER_NOT_FOUND. One per reason of
// proto/herken/v1/errors.proto (INTERNAL and INVALID_ARGUMENT are the code
// sentinels ErrInternal and ErrInvalidArgument); the code is the one the
// server sends with it, documentation only: matching is on the reason.
var (
	ErrPhoneNumberInvalid       = reason(codes.InvalidArgument, "PHONE_NUMBER_INVALID", "phone number is invalid")
	ErrEmailInvalid             = reason(codes.InvalidArgument, "EMAIL_INVALID", "e-mail address is invalid")
	ErrSocialHandleInvalid      = reason(codes.InvalidArgument, "SOCIAL_HANDLE_INVALID", "social handle is invalid")
	ErrSocialPlatformInvalid    = reason(codes.InvalidArgument, "SOCIAL_PLATFORM_INVALID", "social platform is invalid")
	ErrExternalIDInvalid        = reason(codes.InvalidArgument, "EXTERNAL_ID_INVALID", "external id is invalid")
	ErrPostalAddressInvalid     = reason(codes.InvalidArgument, "POSTAL_ADDRESS_INVALID", "postal address is invalid")
	ErrQueryUnrecognized        = reason(codes.InvalidArgument, "QUERY_UNRECOGNIZED", "query is not a recognised identifier")
	ErrIdentifierMissing        = reason(codes.InvalidArgument, "IDENTIFIER_MISSING", "identifier is missing")
	ErrIdentifierWithheld       = reason(codes.InvalidArgument, "IDENTIFIER_WITHHELD", "caller id is withheld")
	ErrIdentifierAlreadyLinked  = reason(codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifier is already linked to another customer")
	ErrIdentifierShareLimit     = reason(codes.FailedPrecondition, "IDENTIFIER_SHARE_LIMIT", "identifier is shared by the maximum number of customers")
	ErrIdentifierNotLinked      = reason(codes.NotFound, "IDENTIFIER_NOT_LINKED", "identifier is not linked")
	ErrIdentifierAmbiguous      = reason(codes.FailedPrecondition, "IDENTIFIER_AMBIGUOUS", "identifier is shared by several customers")
	ErrCustomerNotFound         = reason(codes.NotFound, "CUSTOMER_NOT_FOUND", "customer not found")
	ErrResourceNameInvalid      = reason(codes.InvalidArgument, "RESOURCE_NAME_INVALID", "resource name is invalid")
	ErrFieldInvalid             = reason(codes.InvalidArgument, "FIELD_INVALID", "field is invalid")
	ErrFieldTooLong             = reason(codes.InvalidArgument, "FIELD_TOO_LONG", "field is too long")
	ErrFieldRequired            = reason(codes.InvalidArgument, "FIELD_REQUIRED", "field is required")
	ErrTooManyValues            = reason(codes.InvalidArgument, "TOO_MANY_VALUES", "too many values")
	ErrEnumValueInvalid         = reason(codes.InvalidArgument, "ENUM_VALUE_INVALID", "enum value is invalid")
	ErrTimeInvalid              = reason(codes.InvalidArgument, "TIME_INVALID", "time is invalid")
	ErrRequestIDInvalid         = reason(codes.InvalidArgument, "REQUEST_ID_INVALID", "request_id is invalid")
	ErrRequestIDReused          = reason(codes.FailedPrecondition, "REQUEST_ID_REUSED", "request_id was already used for a different request")
	ErrStoreUnavailable         = reason(codes.Unavailable, "STORE_UNAVAILABLE", "store unavailable")
	ErrRegionInvalid            = reason(codes.InvalidArgument, "REGION_INVALID", "region is invalid")
	ErrPromiseNotFound          = reason(codes.NotFound, "PROMISE_NOT_FOUND", "promise not found")
	ErrPromiseNotOpen           = reason(codes.FailedPrecondition, "PROMISE_NOT_OPEN", "promise is no longer open")
	ErrInteractionNotFound      = reason(codes.NotFound, "INTERACTION_NOT_FOUND", "interaction not found")
	ErrPageTokenInvalid         = reason(codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page token is invalid")
	ErrFeedbackAlreadySubmitted = reason(codes.FailedPrecondition, "FEEDBACK_ALREADY_SUBMITTED", "the interaction already has feedback")
	ErrFeedbackMissing          = reason(codes.FailedPrecondition, "FEEDBACK_MISSING", "the interaction has no feedback")
	ErrFeedbackAlreadyAnswered  = reason(codes.FailedPrecondition, "FEEDBACK_ALREADY_ANSWERED", "the feedback was already answered")
	ErrEtagMismatch             = reason(codes.Aborted, "ETAG_MISMATCH", "the customer changed since it was read")
	ErrIdentifierBlocked        = reason(codes.InvalidArgument, "IDENTIFIER_BLOCKED", "identifier is on the blocklist")
	ErrIdentifierLimit          = reason(codes.FailedPrecondition, "IDENTIFIER_LIMIT", "the customer would hold too many identifiers")
	ErrCustomerErased           = reason(codes.NotFound, "CUSTOMER_ERASED", "customer was erased")
	ErrCustomerMerged           = reason(codes.FailedPrecondition, "CUSTOMER_MERGED", "customer was merged into another")
	ErrCustomerNotMerged        = reason(codes.FailedPrecondition, "CUSTOMER_NOT_MERGED", "customer is not merged into another")
	ErrMergeIntoSelf            = reason(codes.InvalidArgument, "MERGE_INTO_SELF", "a customer cannot be merged into itself")
	ErrAPIKeyMissing            = reason(codes.Unauthenticated, "API_KEY_MISSING", "API key missing")
	ErrAPIKeyInvalid            = reason(codes.Unauthenticated, "API_KEY_INVALID", "API key invalid")
	ErrScopeMissing             = reason(codes.PermissionDenied, "SCOPE_MISSING", "the API key lacks the scope this call needs")
	ErrRateLimited              = reason(codes.ResourceExhausted, "RATE_LIMITED", "rate limit of this API key exceeded")
	ErrBackupUnsupported        = reason(codes.FailedPrecondition, "BACKUP_UNSUPPORTED", "this store cannot be backed up online")
	ErrScreenPopLinkInvalid     = reason(codes.Unauthenticated, "SCREEN_POP_LINK_INVALID", "not a valid screen pop link")
	ErrScreenPopLinkExpired     = reason(codes.Unauthenticated, "SCREEN_POP_LINK_EXPIRED", "the screen pop link has expired")
	ErrScreenPopUnavailable     = reason(codes.FailedPrecondition, "SCREEN_POP_UNAVAILABLE", "this server has no screen pop")
	ErrScreenPopNotAllowed      = reason(codes.PermissionDenied, "SCREEN_POP_CUSTOMER_NOT_ALLOWED", "the screen pop link may not open that customer")
)

// reasonSentinels lists the reason sentinels (a test checks them against
// the proto's ErrorReason enum).
var reasonSentinels []*Error

func reason(code codes.Code, r, msg string) *Error {
	e := &Error{Code: code, Reason: r, Message: msg}
	reasonSentinels = append(reasonSentinels, e)
	return e
}
