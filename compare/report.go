package compare

import (
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// Report is everything a comparison measured, raw runs and their summary.
type Report struct {
	Started  time.Time     `json:"started"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Settings Settings      `json:"settings"`
	Trials   []Trial       `json:"trials"`
	// Summary is Summarize(Trials, Settings.Engines).
	Summary []SeriesSummary `json:"summary"`
}

// Settings is what a comparison ran with, as recorded in its Report.
type Settings struct {
	Engines    []engine.Name `json:"engines"`
	Series     []Series      `json:"series"`
	Repeat     int           `json:"repeat"`
	Duration   time.Duration `json:"duration_ns"`
	Warmup     time.Duration `json:"warmup_ns"`
	Size       int           `json:"size_bytes"` // per message
	Rate       float64       `json:"rate_per_s"` // paced series, per connection
	Window     int           `json:"window_bytes"`
	SlowBytes  int           `json:"slow_bytes"` // each slow connection sends
	SlowSettle time.Duration `json:"slow_settle_ns"`
	// StarveLead and StarveStall are a starve series' StarveLead and
	// StarveStall.
	StarveLead  time.Duration `json:"starve_lead_ns"`
	StarveStall time.Duration `json:"starve_stall_ns"`
	Pin         bool          `json:"pin"`
	ServerCPUs  string        `json:"server_cpus,omitempty"`
	LoadCPUs    string        `json:"load_cpus,omitempty"`
	ServerArgs  []string      `json:"server_args,omitempty"`
	LoadArgs    []string      `json:"load_args,omitempty"`
	CPUs        int           `json:"cpus"` // CPUs this machine has
	OS          string        `json:"os"`   // GOOS/GOARCH
}
