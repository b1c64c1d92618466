// Package metrics: PLACEHOLDER, the metrics helper replaces this file.
package metrics

// Metrics placeholder.
type Metrics struct{}
