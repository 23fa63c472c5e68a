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

func TestWriteTable(t *testing.T) {
	t.Parallel()
	idle := Series{Idle, 10000}
	trials := []Trial{
		trial(Series{PingPong, 1000}, "gnet", 1, 150_000, 750_000, 10<<20, 20<<20, 3*time.Second),
		trial(Series{PingPong, 1000}, "goroutine", 1, 100_000, 500_000, 10<<20, 30<<20, 4*time.Second),
		trial(idle, "gnet", 1, 0, 0, 8<<20, 8<<20+10000*600, 0),
		trial(idle, "goroutine", 1, 0, 0, 8<<20, 8<<20+10000*3600, 0),
	}
	trials[3].Server.Sampled = false
	rep := &Report{
		Settings: Settings{Engines: engine.All(), Repeat: 3, Duration: 5 * time.Second, Warmup: time.Second, Size: 16, Pin: true, ServerCPUs: "0", LoadCPUs: "1", CPUs: 2, OS: "linux/amd64",
			Series: []Series{{PingPong, 1000}, {Paced, 10}, {Paced, 20}, {Slow, 3}, {Idle, 10000}}, Rate: 3, Window: 65536, SlowBytes: SlowBytes, SlowSettle: 2 * time.Second},
		Trials: trials,
	}
	rep.Summary = Summarize(rep.Trials, rep.Settings.Engines)
	var b bytes.Buffer
	if err := WriteTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"16-byte messages, 5s each after 1s warm-up, 3 rounds, medians",
		"server on CPU 0, load on CPU 1",
		"linux/amd64, paced 3/s per connection, slow ones send 8 MiB, measured from 2s after\n",
		"series",
		"gnet/goroutine",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, want := range [][]string{
		{"pingpong-1000", "messages/s", "150k", "100k", "1.50x"},
		{"server", "RSS/conn", "KiB", "10.2", "20.5", "0.50x"},
		{"server", "CPU", "s/M", "msgs", "4.00", "8.00", "0.50x"},
		{"server", "RSS", "peak", "MiB", "20.0", "30.0", "0.67x"},
		{"errors", "0", "0", "-"},
		{"idle-10000", "connections", "held", "10000", "10000", "1.00x"},
		{"server", "RSS/conn", "KiB", "0.586", "n/a", "-"},
	} {
		if !hasLine(out, want) {
			t.Errorf("table has no line of fields %q:\n%s", want, out)
		}
	}
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

func TestHuman(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {7, "7.00"}, {0.5862, "0.586"}, {0.0098, "0.0098"}, {4.234, "4.23"},
		{42.13, "42.1"}, {348.2, "348"}, {9999, "9999"}, {12345, "12.3k"},
		{150000, "150k"}, {4_122_500, "4.12M"}, {27_100_000, "27.1M"},
	} {
		if got := human(tc.in); got != tc.want {
			t.Errorf("human(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCPUAt(t *testing.T) {
	t.Parallel()
	s := []Sample{
		{At: 0, CPU: 0},
		{At: 100 * time.Millisecond, CPU: 50 * time.Millisecond},
		{At: 300 * time.Millisecond, CPU: 250 * time.Millisecond},
	}
	for _, tc := range []struct {
		at, want time.Duration
	}{
		{-time.Second, 0},
		{50 * time.Millisecond, 25 * time.Millisecond},
		{200 * time.Millisecond, 150 * time.Millisecond},
		{time.Second, 250 * time.Millisecond},
	} {
		if got := cpuAt(s, tc.at); got != tc.want {
			t.Errorf("cpuAt(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestWriteChart(t *testing.T) {
	t.Parallel()
	var trials []Trial
	for _, n := range []int{1, 100, 1000} {
		trials = append(trials,
			trial(Series{PingPong, n}, "gnet", 1, float64(20_000*n), 1, 10<<20, 11<<20, 0),
			trial(Series{PingPong, n}, "goroutine", 1, float64(15_000*n), 1, 10<<20, 12<<20, 0))
	}
	// Every other kind, drawn as marks beside the lines.
	for _, s := range []Series{{Stream, 100}, {Window, 100}, {Paced, 1000}, {Slow, 30}, {Idle, 1000}} {
		for _, e := range engine.All() {
			tr := trial(s, e, 1, 1e6, 1, 10<<20, 12<<20, 0)
			tr.Kernel.fill([]KernelSample{{ServerRead: true}, {ServerMem: 4 << 20, ServerRead: true}}, nil, 0, time.Hour)
			trials = append(trials, tr)
		}
	}
	rep := &Report{Settings: Settings{Engines: engine.All()}, Trials: trials}
	rep.Summary = Summarize(rep.Trials, rep.Settings.Engines)
	panels, err := chartPanels(rep)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(panels), len(chartSpecs); got != want {
		t.Errorf("%d panels, want %d", got, want)
	}
	for format, magic := range map[string]string{"png": "\x89PNG", "svg": "<?xml"} {
		var b bytes.Buffer
		if err := WriteChart(&b, rep, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !bytes.HasPrefix(b.Bytes(), []byte(magic)) {
			t.Errorf("%s chart starts %q", format, b.Bytes()[:min(16, b.Len())])
		}
	}
	if err := WriteChart(new(bytes.Buffer), rep, "gif"); err == nil {
		t.Error("a gif chart was made")
	}
	if err := WriteChart(new(bytes.Buffer), &Report{Settings: rep.Settings}, "png"); err == nil {
		t.Error("a chart of nothing was made")
	}
}

func TestDecadeLabel(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0.1: "0.1", 1: "1", 1000: "1000", 1e4: "10k", 1e5: "100k", 1e6: "1M", 1e8: "100M"} {
		if got := decadeLabel(v); got != want {
			t.Errorf("decadeLabel(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestLocateWindow(t *testing.T) {
	t.Parallel()
	// A generator that waits 7.3 s before it runs (a busy machine), then
	// burns half a CPU for its 1 s warm-up and 5 s measured time, then
	// drains and exits: sampled every 25 ms.
	gen := func(idleUntil time.Duration) []Sample {
		var s []Sample
		for at := time.Duration(0); at <= idleUntil+6500*time.Millisecond; at += 25 * time.Millisecond {
			busy := min(max(at-idleUntil, 0), 6*time.Second)
			s = append(s, Sample{At: at, CPU: busy / 2})
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		samples  []Sample
		d, want  time.Duration
		guess    time.Duration
		wantFrom time.Duration
		wantBy   string
	}{
		{"a late start", gen(7300 * time.Millisecond), 5 * time.Second, 2500 * time.Millisecond, 1030 * time.Millisecond, 8300 * time.Millisecond, "generator CPU"},
		{"a prompt start", gen(30 * time.Millisecond), 5 * time.Second, 2500 * time.Millisecond, 1030 * time.Millisecond, 1030 * time.Millisecond, "load start (checked by generator CPU)"},
		{"a guess a little late", gen(30 * time.Millisecond), 5 * time.Second, 2500 * time.Millisecond, 1100 * time.Millisecond, 1100 * time.Millisecond, "load start (checked by generator CPU)"},
		{"too little CPU to tell", gen(0), 5 * time.Second, 10 * time.Millisecond, 1000 * time.Millisecond, 1000 * time.Millisecond, "load start (unchecked)"},
		{"more CPU than the samples hold", gen(0), 5 * time.Second, 4 * time.Second, 1000 * time.Millisecond, 1000 * time.Millisecond, "load start (unchecked)"},
		{"too few samples", gen(0)[:10], 5 * time.Second, 2500 * time.Millisecond, 1000 * time.Millisecond, 1000 * time.Millisecond, "load start (unchecked)"},
	} {
		from, by := locateWindow(tc.samples, tc.d, tc.want, tc.guess)
		if by != tc.wantBy || from < tc.wantFrom-5*time.Millisecond || from > tc.wantFrom+5*time.Millisecond {
			t.Errorf("%s: locateWindow = %v by %q; want %v by %q", tc.name, from, by, tc.wantFrom, tc.wantBy)
		}
	}
}
