package compare

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// trial is a recorded run: the load's throughput and errors, the server's
// baseline and peak RSS and its CPU in the measured time.
func trial(s Series, eng engine.Name, round int, msgsPerS float64, msgs uint64, baseline, peak int64, cpu time.Duration) Trial {
	return Trial{
		Series: s, Engine: eng, Round: round,
		Server: ServerStats{Sampled: true, BaselineRSS: baseline, PeakRSS: peak, CPU: cpu},
		Load: &load.Result{
			Mode: string(s.Mode), Conns: s.Conns, Connected: s.Conns,
			Messages: msgs, MessagesPerS: msgsPerS, MBPerSIn: msgsPerS * 16 / 1e6,
			Latency:            load.Latency{P50: 100, P99: 400},
			GeneratorCPUPerMsg: 2,
			Errors:             map[string]uint64{},
		},
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, 10, 1000}, 10},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 {
		t.Errorf("median sorted its argument: %v", in)
	}
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	pp := Series{PingPong, 1000}
	r := trial(pp, "gnet", 1, 200_000, 1_000_000, 10<<20, 10<<20+1000*2048, 3*time.Second)
	r.Load.Errors = map[string]uint64{"reset": 2, "short": 1}
	r.Load.ConnectFailed = map[string]uint64{"refused": 4}
	m := measure(&r)
	for _, tc := range []struct {
		key  string
		want float64
	}{
		{keyMsgs, 200_000},
		{keyMB, 3.2},
		{keyP99, 400},
		{keyRSS, 10 + 2000.0/1024},
		{keyRSSConn, 2},   // 2 KiB over the baseline for each of 1000 connections
		{keyServerCPU, 3}, // 3 s over a million messages
		{keyGenCPU, 2},
		{keyErrors, 7},
	} {
		if got := m[tc.key]; !got.ok || math.Abs(got.v-tc.want) > 1e-9 {
			t.Errorf("%s = %v (ok %v), want %v", tc.key, got.v, got.ok, tc.want)
		}
	}

	idle := trial(Series{Idle, 10000}, "gnet", 1, 0, 0, 8<<20, 8<<20+10000*600, 0)
	m = measure(&idle)
	if v := m[keyRSSConn]; !v.ok || math.Abs(v.v-600.0/1024) > 1e-9 {
		t.Errorf("idle RSS/conn = %v, want %v KiB", v, 600.0/1024)
	}
	for _, key := range []string{keyServerCPU, keyGenCPU, keyP50} {
		if m[key].ok {
			t.Errorf("idle %s is measured (%v) with no messages", key, m[key].v)
		}
	}

	// The kernel: 4 KiB of TCP buffers and 3 KiB of slab objects for each
	// end of 1000 loopback connections, over 2 KiB of RSS.
	r.Kernel.fill([]KernelSample{
		{TCPSockets: 10, TCPMem: 1 << 20, Slab: 10 << 20, SlabRead: true},
		{TCPSockets: 2010, TCPMem: 1<<20 + 2*1000*4096, Slab: 10<<20 + 2*1000*3072, SlabRead: true},
		{TCPSockets: 10, TCPMem: 1 << 20, Slab: 10 << 20, SlabRead: true},
	}, nil, 0, time.Hour)
	m = measure(&r)
	for key, want := range map[string]float64{keyTCPConn: 4, keySlabConn: 3, keyTotalConn: 9} {
		if got := m[key]; !got.ok || math.Abs(got.v-want) > 1e-9 {
			t.Errorf("%s = %v (ok %v), want %v", key, got.v, got.ok, want)
		}
	}
	// sock_diag read the server's own sockets: 5 KiB each, whatever
	// sockstat says of the machine.
	r.Kernel.fill([]KernelSample{
		{TCPMem: 1 << 20, ServerMem: 100, ServerRead: true},
		{TCPMem: 1 << 30, ServerMem: 100 + 1000*5120, ServerRead: true},
	}, nil, 0, time.Hour)
	if m := measure(&r); m[keyTCPConn].v != 5 || r.Kernel.TCPBy != "sock_diag" {
		t.Errorf("with sock_diag: TCP %v KiB/conn by %s, want 5 by sock_diag", m[keyTCPConn], r.Kernel.TCPBy)
	}
	r.Kernel.fill([]KernelSample{{TCPSockets: 10, TCPMem: 1 << 20}, {TCPSockets: 2010, TCPMem: 1<<20 + 2*1000*4096}}, nil, 0, time.Hour)
	if m := measure(&r); m[keySlabConn].ok || m[keyTotalConn].v != 6 {
		t.Errorf("without slabinfo: slab %v, total %v; want no slab, total RSS+TCP 6", m[keySlabConn], m[keyTotalConn])
	}
	// Another process opened 500 sockets meanwhile: the machine-wide
	// figures do not hold, and neither does a total made of them.
	r.Kernel.fill([]KernelSample{
		{TCPSockets: 10, TCPMem: 1 << 20, Slab: 10 << 20, SlabRead: true},
		{TCPSockets: 2510, TCPMem: 1<<20 + 2*1000*4096, Slab: 10<<20 + 2*1000*3072, SlabRead: true},
	}, nil, 0, time.Hour)
	if m := measure(&r); m[keyTCPConn].ok || m[keySlabConn].ok || m[keyTotalConn].ok {
		t.Errorf("on a busy machine: TCP %v, slab %v, total %v; want none", m[keyTCPConn], m[keySlabConn], m[keyTotalConn])
	}

	unsampled := trial(pp, "gnet", 1, 1, 1, 0, 0, 0)
	unsampled.Server.Sampled = false
	if m := measure(&unsampled); m[keyRSS].ok || m[keyRSSConn].ok || m[keyServerCPU].ok || m[keyTCPConn].ok || m[keyTotalConn].ok {
		t.Errorf("server measures without samples: %v", m)
	}
}

func TestSummarizeRatios(t *testing.T) {
	t.Parallel()
	pp := Series{PingPong, 100}
	engines := engine.All()
	for _, tc := range []struct {
		name       string
		trials     []Trial
		wantMedian map[engine.Name]float64 // messages/s
		wantRatio  float64                 // NaN: no ratio
	}{
		{
			name: "one round",
			trials: []Trial{
				trial(pp, "gnet", 1, 300, 1, 0, 0, 0),
				trial(pp, "goroutine", 1, 200, 1, 0, 0, 0),
			},
			wantMedian: map[engine.Name]float64{"gnet": 300, "goroutine": 200},
			wantRatio:  1.5,
		},
		{
			// Per-round ratios 2, 1 and 3: their median is 2, while the
			// ratio of the medians would be 200/150.
			name: "median of per-round ratios",
			trials: []Trial{
				trial(pp, "gnet", 1, 200, 1, 0, 0, 0), trial(pp, "goroutine", 1, 100, 1, 0, 0, 0),
				trial(pp, "gnet", 2, 150, 1, 0, 0, 0), trial(pp, "goroutine", 2, 150, 1, 0, 0, 0),
				trial(pp, "gnet", 3, 600, 1, 0, 0, 0), trial(pp, "goroutine", 3, 200, 1, 0, 0, 0),
			},
			wantMedian: map[engine.Name]float64{"gnet": 200, "goroutine": 150},
			wantRatio:  2,
		},
		{
			name: "a failed run is left out, and so is its round's ratio",
			trials: []Trial{
				trial(pp, "gnet", 1, 200, 1, 0, 0, 0), trial(pp, "goroutine", 1, 100, 1, 0, 0, 0),
				trial(pp, "gnet", 2, 900, 1, 0, 0, 0), func() Trial {
					r := trial(pp, "goroutine", 2, 1, 1, 0, 0, 0)
					r.Error = "load failed"
					return r
				}(),
			},
			wantMedian: map[engine.Name]float64{"gnet": 550, "goroutine": 100},
			wantRatio:  2,
		},
		{
			name: "no ratio over zero",
			trials: []Trial{
				trial(pp, "gnet", 1, 100, 1, 0, 0, 0), trial(pp, "goroutine", 1, 0, 1, 0, 0, 0),
			},
			wantMedian: map[engine.Name]float64{"gnet": 100, "goroutine": 0},
			wantRatio:  math.NaN(),
		},
		{
			name:       "an engine with no good run has no median",
			trials:     []Trial{trial(pp, "gnet", 1, 100, 1, 0, 0, 0)},
			wantMedian: map[engine.Name]float64{"gnet": 100},
			wantRatio:  math.NaN(),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sums := Summarize(tc.trials, engines)
			if len(sums) != 1 || sums[0].Series != pp {
				t.Fatalf("Summarize gave %d series, want 1 (%v)", len(sums), pp)
			}
			row := findRow(t, sums[0], keyMsgs)
			if len(row.Median) != len(tc.wantMedian) {
				t.Errorf("medians %v, want %v", row.Median, tc.wantMedian)
			}
			for e, want := range tc.wantMedian {
				if got, ok := row.Median[e]; !ok || got != want {
					t.Errorf("median %s = %v (present %v), want %v", e, got, ok, want)
				}
			}
			switch {
			case math.IsNaN(tc.wantRatio) && row.Ratio != nil:
				t.Errorf("ratio = %v, want none", *row.Ratio)
			case !math.IsNaN(tc.wantRatio) && (row.Ratio == nil || *row.Ratio != tc.wantRatio):
				t.Errorf("ratio = %v, want %v", row.Ratio, tc.wantRatio)
			}
		})
	}
}

func TestSummarizeRowsByMode(t *testing.T) {
	t.Parallel()
	trials := []Trial{
		trial(Series{Stream, 1}, "gnet", 1, 1, 1, 0, 0, 0),
		trial(Series{Idle, 10}, "gnet", 1, 0, 0, 0, 0, 0),
		trial(Series{Stream, 1}, "goroutine", 1, 1, 1, 0, 0, 0),
	}
	sums := Summarize(trials, engine.All())
	if got, want := len(sums), 2; got != want {
		t.Fatalf("%d series, want %d", got, want)
	}
	if got, want := sums[0].Series.Name(), "stream-1"; got != want {
		t.Errorf("first series %s, want %s (the order they first ran in)", got, want)
	}
	var idleRows []string
	for _, r := range sums[1].Rows {
		idleRows = append(idleRows, r.Metric)
	}
	if got, want := strings.Join(idleRows, ","), "connected,server_rss_peak_mib,server_rss_per_conn_kib,kernel_tcp_per_conn_kib,kernel_slab_per_conn_kib,total_per_conn_kib,server_cpu_percent,errors"; got != want {
		t.Errorf("idle rows %s, want %s", got, want)
	}
	if r := findRow(t, sums[1], keyErrors); r.Ratio != nil {
		t.Errorf("errors have a ratio: %v", *r.Ratio)
	}
}

func findRow(t *testing.T, s SeriesSummary, key string) Row {
	t.Helper()
	for _, r := range s.Rows {
		if r.Metric == key {
			return r
		}
	}
	t.Fatalf("series %s has no row %s", s.Series, key)
	return Row{}
}

// TestGeneratorBound checks the mark: the generator's 2 µs a message is
// past half of gnet's 3 µs and short of half of the goroutine engine's 5.
func TestGeneratorBound(t *testing.T) {
	t.Parallel()
	pp := Series{PingPong, 100}
	trials := []Trial{
		trial(pp, "gnet", 1, 200_000, 1_000_000, 0, 0, 3*time.Second),
		trial(pp, "goroutine", 1, 200_000, 1_000_000, 0, 0, 5*time.Second),
		trial(Series{Idle, 10}, "gnet", 1, 0, 0, 0, 0, 0),
		trial(Series{Idle, 10}, "goroutine", 1, 0, 0, 0, 0, 0),
	}
	rep := &Report{Settings: Settings{Engines: engine.All(), Repeat: 1}, Trials: trials}
	rep.Summary = Summarize(rep.Trials, rep.Settings.Engines)
	if got := rep.Summary[0].GeneratorBound; !got["gnet"] || got["goroutine"] || len(got) != 2 {
		t.Errorf("generator-bound %v, want gnet yes, goroutine no", got)
	}
	if got := rep.Summary[1].GeneratorBound; got != nil {
		t.Errorf("idle is generator-bound %v, want no mark: nothing was sent", got)
	}
	var b bytes.Buffer
	if err := WriteTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !hasLine(b.String(), []string{"generator-bound", "yes", "no", "-"}) || !strings.Contains(b.String(), "generator-bound: the generator spent at least 50% of the server's CPU per message") {
		t.Errorf("table does not mark the series:\n%s", b.String())
	}
	b.Reset()
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"generator_bound": {
        "gnet": true,
        "goroutine": false
      }`) {
		t.Errorf("JSON does not mark the series:\n%s", b.String())
	}
}

// hasLine reports whether some line of out has exactly these fields.
func hasLine(out string, fields []string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}

// withSlab gives tr kernel readings where each of its connections added
// slab bytes over the baseline (half of what both loopback ends add), the
// readings within the measured time spread over spread bytes.
func withSlab(tr Trial, slab, spread int64) Trial {
	n := int64(2 * tr.Series.Conns)
	tr.Kernel = KernelStats{
		Sampled:    true,
		TCPBy:      "sock_diag",
		Baseline:   KernelSample{TCPSockets: 10, Slab: 1 << 30, SlabRead: true, ServerRead: true},
		Loaded:     KernelSample{TCPSockets: 10 + n, Slab: 1<<30 + slab*n, SlabRead: true, ServerRead: true},
		SlabSpread: spread,
	}
	return tr
}

// TestRatioOnlyWhereItMeans: the kernel slab a connection can come out
// negative, or within what the slab caches move by themselves; then the
// engines' ratio is n/a, not -108.31x.
func TestRatioOnlyWhereItMeans(t *testing.T) {
	t.Parallel()
	one, many := Series{Stream, 1}, Series{PingPong, 1000}
	run := func(s Series, eng engine.Name, slab, spread int64) Trial {
		return withSlab(trial(s, eng, 1, 100, 1, 10<<20, 20<<20, time.Second), slab, spread)
	}
	for _, tc := range []struct {
		name   string
		trials []Trial
		want   string // the table's ratio cell
	}{
		{"a sign change", []Trial{run(one, "gnet", -3932, 0), run(one, "goroutine", 40, 0)}, "n/a"},
		{"both negative", []Trial{run(one, "gnet", -3932, 0), run(one, "goroutine", -2000, 0)}, "n/a"},
		// 2 sockets, the readings 256 KiB apart: 128 KiB a connection of noise.
		{"within the noise", []Trial{run(one, "gnet", 5632, 256<<10), run(one, "goroutine", 8387, 256<<10)}, "n/a"},
		// 2000 sockets, the same spread: 0.125 KiB a connection.
		{"above the noise", []Trial{run(many, "gnet", 3072, 256<<10), run(many, "goroutine", 4096, 256<<10)}, "0.75x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sums := Summarize(tc.trials, engine.All())
			row := findRow(t, sums[0], keySlabConn)
			if len(row.Median) != 2 {
				t.Fatalf("slab medians %v, want both engines", row.Median)
			}
			if got := ratioCell(row); got != tc.want {
				t.Errorf("ratio %s, want %s (medians %v)", got, tc.want, row.Median)
			}
			if tc.want == "n/a" && row.Ratio != nil {
				t.Errorf("results.json would hold the ratio %v", *row.Ratio)
			}
		})
	}
}
