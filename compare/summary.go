package compare

import (
	"slices"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// The measures of a run, as keyed in a Row: each key names its unit.
const (
	keyMsgs      = "messages_per_s"
	keyMB        = "mb_per_s"
	keyP50       = "latency_p50_us"
	keyP99       = "latency_p99_us"
	keyP99Sent   = "latency_p99_from_send_us"
	keyConnected = "connected"
	keyRSS       = "server_rss_peak_mib"
	keyRSSConn   = "server_rss_per_conn_kib"
	keyTCPConn   = "kernel_tcp_per_conn_kib"
	keySlabConn  = "kernel_slab_per_conn_kib"
	keyTotalConn = "total_per_conn_kib"
	keyServerCPU = "server_cpu_s_per_m_msgs"
	keyServerPct = "server_cpu_percent"
	keyGenCPU    = "generator_cpu_us_per_msg"
	keySlowTaken = "slow_taken_per_conn_kib"
	keySlowLast  = "slow_last_byte_taken_s"
	keyErrors    = "errors"

	// A starve series' light client, over the intake and after it.
	keyIntakeMsgs = "intake_messages_per_s"
	keyIntakeP50  = "intake_latency_p50_us"
	keyIntakeP99  = "intake_latency_p99_us"
	keyIntakeMax  = "intake_latency_max_us"
	keyIntakeTime = "intake_measured_s"
	keyIntakeEnd  = "intake_end_s"
	keyAfterMsgs  = "after_messages_per_s"
	keyAfterP50   = "after_latency_p50_us"
	keyAfterP99   = "after_latency_p99_us"
	keyAfterMax   = "after_latency_max_us"
)

// rowSpec is one row a series may have in the table: the measure it
// shows, and for which series.
type rowSpec struct {
	key   string
	label string
	unit  string
	modes []Mode // the series it is shown for
	ratio bool   // whether a ratio of the engines means something
}

// Groups of modes that share rows.
var (
	allModes = Modes
	// traffic is the modes whose messages are counted and timed (slow: the
	// one measured connection's).
	traffic = []Mode{PingPong, Stream, Window, Paced, Slow}
	// perMessage is the modes whose CPU is spent on their messages.
	perMessage = []Mode{PingPong, Stream, Window, Paced}
	// bulk is the modes that move enough bytes for MB/s to say something.
	bulk = []Mode{PingPong, Stream, Window}
	// waiting is the modes whose server CPU is mostly not spent on
	// messages, quoted as a share of a core.
	waiting = []Mode{Paced, Slow, Idle}
)

// rowSpecs are the rows a series may have, in order.
var rowSpecs = []rowSpec{
	{keyMsgs, "messages/s", "1/s", traffic, true},
	{keyMB, "MB/s each way", "MB/s", bulk, true},
	{keyP50, "latency p50 µs", "µs", traffic, true},
	{keyP99, "latency p99 µs", "µs", traffic, true},
	{keyP99Sent, "p99 from send µs", "µs", []Mode{Paced}, true},
	{keyIntakeMsgs, "intake: messages/s", "1/s", []Mode{Starve}, true},
	{keyIntakeP50, "intake: p50 µs", "µs", []Mode{Starve}, true},
	{keyIntakeP99, "intake: p99 µs", "µs", []Mode{Starve}, true},
	{keyIntakeMax, "intake: max µs", "µs", []Mode{Starve}, true},
	{keyIntakeTime, "intake: measured s", "s", []Mode{Starve}, false},
	{keyAfterMsgs, "after: messages/s", "1/s", []Mode{Starve}, true},
	{keyAfterP50, "after: p50 µs", "µs", []Mode{Starve}, true},
	{keyAfterP99, "after: p99 µs", "µs", []Mode{Starve}, true},
	{keyAfterMax, "after: max µs", "µs", []Mode{Starve}, true},
	{keyIntakeEnd, "intake ended at s", "s", []Mode{Starve}, true},
	{keyConnected, "connections held", "count", []Mode{Slow, Starve, Idle}, true},
	{keyRSS, "server RSS peak MiB", "MiB", allModes, true},
	{keyRSSConn, "server RSS/conn KiB", "KiB", allModes, true},
	{keyTCPConn, "kernel TCP/conn KiB", "KiB", allModes, true},
	{keySlabConn, "kernel slab/conn KiB", "KiB", allModes, true},
	{keyTotalConn, "RSS+kernel/conn KiB", "KiB", allModes, true},
	{keyServerCPU, "server CPU s/M msgs", "s per million messages (= µs/message)", perMessage, true},
	{keyServerPct, "server CPU % of a core", "%", waiting, true},
	{keyGenCPU, "generator CPU µs/msg", "µs", perMessage, true},
	{keySlowTaken, "slow: taken/conn KiB", "KiB", []Mode{Slow, Starve}, true},
	{keySlowLast, "slow: last byte taken s", "s", []Mode{Slow}, false},
	{keyErrors, "errors", "count", allModes, false},
}

// GeneratorBoundShare is how much of the server's CPU per message the
// generator may spend before a series is marked generator-bound: past it,
// the generator's own cost is a good part of what each message's round
// trip measures, and a faster server would show little of its speed.
const GeneratorBoundShare = 0.5

// value is one measure of one run, ok when it was measured. noise is how
// far the measure moves by itself, where that is known: a value within it
// says nothing of the engine, and has no ratio to another.
type value struct {
	v     float64
	ok    bool
	noise float64
}

// ratioTo is v over w, ok only where that ratio means something: both
// measured, both above zero and above their noise. A ratio across a sign
// change (-3.84 over 0.04 is -108x) or of a figure lost in its noise would
// print a number and say nothing.
func (v value) ratioTo(w value) (float64, bool) {
	if !v.ok || !w.ok || v.v <= max(v.noise, 0) || w.v <= max(w.noise, 0) {
		return 0, false
	}
	return v.v / w.v, true
}

// measure derives a run's measures from its load result and its server's
// samples.
func measure(r *Trial) map[string]value {
	m := map[string]value{}
	res := r.Load
	// conns is every connection the server held: a slow series' slow ones
	// and the measured one (a starve series' light client over the intake
	// has gone by then, and its errors count alone).
	conns := 0
	var errs uint64
	for _, lr := range []*load.Result{res, r.Beside, r.Intake} {
		if lr == nil {
			continue
		}
		if lr != r.Intake {
			conns += lr.Connected
		}
		errs += lr.ErrorCount() + lr.FailedDials()
	}
	if r.Series.Mode == Starve {
		measurePhase(m, r.Intake, keyIntakeMsgs, keyIntakeP50, keyIntakeP99, keyIntakeMax)
		measurePhase(m, res, keyAfterMsgs, keyAfterP50, keyAfterP99, keyAfterMax)
		if r.Intake != nil {
			m[keyIntakeTime] = value{v: r.Intake.Duration.Seconds(), ok: true}
		}
		if e := r.IntakeEnd; e != nil {
			m[keyIntakeEnd] = value{v: e.At.Seconds(), ok: true}
		}
	}
	if res != nil {
		moved := res.Messages > 0
		m[keyMsgs] = value{v: res.MessagesPerS, ok: true}
		m[keyMB] = value{v: res.MBPerSIn, ok: true}
		m[keyP50] = value{v: res.Latency.P50, ok: moved}
		m[keyP99] = value{v: res.Latency.P99, ok: moved}
		m[keyP99Sent] = value{v: res.LatencyUncorrected.P99, ok: moved}
		m[keyConnected] = value{v: float64(conns), ok: true}
		m[keyGenCPU] = value{v: res.GeneratorCPUPerMsg, ok: moved}
		m[keyErrors] = value{v: float64(errs), ok: true}
	}
	if b := r.Beside; b != nil && b.Slow != nil && b.Connected > 0 {
		m[keySlowTaken] = value{v: float64(b.Slow.TakenBytes) / float64(b.Connected) / (1 << 10), ok: true}
		m[keySlowLast] = value{v: b.Slow.LastTaken.Seconds(), ok: true}
	}
	if st := r.Server; st.Sampled {
		m[keyRSS] = value{v: float64(st.PeakRSS) / (1 << 20), ok: true}
		if conns > 0 {
			m[keyRSSConn] = value{v: float64(st.PeakRSS-st.BaselineRSS) / float64(conns) / (1 << 10), ok: true}
		}
		if res != nil && res.Messages > 0 {
			// Seconds per million messages is microseconds per message.
			m[keyServerCPU] = value{v: st.CPU.Seconds() / float64(res.Messages) * 1e6, ok: true}
		}
		if res != nil && res.Duration > 0 {
			m[keyServerPct] = value{v: 100 * st.CPU.Seconds() / res.Duration.Seconds(), ok: true}
		}
	}
	if k := &r.Kernel; k.Sampled && conns > 0 {
		pc := k.perConn(conns)
		m[keyTCPConn] = value{v: pc.tcp / (1 << 10), ok: pc.tcpOK}
		m[keySlabConn] = value{v: pc.slab / (1 << 10), ok: pc.slabOK, noise: pc.slabNoise / (1 << 10)}
		// Where the slab caches cannot be read (not root) the total is
		// RSS and TCP buffers; where they were read but do not hold, none.
		if rss := m[keyRSSConn]; rss.ok && pc.tcpOK && (pc.slabOK || !pc.slabRead) {
			m[keyTotalConn] = value{v: rss.v + (pc.tcp+pc.slab)/(1<<10), ok: true, noise: pc.slabNoise / (1 << 10)}
		}
	}
	return m
}

// measurePhase puts one phase's figures of a starve series' light client,
// lr, in m under the keys given: none if it measured no time, and no
// latency if it completed no message.
func measurePhase(m map[string]value, lr *load.Result, msgs, p50, p99, maxKey string) {
	if lr == nil || lr.Duration <= 0 {
		return
	}
	moved := lr.Messages > 0
	m[msgs] = value{v: lr.MessagesPerS, ok: true}
	m[p50] = value{v: lr.Latency.P50, ok: moved}
	m[p99] = value{v: lr.Latency.P99, ok: moved}
	m[maxKey] = value{v: lr.Latency.Max, ok: moved}
}

// generatorBound says, for each engine with both figures, whether the
// generator's CPU per message was at least GeneratorBoundShare of the
// server's, from the medians in rows.
func generatorBound(rows []Row, engines []engine.Name) map[engine.Name]bool {
	var gen, srv *Row
	for i := range rows {
		switch rows[i].Metric {
		case keyGenCPU:
			gen = &rows[i]
		case keyServerCPU:
			srv = &rows[i]
		}
	}
	if gen == nil || srv == nil {
		return nil
	}
	out := map[engine.Name]bool{}
	for _, e := range engines {
		g, gok := gen.Median[e]
		s, sok := srv.Median[e]
		if gok && sok && s > 0 {
			out[e] = g >= GeneratorBoundShare*s
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// SeriesSummary is the medians of one series on both engines.
type SeriesSummary struct {
	Series Series `json:"series"`
	Rows   []Row  `json:"rows"`
	// GeneratorBound says for each engine whether the generator's median
	// CPU per message was at least GeneratorBoundShare of the server's:
	// then the series measures the generator in good part. Absent where
	// either was not measured.
	GeneratorBound map[engine.Name]bool `json:"generator_bound,omitempty"`
}

// Row is one measure of a series on both engines.
type Row struct {
	Metric string `json:"metric"`
	Label  string `json:"label"`
	Unit   string `json:"unit"`
	// Median is each engine's median over its good runs; an engine with
	// no measure has no entry.
	Median map[engine.Name]float64 `json:"median"`
	// Ratio is the median over the rounds of the first engine's measure
	// divided by the second's in the same round, over the rounds where that
	// ratio means something (value.ratioTo); nil when none does, or the
	// measure has no ratio (HasRatio).
	Ratio *float64 `json:"ratio,omitempty"`
}

// HasRatio reports whether the row's measure has a ratio of the engines
// at all: where it has and Ratio is nil, no round's ratio meant anything
// (the table's "n/a"); where it has not (errors, times), the table says
// "-".
func (r Row) HasRatio() bool {
	for _, spec := range rowSpecs {
		if spec.key == r.Metric {
			return spec.ratio
		}
	}
	return false
}

// Summarize reduces runs to one SeriesSummary per series, in the order the
// series first appear, comparing engines[0] with engines[1]. Failed runs are
// left out.
func Summarize(runs []Trial, engines []engine.Name) []SeriesSummary {
	var order []Series
	bySeries := map[Series][]*Trial{}
	for i := range runs {
		r := &runs[i]
		if _, seen := bySeries[r.Series]; !seen {
			order = append(order, r.Series)
		}
		bySeries[r.Series] = append(bySeries[r.Series], r)
	}
	out := make([]SeriesSummary, 0, len(order))
	for _, s := range order {
		out = append(out, summarizeSeries(s, bySeries[s], engines))
	}
	return out
}

func summarizeSeries(s Series, runs []*Trial, engines []engine.Name) SeriesSummary {
	// measured[engine][round] holds the measures of each good run.
	measured := map[engine.Name]map[int]map[string]value{}
	for _, r := range runs {
		if r.Error != "" {
			continue
		}
		if measured[r.Engine] == nil {
			measured[r.Engine] = map[int]map[string]value{}
		}
		measured[r.Engine][r.Round] = measure(r)
	}
	sum := SeriesSummary{Series: s}
	for _, mt := range rowSpecs {
		if !slices.Contains(mt.modes, s.Mode) {
			continue
		}
		row := Row{Metric: mt.key, Label: mt.label, Unit: mt.unit, Median: map[engine.Name]float64{}}
		for _, e := range engines {
			var vs []float64
			for _, m := range measured[e] {
				if v := m[mt.key]; v.ok {
					vs = append(vs, v.v)
				}
			}
			if len(vs) > 0 {
				row.Median[e] = median(vs)
			}
		}
		if mt.ratio && len(engines) == 2 {
			var ratios []float64
			for round, a := range measured[engines[0]] {
				b, ok := measured[engines[1]][round]
				if !ok {
					continue
				}
				if r, ok := a[mt.key].ratioTo(b[mt.key]); ok {
					ratios = append(ratios, r)
				}
			}
			if len(ratios) > 0 {
				r := median(ratios)
				row.Ratio = &r
			}
		}
		sum.Rows = append(sum.Rows, row)
	}
	sum.GeneratorBound = generatorBound(sum.Rows, engines)
	return sum
}

// median is the middle value of vs, or the mean of the two middle values;
// vs must not be empty. It sorts a copy.
func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
