package server

// AuditRule reports whether method has an audit rule, and whether that rule
// records anything (false: the method touches no single customer).
func AuditRule(method string) (ok, records bool) {
	r, ok := auditRules[method]
	return ok, r.name != nil
}
