package herken

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/herken/herken/identity"
)

// Code classifies a domain error. The gRPC layer maps each Code to exactly one
// status code (server/errors.go); the domain itself knows nothing of gRPC.
type Code int

const (
	CodeInternal           Code = iota // a bug or a store failure
	CodeInvalidArgument                // the request itself is wrong
	CodeNotFound                       // the addressed resource does not exist
	CodeAlreadyExists                  // a uniqueness rule would be broken
	CodeFailedPrecondition             // the request is fine but the state does not allow it
	CodeAborted                        // optimistic concurrency lost (stale etag)
	CodeResourceExhausted              // a documented limit was reached
	CodeUnavailable                    // the store cannot serve right now; retry
	CodePermissionDenied               // the caller may not see this resource
)

// Reasons are the machine-readable ErrorInfo reasons. They are part of the API
// contract (documented in proto/herken/v1/errors.proto): never rename one.
const (
	ReasonInvalidArgument       = "INVALID_ARGUMENT"
	ReasonPhoneInvalid          = identity.ReasonPhoneInvalid
	ReasonEmailInvalid          = identity.ReasonEmailInvalid
	ReasonSocialHandleInvalid   = identity.ReasonSocialHandleInvalid
	ReasonSocialPlatformInvalid = identity.ReasonSocialPlatformInvalid
	ReasonExternalIDInvalid     = identity.ReasonExternalIDInvalid
	ReasonPostalAddressInvalid  = identity.ReasonPostalAddressInvalid
	ReasonQueryUnrecognized     = identity.ReasonQueryUnrecognized
	ReasonIdentifierMissing     = identity.ReasonIdentifierMissing
	ReasonIdentifierWithheld    = "IDENTIFIER_WITHHELD"
	ReasonIdentifierLinked      = "IDENTIFIER_ALREADY_LINKED"
	ReasonIdentifierShareLimit  = "IDENTIFIER_SHARE_LIMIT"
	ReasonIdentifierNotLinked   = "IDENTIFIER_NOT_LINKED"
	ReasonIdentifierAmbiguous   = "IDENTIFIER_AMBIGUOUS"
	ReasonCustomerNotFound      = "CUSTOMER_NOT_FOUND"
	ReasonResourceNameInvalid   = "RESOURCE_NAME_INVALID"
	ReasonFieldInvalid          = "FIELD_INVALID"
	ReasonFieldTooLong          = identity.ReasonFieldTooLong
	ReasonFieldRequired         = "FIELD_REQUIRED"
	ReasonTooManyValues         = "TOO_MANY_VALUES"
	ReasonEnumInvalid           = identity.ReasonEnumInvalid
	ReasonTimeInvalid           = "TIME_INVALID"
	ReasonRequestIDInvalid      = "REQUEST_ID_INVALID"
	ReasonRequestIDReused       = "REQUEST_ID_REUSED"
	ReasonStoreUnavailable      = "STORE_UNAVAILABLE"
	ReasonInternal              = "INTERNAL"
	ReasonPromiseNotFound       = "PROMISE_NOT_FOUND"
	ReasonPromiseNotOpen        = "PROMISE_NOT_OPEN"
	ReasonInteractionNotFound   = "INTERACTION_NOT_FOUND"
	ReasonPageTokenInvalid      = "PAGE_TOKEN_INVALID"
	ReasonFeedbackSubmitted     = "FEEDBACK_ALREADY_SUBMITTED"
	ReasonFeedbackMissing       = "FEEDBACK_MISSING"
	ReasonFeedbackAnswered      = "FEEDBACK_ALREADY_ANSWERED"
	ReasonRegionInvalid         = identity.ReasonRegionInvalid
	ReasonEtagMismatch          = "ETAG_MISMATCH"
	ReasonIdentifierBlocked     = "IDENTIFIER_BLOCKED"
	ReasonIdentifierLimit       = "IDENTIFIER_LIMIT"
	ReasonCustomerErased        = "CUSTOMER_ERASED"
	ReasonCustomerMerged        = "CUSTOMER_MERGED"
	ReasonCustomerNotMerged     = "CUSTOMER_NOT_MERGED"
	ReasonMergeIntoSelf         = "MERGE_INTO_SELF"
	ReasonBackupUnsupported     = "BACKUP_UNSUPPORTED"
	ReasonExternalIDDuplicate   = "EXTERNAL_ID_DUPLICATE"
	ReasonScreenPopNotAllowed   = "SCREEN_POP_CUSTOMER_NOT_ALLOWED"
)

// Error is a domain error: a class (Code), a machine reason, and optionally the
// field it concerns. Message and Metadata must never contain personal data:
// they name fields and limits, not values.
type Error struct {
	Code     Code
	Reason   string
	Field    string // path relative to the value validated, e.g. "phone_number"; "" if not about one field
	Message  string
	Metadata map[string]string
	Err      error // wrapped cause, if any; never shown to clients
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Reason
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCustomerNotFound) and friends match on the reason,
// so a sentinel matches any instance carrying more detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason && t.Code == e.Code
}

// WithField returns a copy of e that concerns field. A non-empty existing field
// is kept as a suffix ("identifiers[2]" + "phone_number").
func (e *Error) WithField(prefix string) *Error {
	c := *e
	switch {
	case prefix == "":
	case c.Field == "":
		c.Field = prefix
	default:
		c.Field = prefix + "." + c.Field
	}
	return &c
}

// Sentinel errors for errors.Is. Functions return richer *Error values with the
// same Code and Reason.
var (
	ErrCustomerNotFound    = &Error{Code: CodeNotFound, Reason: ReasonCustomerNotFound, Message: "customer not found"}
	ErrIdentifierNotFound  = &Error{Code: CodeNotFound, Reason: ReasonIdentifierNotLinked, Message: "identifier is not linked to any customer"}
	ErrAlreadyLinked       = &Error{Code: CodeAlreadyExists, Reason: ReasonIdentifierLinked, Message: "identifier is already linked to another customer"}
	ErrShareLimit          = &Error{Code: CodeFailedPrecondition, Reason: ReasonIdentifierShareLimit, Message: "identifier is shared by the maximum number of customers"}
	ErrAmbiguous           = &Error{Code: CodeFailedPrecondition, Reason: ReasonIdentifierAmbiguous, Message: "identifier is shared by several customers; address the customer by name"}
	ErrWithheld            = &Error{Code: CodeInvalidArgument, Reason: ReasonIdentifierWithheld, Message: "caller id is withheld and cannot identify a customer"}
	ErrRequestIDReused     = &Error{Code: CodeFailedPrecondition, Reason: ReasonRequestIDReused, Message: "request_id was already used for a different request"}
	ErrUnavailable         = &Error{Code: CodeUnavailable, Reason: ReasonStoreUnavailable, Message: "store unavailable"}
	ErrPromiseNotFound     = &Error{Code: CodeNotFound, Reason: ReasonPromiseNotFound, Message: "promise not found"}
	ErrPromiseNotOpen      = &Error{Code: CodeFailedPrecondition, Reason: ReasonPromiseNotOpen, Message: "promise is no longer open"}
	ErrInteractionNotFound = &Error{Code: CodeNotFound, Reason: ReasonInteractionNotFound, Message: "interaction not found"}
	ErrPageToken           = &Error{Code: CodeInvalidArgument, Reason: ReasonPageTokenInvalid, Field: "page_token", Message: "page token is invalid or belongs to other filters"}
	ErrFeedbackSubmitted   = &Error{Code: CodeFailedPrecondition, Reason: ReasonFeedbackSubmitted, Message: "the interaction already has feedback"}
	ErrFeedbackMissing     = &Error{Code: CodeFailedPrecondition, Reason: ReasonFeedbackMissing, Message: "the interaction has no feedback"}
	ErrFeedbackAnswered    = &Error{Code: CodeFailedPrecondition, Reason: ReasonFeedbackAnswered, Message: "the feedback was already answered"}
	ErrEtagMismatch        = &Error{Code: CodeAborted, Reason: ReasonEtagMismatch, Field: "customer.etag", Message: "the customer changed since it was read; read it again"}
	ErrIdentifierBlocked   = &Error{Code: CodeInvalidArgument, Reason: ReasonIdentifierBlocked, Message: "identifier is a placeholder on the blocklist"}
	ErrIdentifierLimit     = &Error{Code: CodeFailedPrecondition, Reason: ReasonIdentifierLimit, Message: "the customer would hold too many identifiers", Metadata: map[string]string{"limit": strconv.Itoa(MaxIdentifiers)}}
	ErrCustomerErased      = &Error{Code: CodeNotFound, Reason: ReasonCustomerErased, Message: "customer was erased"}
	// ErrCustomerMerged: Metadata "survivor" holds the survivor's id (the
	// server turns it into a resource name).
	ErrCustomerMerged    = &Error{Code: CodeFailedPrecondition, Reason: ReasonCustomerMerged, Message: "customer was merged into another"}
	ErrCustomerNotMerged = &Error{Code: CodeFailedPrecondition, Reason: ReasonCustomerNotMerged, Message: "customer is not merged into another"}
	ErrMergeIntoSelf     = &Error{Code: CodeInvalidArgument, Reason: ReasonMergeIntoSelf, Message: "a customer cannot be merged into itself"}
	// ErrBackupUnsupported: the store cannot take an online backup (the
	// memory store, an in-memory Badger store).
	ErrBackupUnsupported = &Error{Code: CodeFailedPrecondition, Reason: ReasonBackupUnsupported, Message: "this store cannot be backed up online"}
)

// CustomerMerged is ErrCustomerMerged naming the survivor.
func CustomerMerged(survivor string) *Error {
	e := *ErrCustomerMerged
	e.Metadata = map[string]string{"survivor": survivor}
	return &e
}

// invalid builds an INVALID_ARGUMENT domain error about field.
func invalid(reason, field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidArgument, Reason: reason, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Invalid is invalid for callers outside the package (the server's validation).
func Invalid(reason, field, format string, args ...any) *Error {
	return invalid(reason, field, format, args...)
}

// AsError returns err as *Error when it is one (or wraps one). An
// identifier that could not be read (*identity.Error) is returned as the
// INVALID_ARGUMENT *Error it is, so callers handle one error type.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	var ie *identity.Error
	if errors.As(err, &ie) {
		return &Error{Code: CodeInvalidArgument, Reason: ie.Reason, Field: ie.Field, Message: ie.Message, Metadata: ie.Metadata}, true
	}
	return nil, false
}
