package identity

import (
	"errors"
	"fmt"
)

// Reasons for an identifier that cannot be read. They are ErrorInfo reasons
// of the API (documented in proto/herken/v1/errors.proto): never rename one.
const (
	ReasonPhoneInvalid          = "PHONE_NUMBER_INVALID"
	ReasonEmailInvalid          = "EMAIL_INVALID"
	ReasonSocialHandleInvalid   = "SOCIAL_HANDLE_INVALID"
	ReasonSocialPlatformInvalid = "SOCIAL_PLATFORM_INVALID"
	ReasonExternalIDInvalid     = "EXTERNAL_ID_INVALID"
	ReasonPostalAddressInvalid  = "POSTAL_ADDRESS_INVALID"
	ReasonQueryUnrecognized     = "QUERY_UNRECOGNIZED"
	ReasonIdentifierMissing     = "IDENTIFIER_MISSING"
	ReasonFieldTooLong          = "FIELD_TOO_LONG"
	ReasonEnumInvalid           = "ENUM_VALUE_INVALID"
	ReasonRegionInvalid         = "REGION_INVALID" // NormalizerConfig.DefaultRegion unknown to the phone metadata
)

// Error says why an input is not an identifier: always invalid input, with
// a machine reason and the field of the input that is wrong. Message and
// Metadata never contain the value itself (it is personal data).
type Error struct {
	Reason   string
	Field    string // the proto field of the input, e.g. "phone_number"
	Message  string
	Metadata map[string]string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Reason
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	return msg
}

// Is makes errors.Is match two errors with the same reason.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

func invalid(reason, field, format string, args ...any) *Error {
	return &Error{Reason: reason, Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err as *Error when it is one (or wraps one).
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
