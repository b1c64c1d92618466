// Package identity holds identifiers — their kinds, canonical forms, the
// normaliser that turns client input into them, the phone fast path, and
// their error reasons — and may import only the standard library,
// github.com/nyaruka/phonenumbers, golang.org/x/text and
// golang.org/x/net/idna: nothing else of herken.
//
// Identifier is the canonical form that is stored, indexed and compared;
// Input is what a client sent; a Normalizer (pure, immutable, safe for
// concurrent use) turns one into the other, and FastPhone gives the
// domain's lookup a candidate for a plainly written phone number without
// running the parser. Customers, matching and storage live in the root
// package herken, which uses this one.
//
// Every error this package returns is an *Error (errors.go) and always
// means invalid input: a Reason constant (an ErrorInfo reason of the API),
// the Field of the input that is wrong and a message that never echoes the
// value.
package identity
