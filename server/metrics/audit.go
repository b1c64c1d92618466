package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/herken/herken/internal/audit"
)

// WatchAudit publishes the audit recorder's state, read at every scrape:
// records written, waiting, failed sink writes, calls that waited for room
// in a full buffer, and records lost (any is an alert).
func (m *Metrics) WatchAudit(stats func() audit.Stats) error {
	return m.reg.Register(auditCollector{stats})
}

var (
	auditWrittenDesc = prometheus.NewDesc("herken_audit_records_written_total", "Audit records written to the store since start.", nil, nil)
	auditPendingDesc = prometheus.NewDesc("herken_audit_records_pending", "Audit records waiting to be written.", nil, nil)
	auditFailDesc    = prometheus.NewDesc("herken_audit_write_failures_total", "Audit batch writes that failed and were retried.", nil, nil)
	auditBlockedDesc = prometheus.NewDesc("herken_audit_blocked_calls_total", "Calls that waited because the audit buffer was full (the store is not keeping up).", nil, nil)
	auditLostDesc    = prometheus.NewDesc("herken_audit_records_lost_total", "Audit records never written (handed over after close, or given up at shutdown).", nil, nil)
)

type auditCollector struct{ stats func() audit.Stats }

func (c auditCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{auditWrittenDesc, auditPendingDesc, auditFailDesc, auditBlockedDesc, auditLostDesc} {
		ch <- d
	}
}

func (c auditCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(auditWrittenDesc, prometheus.CounterValue, float64(s.Written))
	ch <- prometheus.MustNewConstMetric(auditPendingDesc, prometheus.GaugeValue, float64(s.Pending))
	ch <- prometheus.MustNewConstMetric(auditFailDesc, prometheus.CounterValue, float64(s.Failures))
	ch <- prometheus.MustNewConstMetric(auditBlockedDesc, prometheus.CounterValue, float64(s.Blocked))
	ch <- prometheus.MustNewConstMetric(auditLostDesc, prometheus.CounterValue, float64(s.Lost+s.Dropped))
}
