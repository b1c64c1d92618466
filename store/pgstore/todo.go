package pgstore

import "github.com/herken/herken"

// errTODO marks a method not written yet (removed when every method is).
var errTODO = &herken.Error{Code: herken.CodeInternal, Reason: herken.ReasonInternal, Message: "pgstore: not implemented yet"}
