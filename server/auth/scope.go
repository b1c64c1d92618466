package auth

import (
	"fmt"
	"strings"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// Scope is a set of RPCs a key may call.
type Scope string

const (
	// ScopeLookup: RecognitionService (Lookup, Resolve), for the PBX and
	// the chat widget.
	ScopeLookup Scope = "lookup"
	// ScopeWrite: customers, interactions and promises (the CRM sync),
	// except erase and export.
	ScopeWrite Scope = "write"
	// ScopeAdmin: erase, export, the audit trail, backup and maintenance.
	ScopeAdmin Scope = "admin"
	// ScopeAnyKey is what ScopeFor answers for RPCs that any valid key may
	// call (server reflection): authentication, no scope.
	ScopeAnyKey Scope = ""
	// ScopeLink is what ScopeFor answers for GetScreenPop: no key at all;
	// the request carries a screen pop link, which a key with the lookup
	// scope signed. It is no scope a key can hold.
	ScopeLink Scope = "(screen pop link)"
)

// scopes are every scope, in the order the keys file lists them.
var scopes = []Scope{ScopeLookup, ScopeWrite, ScopeAdmin}

// ParseScope parses one scope name.
func ParseScope(s string) (Scope, error) {
	for _, sc := range scopes {
		if string(sc) == s {
			return sc, nil
		}
	}
	return "", fmt.Errorf("unknown scope %q (want lookup, write or admin)", s)
}

// ParseScopes parses a comma-separated scope list; duplicates collapse.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for part := range strings.SplitSeq(s, ",") {
		sc, err := ParseScope(part)
		if err != nil {
			return nil, err
		}
		if !hasScope(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

func formatScopes(list []Scope) string {
	parts := make([]string, len(list))
	for i, sc := range list {
		parts[i] = string(sc)
	}
	return strings.Join(parts, ",")
}

func hasScope(list []Scope, s Scope) bool {
	for _, sc := range list {
		if sc == s {
			return true
		}
	}
	return false
}

// methodScopes is the one table of which scope each herken.v1 RPC needs.
// It names every method on purpose, not whole services: a new RPC has no
// row until someone decides its scope, and until then it is refused (and
// TestScopeTableCoversEveryMethod fails).
var methodScopes = map[string]Scope{
	herkenv1.RecognitionService_Lookup_FullMethodName:  ScopeLookup,
	herkenv1.RecognitionService_Resolve_FullMethodName: ScopeLookup,

	herkenv1.CustomerService_CreateCustomer_FullMethodName:   ScopeWrite,
	herkenv1.CustomerService_GetCustomer_FullMethodName:      ScopeWrite,
	herkenv1.CustomerService_UpdateCustomer_FullMethodName:   ScopeWrite,
	herkenv1.CustomerService_ListCustomers_FullMethodName:    ScopeWrite,
	herkenv1.CustomerService_AddIdentifier_FullMethodName:    ScopeWrite,
	herkenv1.CustomerService_RemoveIdentifier_FullMethodName: ScopeWrite,
	herkenv1.CustomerService_MergeCustomers_FullMethodName:   ScopeWrite,
	herkenv1.CustomerService_UnmergeCustomers_FullMethodName: ScopeWrite,
	herkenv1.CustomerService_EraseCustomer_FullMethodName:    ScopeAdmin,
	herkenv1.CustomerService_ExportCustomer_FullMethodName:   ScopeAdmin,
	// A CRM sync writes customers as CreateCustomer and UpdateCustomer do.
	herkenv1.CustomerService_ImportCustomers_FullMethodName: ScopeWrite,

	herkenv1.InteractionService_RecordInteraction_FullMethodName: ScopeWrite,
	herkenv1.InteractionService_ListInteractions_FullMethodName:  ScopeWrite,
	herkenv1.InteractionService_SubmitFeedback_FullMethodName:    ScopeWrite,
	herkenv1.InteractionService_AnswerFeedback_FullMethodName:    ScopeWrite,

	herkenv1.PromiseService_CreatePromise_FullMethodName: ScopeWrite,
	herkenv1.PromiseService_GetPromise_FullMethodName:    ScopeWrite,
	herkenv1.PromiseService_KeepPromise_FullMethodName:   ScopeWrite,
	herkenv1.PromiseService_CancelPromise_FullMethodName: ScopeWrite,
	herkenv1.PromiseService_ListPromises_FullMethodName:  ScopeWrite,

	herkenv1.AuditService_ListAuditRecords_FullMethodName:           ScopeAdmin,
	herkenv1.BackupService_Backup_FullMethodName:                    ScopeAdmin,
	herkenv1.MaintenanceService_GetMaintenanceStatus_FullMethodName: ScopeAdmin,

	// A PBX or agent desktop asks for a link as it looks a caller up.
	herkenv1.ScreenPopService_CreateScreenPopLink_FullMethodName: ScopeLookup,
	herkenv1.ScreenPopService_GetScreenPop_FullMethodName:        ScopeLink,
}

// ScopeFor is the scope fullMethod ("/herken.v1.CustomerService/GetCustomer")
// needs. ok is false for a method no key may call: any herken.v1 (or other)
// method without a row. Server reflection needs a valid key and no scope
// (ScopeAnyKey): it reveals the API, not data. grpc.health.v1 is not here:
// the server exempts it from authentication altogether.
func ScopeFor(fullMethod string) (Scope, bool) {
	if sc, ok := methodScopes[fullMethod]; ok {
		return sc, true
	}
	if strings.HasPrefix(fullMethod, "/grpc.reflection.") {
		return ScopeAnyKey, true
	}
	return "", false
}
