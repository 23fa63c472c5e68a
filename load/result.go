// Package load drives many connections at an uppercase echo server and
// measures what it sees: connection set-up, throughput, round-trip latency
// from an HDR histogram, errors by kind, and the generator's own CPU cost.
//
// Run dials Config.Conns connections, runs traffic for Config.Warmup
// (unmeasured) and Config.Duration (measured), drains what is still owed
// and returns a Result; NewTextReporter and NewJSONReporter render it. Every
// byte back is checked against the uppercase of what was sent, and every
// failure is counted by kind in Result.Errors, never dropped.
//
// A run that needs more open files than one process may hold is split over
// worker processes (Config.WorkerCommand, ServeWorker) that start their
// traffic together and whose results Merge adds up exactly, histograms
// included.
//
// In pingpong over loopback TCP about nine tenths of the generator's CPU is
// the kernel's work for one write and one read a message, the same work the
// server does: a generator cannot spend much less per message than the
// server it drives, so compare Result.GeneratorCPUPerMsg with the server's
// before reading a pingpong throughput as the server's.
package load

import "time"

// Result is what one load run measured. It is the JSON that `upcase-gnet load
// --json` prints and that worker processes hand back to be merged; compare
// reads it too. Latencies are in microseconds.
type Result struct {
	Target   string        `json:"target"`   // "tcp 127.0.0.1:1060" or "unix /path"
	Mode     string        `json:"mode"`     // "pingpong" or "stream"
	Conns    int           `json:"conns"`    // connections asked for
	Size     int           `json:"size"`     // bytes per message (pingpong) or per write (stream)
	Rate     float64       `json:"rate"`     // messages/s cap per connection, 0 = none
	Duration time.Duration `json:"duration"` // measured time, warm-up excluded (ns)
	Workers  int           `json:"workers"`  // processes that generated the load
	Engine   string        `json:"generator"`

	Connected     int               `json:"connected"`      // connections established
	ConnectFailed map[string]uint64 `json:"connect_failed"` // failed dials by reason
	ConnectP50    float64           `json:"connect_p50_us"`
	ConnectP99    float64           `json:"connect_p99_us"`

	Messages      uint64  `json:"messages"`       // complete round trips (pingpong) or verified writes (stream)
	MessagesPerS  float64 `json:"messages_per_s"` // Messages / Duration
	BytesSent     uint64  `json:"bytes_sent"`
	BytesReceived uint64  `json:"bytes_received"` // verified bytes back
	MBPerSOut     float64 `json:"mb_per_s_out"`   // 1 MB = 1e6 bytes
	MBPerSIn      float64 `json:"mb_per_s_in"`

	Latency Latency `json:"latency_us"` // round trip, pingpong; write-to-verified-read, stream

	Errors map[string]uint64 `json:"errors"` // "mismatch", "short", "reset", "timeout", ... by kind

	GeneratorCPU       time.Duration `json:"generator_cpu"`            // user+system CPU of the generator process(es) (ns)
	GeneratorCPUPerMsg float64       `json:"generator_cpu_us_per_msg"` // microseconds of generator CPU per message

	// Histogram is the encoded HDR histogram of round-trip latency, so that
	// results from several workers merge exactly: nanoseconds, in
	// HdrHistogram's compressed V2 encoding, base64 (DecodeHistogram).
	Histogram string `json:"histogram,omitempty"`

	// Warmup is the unmeasured traffic time before Duration (ns).
	Warmup time.Duration `json:"warmup"`
	// ConnectTime is how long establishing every connection took (ns).
	ConnectTime time.Duration `json:"connect_time"`
	// ConnectHistogram is the encoded HDR histogram of connect latency in
	// nanoseconds, merged like Histogram.
	ConnectHistogram string `json:"connect_histogram,omitempty"`
	// SourceAddrs are the local addresses connections were spread over;
	// empty when the kernel chose.
	SourceAddrs []string `json:"source_addrs,omitempty"`
}

// Latency summarises a latency distribution in microseconds.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}
