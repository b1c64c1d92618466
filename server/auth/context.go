package auth

import "context"

// Identity is an authenticated caller: the keys file entry it matched.
type Identity struct {
	Name   string
	Scopes []Scope
	// Certificate is true when a client certificate, not a bearer key,
	// authenticated the call.
	Certificate bool
}

// Has reports whether the identity holds scope s; every identity holds
// ScopeAnyKey.
func (id Identity) Has(s Scope) bool {
	return s == ScopeAnyKey || hasScope(id.Scopes, s)
}

type identityKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the identity the auth interceptor put in ctx; ok is
// false for a call that was not authenticated (no keyring, or an exempt
// RPC such as health).
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}
