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
// reads it too. Every JSON field that holds a duration or a size names its
// unit: _ns, _us, _ms, _bytes; the README documents the schema.
//
// Latency is from each message's intended send time (its place in the
// pacer's schedule, as wrk2 measures): a paced connection held up by a slow
// reply owes the messages it could not send, and their wait counts.
// LatencyUncorrected is from the actual send. Without a rate cap a message
// is intended when it is sent and the two are the same.
type Result struct {
	Target   string        `json:"target"`       // "tcp 127.0.0.1:1060" or "unix /path"
	Mode     string        `json:"mode"`         // "pingpong", "stream" or "slow"
	Conns    int           `json:"conns"`        // connections asked for
	Size     int           `json:"size_bytes"`   // bytes per message
	Rate     float64       `json:"rate_per_s"`   // messages/s cap per connection, 0 = none
	Window   int           `json:"window_bytes"` // stream: bytes in flight per connection at most, 0 = no window
	Duration time.Duration `json:"duration_ns"`  // measured time, warm-up excluded
	Workers  int           `json:"workers"`      // processes that generated the load
	Engine   string        `json:"generator"`    // "gnet" or "goroutine"

	Connected     int               `json:"connected"`      // connections established
	ConnectFailed map[string]uint64 `json:"connect_failed"` // failed dials by reason
	ConnectP50    float64           `json:"connect_p50_us"`
	ConnectP99    float64           `json:"connect_p99_us"`

	Messages      uint64  `json:"messages"`       // complete round trips (pingpong) or verified messages (stream)
	MessagesPerS  float64 `json:"messages_per_s"` // Messages / Duration
	BytesSent     uint64  `json:"bytes_sent"`
	BytesReceived uint64  `json:"bytes_received"` // verified bytes back
	MBPerSOut     float64 `json:"mb_per_s_out"`   // 1 MB = 1e6 bytes
	MBPerSIn      float64 `json:"mb_per_s_in"`

	// Latency is round trip (pingpong) or write to verified read (stream),
	// from the intended send time.
	Latency Latency `json:"latency"`
	// LatencyUncorrected is the same from the actual send.
	LatencyUncorrected Latency `json:"latency_uncorrected"`

	Errors map[string]uint64 `json:"errors"` // "mismatch", "short", "reset", "timeout", ... by kind

	GeneratorCPU       time.Duration `json:"generator_cpu_ns"`         // user+system CPU of the generator process(es)
	GeneratorCPUPerMsg float64       `json:"generator_cpu_us_per_msg"` // microseconds of generator CPU per message

	// Histogram is the encoded HDR histogram of Latency, so that results
	// from several workers merge exactly: nanoseconds, in HdrHistogram's
	// compressed V2 encoding, base64 (DecodeHistogram).
	Histogram string `json:"histogram,omitempty"`
	// HistogramUncorrected is LatencyUncorrected's, encoded the same way.
	HistogramUncorrected string `json:"histogram_uncorrected,omitempty"`

	// Warmup is the unmeasured traffic time before Duration.
	Warmup time.Duration `json:"warmup_ns"`
	// ConnectTime is how long establishing every connection took.
	ConnectTime time.Duration `json:"connect_time_ns"`
	// ConnectHistogram is the encoded HDR histogram of connect latency in
	// nanoseconds, merged like Histogram.
	ConnectHistogram string `json:"connect_histogram,omitempty"`
	// SourceAddrs are the local addresses connections were spread over;
	// empty when the kernel chose.
	SourceAddrs []string `json:"source_addrs,omitempty"`

	// Slow is what the connections of a slow run got rid of; nil in other
	// modes.
	Slow *SlowResult `json:"slow,omitempty"`

	// Shard is "I/N" when this run was shard I of N (Config.Shard).
	Shard string `json:"shard,omitempty"`
	// WindowStart is the wall-clock time the measured window started.
	WindowStart time.Time `json:"window_start,omitzero"`
	// StartAt is the time the window was asked to start (Config.StartAt).
	StartAt time.Time `json:"start_at,omitzero"`
	// StartSkew is WindowStart less StartAt: how late the window started,
	// 0 for a run connected in time (its window is cut by the clock) and
	// without StartAt.
	StartSkew time.Duration `json:"start_skew_ns,omitempty"`
	// Late is set when the run was not connected in time to start its
	// window at StartAt, and started it as soon as it could.
	Late bool `json:"late,omitempty"`
}

// Latency summarises a latency distribution in microseconds.
type Latency struct {
	Mean float64 `json:"mean_us"`
	P50  float64 `json:"p50_us"`
	P90  float64 `json:"p90_us"`
	P99  float64 `json:"p99_us"`
	P999 float64 `json:"p99_9_us"`
	Max  float64 `json:"max_us"`
}

// SlowResult is what the connections of a Slow run sent to a server they
// never read from.
type SlowResult struct {
	// SendBytes is what each connection tried to send.
	SendBytes int64 `json:"send_bytes"`
	// WrittenBytes is what the connections' sockets accepted, all of them
	// together.
	WrittenBytes uint64 `json:"written_bytes"`
	// TakenBytes is WrittenBytes less what was still queued in this side's
	// kernel at the end (Linux; elsewhere it equals WrittenBytes): the bytes
	// the server's side acknowledged.
	TakenBytes uint64 `json:"taken_bytes"`
	// Complete is the connections whose whole SendBytes were written.
	Complete int `json:"complete_conns"`
	// LastWrite is when, after traffic started, the last byte was written
	// by any connection: how long the server kept taking bytes.
	LastWrite time.Duration `json:"last_write_ns"`
}
