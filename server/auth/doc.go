// Package auth authenticates herken's callers: API keys (authorization:
// Bearer <key>) and mTLS client certificates that stand for a key, each
// with a name and scopes. The gRPC interceptors that use it live in
// package server (authn.go); this package knows the keys file, the scopes
// and which RPC needs which scope.
//
// # The keys file
//
// One key per line, fields separated by spaces or tabs:
//
//	<name> <scope,scope,...> <hash>
//
//	# PBX and chat widget: recognition only
//	pbx-1    lookup        sha256:6b1f...e0
//	crm-sync lookup,write  sha256:0c7a...9d
//	dpo      admin         sha256:91aa...42
//	ivr-2    lookup        certificate
//
// name is 1 to 64 of a-z, 0-9, '.', '_' and '-', unique in the file; it is
// what logs, metrics, rate limits and the audit trail call the caller.
// scopes is a comma-separated list of lookup, write and admin (see
// ScopeFor); a scope grants only its own RPCs, so a key that must both look
// up and write lists both. hash is "sha256:" and the lowercase hex SHA-256
// of the key exactly as printed (with its "hk_" prefix), or the word
// "certificate": then a verified mTLS client certificate whose Subject
// CommonName, or one of whose DNS or URI SANs, equals name authenticates as
// this entry (a bearer key in the call, if present, is used instead).
// '#' starts a comment; blank lines are ignored. The file holds no key: a
// key is 32 random bytes printed once by `herken keys create` as "hk_"
// and their unpadded base64url encoding.
//
// The server polls the file (Options.ReloadEvery) and swaps in a changed
// file atomically once two reads a period apart agree, so adding or
// revoking a key takes effect within two periods (4s by default) without
// a restart. A file that does not parse is logged (line
// number and rule, never its content) and the keys in force stay.
package auth
