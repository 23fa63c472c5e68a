package compare

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"time"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/config"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// Defaults used where a Config field is zero.
const (
	// DefaultDuration is the measured time of one series on one engine:
	// long enough for a steady rate on a noisy machine, short enough that
	// the default series on both engines take under three minutes.
	DefaultDuration = 5 * time.Second
	// DefaultWarmup is the traffic before the measured time.
	DefaultWarmup = time.Second
	// DefaultRepeat is the number of rounds.
	DefaultRepeat = 1
	// DefaultRate is a paced series' messages a second per connection.
	DefaultRate = 3
	// DefaultWindow is a window series' bytes in flight per connection:
	// load's window before it had a saturating stream.
	DefaultWindow = 64 << 10
	// MaxWindow bounds Config.Window.
	MaxWindow = 1 << 30
	// DefaultServerCPUs and DefaultLoadCPUs are the CPU lists (taskset -c)
	// of the server and the generator when pinning.
	DefaultServerCPUs = "0"
	DefaultLoadCPUs   = "1"
	// DefaultSampleEvery is how often a server's memory and CPU are read.
	DefaultSampleEvery = 25 * time.Millisecond
	// DefaultStartTimeout bounds the wait for a server to say where it
	// listens.
	DefaultStartTimeout = 10 * time.Second
	// DefaultStopTimeout bounds a child's graceful stop before it is
	// killed.
	DefaultStopTimeout = 10 * time.Second
	// DefaultLoadSlack is how much longer than its warm-up and measured
	// time a load child may take (connecting, draining) before it is
	// stopped.
	DefaultLoadSlack = 60 * time.Second
	// IdleInterval is the pace of an idle series' connections: one
	// message per connection per this long, far beyond any run.
	IdleInterval = 1e9 * time.Second
)

// Config configures a comparison. Children is required; with it alone, the
// zero value runs DefaultSeries once on both engines, unpinned, with the
// running executable as the binary.
type Config struct {
	// Binary is the upcase-gnet executable that serves and loads; empty
	// means this process's own executable.
	Binary string
	// Children are the command lines that make Binary serve and load, and
	// how its server says where it listens: the binary's own contract,
	// which its command line owns.
	Children Children
	// Engines are the two engines compared, in run order; the ratio is the
	// first over the second. Empty means engine.All().
	Engines []engine.Name
	// Series are the series run, in order; empty means DefaultSeries.
	Series []Series
	// Repeat is the number of rounds; 0 means DefaultRepeat.
	Repeat int
	// Duration is the measured time of one run; 0 means DefaultDuration.
	Duration time.Duration
	// Warmup is the traffic before it; 0 means DefaultWarmup, negative none.
	Warmup time.Duration
	// Size is the bytes per message; 0 means load.DefaultSize.
	Size int
	// Rate is a paced series' messages a second per connection; 0 means
	// DefaultRate.
	Rate float64
	// Window is a window series' bytes in flight per connection, at most
	// MaxWindow; 0 means DefaultWindow.
	Window int
	// SlowSettle is how long a slow series' slow connections send before
	// the measured connection's warm-up; 0 means DefaultSlowSettle.
	SlowSettle time.Duration
	// Host is the address the servers listen on; empty means
	// codec.DefaultHost.
	Host string
	// Pin runs the server under `taskset -c ServerCPUs` and the generator
	// under `taskset -c LoadCPUs`, so that they do not share a core.
	Pin bool
	// ServerCPUs and LoadCPUs are taskset CPU lists; empty means
	// DefaultServerCPUs and DefaultLoadCPUs.
	ServerCPUs, LoadCPUs string
	// Taskset is the taskset executable; empty means the one in PATH.
	Taskset string
	// ServerArgs are passed on to every server (for example
	// --read-size 65536); LoadArgs to every load.
	ServerArgs, LoadArgs []string
	// SampleEvery is how often a server's memory and CPU are read; 0 means
	// DefaultSampleEvery.
	SampleEvery time.Duration
	// StartTimeout, StopTimeout and LoadSlack bound the children; 0 means
	// their defaults.
	StartTimeout, StopTimeout, LoadSlack time.Duration
	// Log, if set, gets one line per run as the comparison goes.
	Log io.Writer
	// Progress, if set, is called about five times a second while a run
	// goes on, from a goroutine of its own, never once Run has logged the
	// run's line.
	Progress func(Progress)
}

// pkg makes the *config.Error of a compare.Config value that cannot work.
const pkg config.Pkg = "compare"

// withDefaults fills in the zero fields of cfg, or says what cannot work,
// for a value of a field in a *config.Error (a series' or the engines' error
// names the series or the count): the one place where a Config is checked.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Children == nil {
		return cfg, pkg.Errorf("Children", "Children", "are missing: the binary's command lines for its server and load")
	}
	if cfg.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return cfg, fmt.Errorf("compare: finding this executable: %w", err)
		}
		cfg.Binary = exe
	}
	if len(cfg.Engines) == 0 {
		cfg.Engines = engine.All()
	}
	if len(cfg.Engines) != 2 {
		return cfg, fmt.Errorf("compare: want two engines, got %d", len(cfg.Engines))
	}
	if len(cfg.Series) == 0 {
		cfg.Series = DefaultSeries
	}
	for _, s := range cfg.Series {
		if _, err := parseOne(s.Name()); err != nil {
			return cfg, err
		}
	}
	cfg.Repeat = cmp.Or(cfg.Repeat, DefaultRepeat)
	cfg.Duration = cmp.Or(cfg.Duration, DefaultDuration)
	switch {
	case cfg.Warmup == 0:
		cfg.Warmup = DefaultWarmup
	case cfg.Warmup < 0:
		cfg.Warmup = 0
	}
	cfg.Size = cmp.Or(cfg.Size, load.DefaultSize)
	cfg.Rate = cmp.Or(cfg.Rate, DefaultRate)
	cfg.Window = cmp.Or(cfg.Window, DefaultWindow)
	cfg.SlowSettle = cmp.Or(cfg.SlowSettle, DefaultSlowSettle)
	switch {
	case cfg.Repeat < 0:
		return cfg, pkg.Errorf("Repeat", "repeat", "must be at least 1, got %d", cfg.Repeat)
	case cfg.Duration < 0:
		return cfg, pkg.Errorf("Duration", "duration", "must be positive, got %v", cfg.Duration)
	case cfg.Size < 0:
		return cfg, pkg.Errorf("Size", "size", "must be at least 1, got %d", cfg.Size)
	case cfg.Window < 0 || cfg.Window > MaxWindow:
		return cfg, pkg.Errorf("Window", "window", "must be 1 byte to %s, got %s", config.FormatSize(MaxWindow), config.FormatSize(int64(cfg.Window)))
	case cfg.SlowSettle < 0:
		return cfg, pkg.Errorf("SlowSettle", "slow settle", "must be positive, got %v", cfg.SlowSettle)
	case !(cfg.Rate > 0) || math.IsInf(cfg.Rate, 0):
		return cfg, pkg.Errorf("Rate", "rate", "must be a positive number of messages a second, got %v", cfg.Rate)
	}
	cfg.Host = cmp.Or(cfg.Host, codec.DefaultHost)
	cfg.ServerCPUs = cmp.Or(cfg.ServerCPUs, DefaultServerCPUs)
	cfg.LoadCPUs = cmp.Or(cfg.LoadCPUs, DefaultLoadCPUs)
	if cfg.Pin {
		name := cmp.Or(cfg.Taskset, "taskset")
		path, err := exec.LookPath(name)
		if err != nil {
			return cfg, pkg.Errorf("Pin", "pinning", "needs taskset (from util-linux): %v", err)
		}
		cfg.Taskset = path
	}
	cfg.SampleEvery = cmp.Or(cfg.SampleEvery, DefaultSampleEvery)
	cfg.StartTimeout = cmp.Or(cfg.StartTimeout, DefaultStartTimeout)
	cfg.StopTimeout = cmp.Or(cfg.StopTimeout, DefaultStopTimeout)
	cfg.LoadSlack = cmp.Or(cfg.LoadSlack, DefaultLoadSlack)
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return cfg, nil
}
