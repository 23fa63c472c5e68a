package load

import "time"

// Progress is what Config.Progress is told while a run goes on.
type Progress struct {
	Phase     Phase         // where the run is
	Conns     int           // connections asked for
	Connected int           // established so far
	Failed    int           // dials failed so far
	Messages  uint64        // messages completed since traffic started, warm-up included
	Elapsed   time.Duration // time in this phase
	Total     time.Duration // length of this phase, 0 if unknown
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
