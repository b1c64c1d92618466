// Package auth: PLACEHOLDER, the auth helper replaces this file.
package auth

// Keyring placeholder.
type Keyring struct{}
