package load

import (
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

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
	// LastWrite is when, after traffic started, this side's kernel last
	// took bytes of any connection to send: how long the connections kept
	// writing. It is not when the server took them: the socket's send
	// buffer takes bytes the server has not.
	LastWrite time.Duration `json:"last_write_ns"`
	// LastTaken is when, after traffic started, the server's side last took
	// bytes of any connection: TakenBytes grew then. It is read from the
	// sockets every TakenEvery, and is the first reading that found the
	// last byte taken, up to TakenEvery after it; the last reading is taken
	// once the run has ended, so a server still taking bytes then shows the
	// end of the run. Where the socket cannot tell what it still holds
	// (not Linux), it is the last write's time.
	LastTaken time.Duration `json:"last_taken_ns"`
	// TakenEvery is how often LastTaken's readings were taken.
	TakenEvery time.Duration `json:"taken_every_ns"`
}

// setConnectLatency sets the connect percentiles from h.
func (r *Result) setConnectLatency(h *hdr.Histogram) {
	c := summarize(h)
	r.ConnectP50, r.ConnectP99 = c.P50, c.P99
}

// fill fills in the measured totals of r from the tallies, the window and
// the CPU used.
func (r *Result) fill(ts []*tally, window time.Duration, cpu time.Duration) error {
	hs := make([]*hdr.Histogram, 0, len(ts))
	us := make([]*hdr.Histogram, 0, len(ts))
	for _, t := range ts {
		r.Messages += t.messages
		r.BytesSent += t.bytesSent
		r.BytesReceived += t.bytesReceived
		hs = append(hs, t.hist)
		us = append(us, t.histSent)
	}
	r.Duration = window
	r.GeneratorCPU = cpu
	if err := r.setLatency(hs, us); err != nil {
		return err
	}
	r.rates()
	return nil
}

// setLatency merges the corrected (hs) and uncorrected (us) histograms into
// Histogram, HistogramUncorrected and their summaries.
func (r *Result) setLatency(hs, us []*hdr.Histogram) error {
	h, err := MergeHistograms(hs...)
	if err != nil {
		return err
	}
	if r.Histogram, err = EncodeHistogram(h); err != nil {
		return err
	}
	r.Latency = summarize(h)
	if h, err = MergeHistograms(us...); err != nil {
		return err
	}
	if r.HistogramUncorrected, err = EncodeHistogram(h); err != nil {
		return err
	}
	r.LatencyUncorrected = summarize(h)
	return nil
}

// rates derives the per-second and per-message figures from the totals.
func (r *Result) rates() {
	r.MessagesPerS, r.MBPerSOut, r.MBPerSIn, r.GeneratorCPUPerMsg = 0, 0, 0, 0
	if s := r.Duration.Seconds(); s > 0 {
		r.MessagesPerS = float64(r.Messages) / s
		r.MBPerSOut = float64(r.BytesSent) / s / 1e6
		r.MBPerSIn = float64(r.BytesReceived) / s / 1e6
	}
	if r.Messages > 0 {
		r.GeneratorCPUPerMsg = float64(r.GeneratorCPU.Nanoseconds()) / 1e3 / float64(r.Messages)
	}
}

// ErrorCount is the errors of every kind added up.
func (r *Result) ErrorCount() uint64 { return sumCounts(r.Errors) }

// FailedDials is the dials that failed, for every reason.
func (r *Result) FailedDials() uint64 { return sumCounts(r.ConnectFailed) }

// sumCounts adds up counts by kind, such as Result.Errors.
func sumCounts(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// setStart records when the measured window started, and how far that was
// from Config.StartAt.
func (r *Result) setStart(cfg *Config, started time.Time, late bool) {
	r.WindowStart = started.Round(0).UTC()
	if !cfg.StartAt.IsZero() {
		r.StartAt = cfg.StartAt.UTC()
		r.StartSkew = r.WindowStart.Sub(r.StartAt)
		r.Late = late
	}
}
