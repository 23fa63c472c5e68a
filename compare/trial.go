package compare

import (
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// Trial is one series on one engine in one round.
type Trial struct {
	Series Series       `json:"series"`
	Engine engine.Name  `json:"engine"`
	Round  int          `json:"round"` // from 1
	Server ServerStats  `json:"server"`
	Load   *load.Result `json:"load"` // nil if the load failed
	// Beside is the load run beside the measured one: a slow series' slow
	// connections, a starve series' heavy senders; nil in other series.
	Beside *load.Result `json:"beside,omitempty"`
	// Intake is a starve series' light client over the intake, while the
	// server was still taking the heavy senders' bytes in; Load is the same
	// client after it. IntakeEnd is where the one phase ended and the
	// other began. Both nil in other series.
	Intake    *load.Result `json:"intake,omitempty"`
	IntakeEnd *IntakeEnd   `json:"intake_end,omitempty"`
	// Generator is the load child process, sampled like the server.
	Generator GeneratorStats `json:"generator"`
	// Kernel is the kernel's socket memory during the run.
	Kernel KernelStats `json:"kernel"`
	// Timeline is the run second by second.
	Timeline Timeline `json:"timeline"`
	// progress is what the load children said as they ran, for Timeline.
	progress trialProgress
	// Error says why the run did not measure what it should: the load
	// failed, or the server died during it. Empty for a good run.
	Error string `json:"error,omitempty"`
}

// ServerStats is what was sampled of a server process during one run.
type ServerStats struct {
	PID int `json:"pid"`
	// Sampled says whether memory and CPU could be read (Linux only).
	Sampled bool `json:"sampled"`
	// BaselineRSS is the resident set right after start, before any load.
	BaselineRSS int64 `json:"baseline_rss_bytes"`
	// PeakRSS is the highest resident set up to the end of the load.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// CPU is the server's CPU time within the load's measured time,
	// interpolated between samples. The load does not say when its
	// measured time started; WindowFrom is where it was found, and
	// WindowBy how (see locateWindow).
	CPU        time.Duration `json:"cpu_ns"`
	WindowFrom time.Duration `json:"window_from_ns"` // on the samples' clock
	WindowBy   string        `json:"window_by"`
	// CPUAll is the server's CPU time from the load's start to its end,
	// connecting and draining included.
	CPUAll time.Duration `json:"cpu_all_ns"`
	// Samples are the readings, the first one the baseline.
	Samples []Sample `json:"samples,omitempty"`
	// Exit is how the server ended when stopped, if not cleanly.
	Exit string `json:"exit,omitempty"`
}

// GeneratorStats is what was sampled of the load child process.
type GeneratorStats struct {
	PID     int      `json:"pid"`
	Samples []Sample `json:"samples,omitempty"` // on the server's clock
}

// fill derives the run's server figures from its samples.
func (st *ServerStats) fill(samples []Sample, peak int64, ok bool, started time.Time, lr *loadRun) {
	st.Samples = samples
	if !ok || len(samples) == 0 {
		return
	}
	st.Sampled = true
	st.BaselineRSS = samples[0].RSS
	st.PeakRSS = peak
	for _, s := range samples {
		st.PeakRSS = max(st.PeakRSS, s.RSS)
	}
	st.CPUAll = samples[len(samples)-1].CPU - samples[0].CPU
	if lr == nil || lr.result == nil {
		return
	}
	res := lr.result
	guess := lr.started.Sub(started) + res.ConnectTime + res.Warmup
	st.WindowFrom, st.WindowBy = guess, "load start (unchecked)"
	if res.Workers <= 1 {
		st.WindowFrom, st.WindowBy = locateWindow(lr.samples, res.Duration, res.GeneratorCPU, guess)
	}
	st.CPU = cpuAt(samples, st.WindowFrom+res.Duration) - cpuAt(samples, st.WindowFrom)
}
