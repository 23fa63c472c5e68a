package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/upcase-gnet/upcase-gnet/server"
)

// Namespace prefixes every metric name this package exports.
const Namespace = "upcase_gnet"

// StatsSource is what the collector reads at scrape time. *server.Server is
// one.
type StatsSource interface {
	Stats() server.Stats
}

// RefusedMaxConns is the reason label of connections refused because
// Config.MaxConns were open: the only reason the server refuses an accepted
// connection.
const RefusedMaxConns = "max_conns"

// Collector is a prometheus.Collector over the Stats of one or more servers,
// each labelled by its engine.
type Collector struct {
	sources []StatsSource

	open, accepted, refused, closed                  *prometheus.Desc
	bytesIn, bytesOut, buffered, undelivered, unread *prometheus.Desc
	events, acceptErrors                             *prometheus.Desc
	memory, parked, writeBlocks                      *prometheus.Desc
}

// NewCollector returns a Collector over sources. Give each source a
// different engine: two sources of one engine would export the same series
// twice, which a registry rejects at scrape time.
func NewCollector(sources ...StatsSource) *Collector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help,
			append([]string{"engine"}, labels...), nil)
	}
	return &Collector{
		sources:      sources,
		open:         desc("connections_open", "Connections open now, including those finishing their echo after the client shut down its side."),
		accepted:     desc("connections_accepted_total", "Connections admitted."),
		refused:      desc("connections_refused_total", "Connections closed at once without being served, by reason (max_conns: the connection limit was reached).", "reason"),
		closed:       desc("connections_closed_total", "Admitted connections that finished, by reason ("+closeReasonList()+").", "reason"),
		bytesIn:      desc("received_bytes_total", "Bytes read from clients."),
		bytesOut:     desc("sent_bytes_total", "Bytes written back to clients."),
		buffered:     desc("buffered_bytes", "Bytes held now: input read but not processed, output processed but not sent."),
		undelivered:  desc("undelivered_bytes_total", "Bytes read from clients that never went back (a reset, the memory budget, the drain deadline), each loss logged."),
		unread:       desc("unread_bytes_total", "Bytes clients sent that the server never read because their connection ended first (a stop, or a parked client cut by the finish timeout), each logged; the connection is reset, so that no client takes a cut echo for whole."),
		events:       desc("events_total", "Read events processed (gnet OnTraffic calls that processed bytes, or reads on the goroutine engine)."),
		memory:       desc("buffer_memory_bytes", "Buffer memory held now for the buffered bytes (gnet engine: whole chunks); what --max-memory bounds."),
		parked:       desc("connections_parked", "Connections not read for now because the server holds --max-memory (gnet engine); counted in connections_open."),
		writeBlocks:  desc("write_blocks_total", "Writes that met a full socket buffer, each leaving its connection waiting for the socket to drain."),
		acceptErrors: desc("accept_errors_total", "Accepts that failed, for want of descriptors above all: the engine backs off and serves on, the client waits in the kernel's backlog."),
	}
}

// Describe sends the descriptors of every metric Collect may send.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.accepted, c.refused, c.closed, c.bytesIn, c.bytesOut, c.buffered, c.undelivered, c.unread, c.events, c.acceptErrors, c.memory, c.parked, c.writeBlocks} {
		ch <- d
	}
}

// Collect reads each source's Stats once and sends them as metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, src := range c.sources {
		st := src.Stats()
		e := string(st.Engine)
		gauge := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{e}, labels...)...)
		}
		counter := func(d *prometheus.Desc, v uint64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{e}, labels...)...)
		}
		gauge(c.open, float64(st.Open))
		counter(c.accepted, st.Accepted)
		counter(c.refused, st.Refused, RefusedMaxConns)
		// Every reason the server counts is a label from the first scrape on
		// (at zero), so that rate() and alerts see a series before its first
		// event.
		for _, r := range server.CloseReasons() {
			counter(c.closed, st.Closed[r], string(r))
		}
		counter(c.bytesIn, st.BytesIn)
		counter(c.bytesOut, st.BytesOut)
		gauge(c.buffered, float64(st.Buffered))
		counter(c.undelivered, st.Undelivered)
		counter(c.unread, st.Unread)
		counter(c.events, st.Events)
		counter(c.acceptErrors, st.AcceptErrors)
		gauge(c.memory, float64(st.Memory))
		gauge(c.parked, float64(st.Parked))
		counter(c.writeBlocks, st.WriteBlocks)
	}
}

// closeReasonList is the server's close reasons as the help text lists
// them: "peer, idle, ...".
func closeReasonList() string {
	names := make([]string, 0, len(server.CloseReasons()))
	for _, r := range server.CloseReasons() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// NewRegistry returns a registry with a Collector over sources, and Go's
// runtime and process collectors (go_goroutines, process_open_fds,
// process_resident_memory_bytes, ...), which say whether the server gives
// back what its connections took.
func NewRegistry(sources ...StatsSource) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		NewCollector(sources...),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}
