package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/internal/audit"
)

// auditFlags configure the audit trail's recorder (internal/audit): on by
// default, since the AVG asks for it.
type auditFlags struct {
	On            bool
	FlushInterval time.Duration
	Buffer        int
}

func (f *auditFlags) addFlags(e *envFlags) {
	e.Bool(&f.On, "audit", true, "record who read or changed which customer's data (the audit trail of ListAuditRecords and ExportCustomer); --audit=false turns it off")
	e.Duration(&f.FlushInterval, "audit-flush-interval", audit.DefaultFlushInterval, "how often buffered audit records are written (at most 1s): what a kill -9 can lose; a graceful stop loses nothing")
	e.Int(&f.Buffer, "audit-buffer", audit.DefaultBuffer, "audit records that may wait to be written; when full (the store is failing or too slow), calls wait rather than go unaudited")
}

func (f *auditFlags) validate() error {
	if !f.On {
		return nil // the other audit flags do not matter
	}
	var errs []error
	if f.FlushInterval <= 0 || f.FlushInterval > audit.MaxFlushInterval {
		errs = append(errs, fmt.Errorf("--audit-flush-interval must be above 0 and at most %v", audit.MaxFlushInterval))
	}
	// The buffer is allocated at start, about 120 bytes a record.
	if f.Buffer < 1 || f.Buffer > 1_000_000 {
		errs = append(errs, errors.New("--audit-buffer must be between 1 and 1000000"))
	}
	return errors.Join(errs...)
}

// recorder starts the audit recorder writing to svc; nil when audit is off.
// Close it after the gRPC server stopped, so nothing recorded is lost.
func (f *auditFlags) recorder(svc *herken.Service, log *slog.Logger) (*audit.Recorder, error) {
	if !f.On {
		log.Warn("audit trail off (--audit=false): reads and changes of customer data are not recorded")
		return nil, nil
	}
	return audit.New(svc, audit.Options{FlushInterval: f.FlushInterval, Buffer: f.Buffer, Logger: log})
}
