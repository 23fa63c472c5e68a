package compare

import (
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/load"
)

// TestLoadTraffic checks what load's connections do in each mode: the
// stream series saturate, the window series carry the window, the paced
// ones the rate. (The flags they make are the binary's: its children.go.)
func TestLoadTraffic(t *testing.T) {
	t.Parallel()
	cfg := &Config{Rate: 2.5, Window: 65536, Size: 16}
	for _, tc := range []struct {
		mode Mode
		want load.Config
	}{
		{PingPong, load.Config{Mode: load.PingPong, Size: 16}},
		{Stream, load.Config{Mode: load.Stream, Window: 0, Size: 16}},
		{Window, load.Config{Mode: load.Stream, Window: 65536, Size: 16}},
		{Paced, load.Config{Mode: load.PingPong, Rate: 2.5, Size: 16}},
		{Idle, load.Config{Mode: load.PingPong, Rate: 1e-09, Size: 16}},
		{Slow, load.Config{Mode: load.PingPong, Size: 16}}, // the measured one
	} {
		got := loadTraffic(tc.mode, cfg)
		if got.Mode != tc.want.Mode || got.Window != tc.want.Window || got.Rate != tc.want.Rate || got.Size != tc.want.Size {
			t.Errorf("%s: load %s window %d rate %g size %d, want %s window %d rate %g size %d", tc.mode,
				got.Mode, got.Window, got.Rate, got.Size, tc.want.Mode, tc.want.Window, tc.want.Rate, tc.want.Size)
		}
	}
}

// TestJobs: a slow series' slow connections send SlowBytes from the start
// to slowHold after the measured connection, which warms up over the
// settling time first; other series run one load of their connections.
func TestJobs(t *testing.T) {
	t.Parallel()
	cfg := &Config{Duration: 5 * time.Second, Warmup: time.Second, SlowSettle: 2 * time.Second, Size: 16}
	m, beside := jobs(Series{PingPong, 100}, cfg, "127.0.0.1:1")
	if m.Address != "127.0.0.1:1" || m.Conns != 100 || m.Warmup != time.Second || m.Duration != 5*time.Second || beside != nil {
		t.Errorf("pingpong-100: %+v beside %v", m, beside)
	}
	m, beside = jobs(Series{Slow, 300}, cfg, "127.0.0.1:1")
	if m.Conns != 1 || m.Warmup != 3*time.Second || m.Duration != 5*time.Second || m.Mode != load.PingPong {
		t.Errorf("slow-300 measured: %+v", m)
	}
	if beside == nil || beside.Address != "127.0.0.1:1" || beside.Conns != 300 || beside.Mode != load.Slow || beside.SlowBytes != SlowBytes ||
		beside.Warmup != 0 || beside.Duration != 8*time.Second+slowHold || beside.Size != 16 {
		t.Errorf("slow-300 beside: %+v", beside)
	}
}
