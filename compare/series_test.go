package compare

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/load"
)

func TestParseSeries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string // names, or the start of the error
	}{
		{"pingpong-1", "pingpong-1"},
		{" stream-100 , idle-10000 ", "stream-100,idle-10000"},
		{"default", "pingpong-1,pingpong-100,pingpong-1000,pingpong-10000,stream-1,stream-100,window-100,paced-10000,slow-300,idle-10000"},
		{"window-100,paced-10,slow-3", "window-100,paced-10,slow-3"},
		{"", "error: compare: no series given"},
		{"pingpong", `error: compare: unknown series "pingpong": no connection count`},
		{"flood-10", `error: compare: unknown series "flood-10": unknown mode "flood" (want MODE-CONNS with MODE pingpong, stream, window, paced, slow or idle, e.g. pingpong-1000)`},
		{"idle-0", `error: compare: unknown series "idle-0": connection count "0" is not a positive number`},
		{"idle-x", `error: compare: unknown series "idle-x"`},
	} {
		ss, err := ParseSeries(tc.in)
		got := fmt.Sprint(ss)
		if err != nil {
			got = "error: " + err.Error()
		} else {
			var names []string
			for _, s := range ss {
				names = append(names, s.Name())
			}
			got = strings.Join(names, ",")
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("ParseSeries(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

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

func ExampleParseSeries() {
	series, err := ParseSeries("pingpong-10000,idle-10000")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range series {
		fmt.Println(s.Mode, s.Conns)
	}
	// Output:
	// pingpong 10000
	// idle 10000
}
