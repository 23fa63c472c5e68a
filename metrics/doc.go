// Package metrics exports a running server's counters as Prometheus
// metrics, and serves them (with Go's profiling endpoints, optionally) over
// HTTP.
//
// The collector keeps no counters of its own: every scrape reads
// server.Stats, so what Prometheus sees is what the server counted, with no
// second bookkeeping to drift from it. The package never prints.
package metrics
