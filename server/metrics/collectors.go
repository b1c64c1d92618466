package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/herken/herken/internal/maintenance"
)

// SweeperStat is one background sweeper's status under its name
// ("promises", "retention", "audit").
type SweeperStat struct {
	Name   string
	Status maintenance.Status
}

// WatchSweepers publishes the sweepers' status, read from stats at every
// scrape (the runner keeps it; nothing is copied in between).
func (m *Metrics) WatchSweepers(stats func() []SweeperStat) error {
	return m.reg.Register(sweeperCollector{stats})
}

var (
	sweeperSweptDesc = prometheus.NewDesc("herken_sweeper_swept_total",
		"Records a sweeper handled (promises broken, interactions or audit records purged) since start.", []string{"sweeper"}, nil)
	sweeperFailedDesc = prometheus.NewDesc("herken_sweeper_failed_runs_total",
		"Sweeper runs that failed since start.", []string{"sweeper"}, nil)
	sweeperLastRunDesc = prometheus.NewDesc("herken_sweeper_last_run_timestamp_seconds",
		"When the sweeper last ran (Unix time); absent before its first run.", []string{"sweeper"}, nil)
	sweeperLastCountDesc = prometheus.NewDesc("herken_sweeper_last_swept",
		"Records the sweeper's last run handled.", []string{"sweeper"}, nil)
	sweeperBacklogDesc = prometheus.NewDesc("herken_sweeper_backlog",
		"1 while the sweeper's last run stopped at its batch limit with more waiting (a backlog), else 0.", []string{"sweeper"}, nil)
)

type sweeperCollector struct{ stats func() []SweeperStat }

func (c sweeperCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sweeperSweptDesc, sweeperFailedDesc, sweeperLastRunDesc, sweeperLastCountDesc, sweeperBacklogDesc} {
		ch <- d
	}
}

func (c sweeperCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.stats() {
		st := s.Status
		ch <- prometheus.MustNewConstMetric(sweeperSweptDesc, prometheus.CounterValue, float64(st.Total), s.Name)
		ch <- prometheus.MustNewConstMetric(sweeperFailedDesc, prometheus.CounterValue, float64(st.FailedRuns), s.Name)
		if !st.LastRun.IsZero() {
			ch <- prometheus.MustNewConstMetric(sweeperLastRunDesc, prometheus.GaugeValue, float64(st.LastRun.UnixNano())/1e9, s.Name)
		}
		ch <- prometheus.MustNewConstMetric(sweeperLastCountDesc, prometheus.GaugeValue, float64(st.LastCount), s.Name)
		backlog := 0.0
		if st.LastLimited {
			backlog = 1
		}
		ch <- prometheus.MustNewConstMetric(sweeperBacklogDesc, prometheus.GaugeValue, backlog, s.Name)
	}
}

// WatchStoreSize publishes the store's size on disk in bytes, read from
// size at every scrape. A scrape where size fails leaves the gauge out
// rather than failing the whole scrape or reporting a wrong 0.
func (m *Metrics) WatchStoreSize(size func() (int64, error)) error {
	return m.reg.Register(storeSizeCollector{size})
}

var storeSizeDesc = prometheus.NewDesc("herken_store_size_bytes",
	"Disk space the store's data directory takes (Badger's files and the key file), in bytes.", nil, nil)

type storeSizeCollector struct{ size func() (int64, error) }

func (c storeSizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- storeSizeDesc }

func (c storeSizeCollector) Collect(ch chan<- prometheus.Metric) {
	n, err := c.size()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(storeSizeDesc, prometheus.GaugeValue, float64(n))
}

// badgerCollector exports Badger's own counters, which it publishes as
// expvar variables (badger/v4 y/metrics.go; they stay 0 unless the store is
// opened with Badger's metrics enabled). Maps are keyed by the data
// directory or by LSM level.
func badgerCollector() prometheus.Collector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return collectors.NewExpvarCollector(map[string]*prometheus.Desc{
		"badger_get_num_user":               desc("badger_get_num_user", "Gets by the application."),
		"badger_get_with_result_num_user":   desc("badger_get_with_result_num_user", "Gets by the application that found a value."),
		"badger_put_num_user":               desc("badger_put_num_user", "Puts by the application."),
		"badger_write_bytes_user":           desc("badger_write_bytes_user", "Bytes written by the application."),
		"badger_iterator_num_user":          desc("badger_iterator_num_user", "Iterators created by the application."),
		"badger_get_num_memtable":           desc("badger_get_num_memtable", "Gets served from memtables."),
		"badger_get_num_lsm":                desc("badger_get_num_lsm", "Gets served by each LSM level.", "level"),
		"badger_hit_num_lsm_bloom_filter":   desc("badger_hit_num_lsm_bloom_filter", "Bloom filter hits by LSM level.", "level"),
		"badger_read_bytes_lsm":             desc("badger_read_bytes_lsm", "Bytes read from the LSM tree."),
		"badger_write_bytes_l0":             desc("badger_write_bytes_l0", "Bytes written to level 0."),
		"badger_write_bytes_compaction":     desc("badger_write_bytes_compaction", "Bytes written by compactions, by target level.", "level"),
		"badger_compaction_current_num_lsm": desc("badger_compaction_current_num_lsm", "Compactions running now."),
		"badger_read_num_vlog":              desc("badger_read_num_vlog", "Value log reads."),
		"badger_read_bytes_vlog":            desc("badger_read_bytes_vlog", "Bytes read from the value log."),
		"badger_write_num_vlog":             desc("badger_write_num_vlog", "Value log writes."),
		"badger_write_bytes_vlog":           desc("badger_write_bytes_vlog", "Bytes written to the value log."),
		"badger_size_bytes_lsm":             desc("badger_size_bytes_lsm", "Size of the LSM tree in bytes, by directory.", "dir"),
		"badger_size_bytes_vlog":            desc("badger_size_bytes_vlog", "Size of the value log in bytes, by directory.", "dir"),
		"badger_write_pending_num_memtable": desc("badger_write_pending_num_memtable", "Writes waiting for the memtable, by directory.", "dir"),
	})
}
