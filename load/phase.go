package load

import "time"

// Progress is what Config.Progress is told while a run goes on. Its JSON
// is what `upcase-gnet load --progress-json` prints, a line at a time.
type Progress struct {
	Phase     Phase  `json:"phase"`     // where the run is
	Conns     int    `json:"conns"`     // connections asked for
	Connected int    `json:"connected"` // established so far
	Failed    int    `json:"failed"`    // dials failed so far
	Messages  uint64 `json:"messages"`  // messages completed since traffic started, warm-up included
	// Measured is the messages completed since the measured time began: 0
	// before it, in PhaseRun what the result will count so far.
	Measured uint64        `json:"measured"`
	Elapsed  time.Duration `json:"elapsed_ns"` // time in this phase
	Total    time.Duration `json:"total_ns"`   // length of this phase, 0 if unknown
	// SlowWritten is the bytes the connections of a Slow run have written
	// so far, counted as each write returns; 0 in other modes.
	SlowWritten uint64 `json:"slow_written_bytes,omitempty"`
	// SlowComplete is the connections of a Slow run that have written all
	// of Config.SlowBytes.
	SlowComplete int `json:"slow_complete_conns,omitempty"`
	// RecentP99 is the latency p99, in microseconds, of the messages that
	// completed over the last second, warm-up included: from the intended
	// send time, as Result.Latency, but to within an eighth (the top of
	// its bucket). 0 if none completed. A run split over workers reports
	// the highest of theirs, which is at least the p99 of them all.
	RecentP99 float64 `json:"recent_p99_us,omitempty"`
}

// Phase is a stage of a run.
type Phase string

// The phases of a run, in order.
const (
	PhaseConnect Phase = "connect"
	PhaseWait    Phase = "wait" // connected, waiting for Config.StartAt
	PhaseWarmup  Phase = "warmup"
	PhaseRun     Phase = "run"
	PhaseDrain   Phase = "drain"
)
