package compare

import (
	"slices"
)

// The measures of a run, as keyed in a Row.
const (
	keyMsgs      = "messages_per_s"
	keyMB        = "mb_per_s"
	keyP50       = "latency_p50_us"
	keyP99       = "latency_p99_us"
	keyConnected = "connected"
	keyRSS       = "server_rss_peak_mib"
	keyRSSConn   = "server_rss_per_conn_kib"
	keyServerCPU = "server_cpu_s_per_m_msgs"
	keyGenCPU    = "generator_cpu_us_per_msg"
	keyErrors    = "errors"
)

// metric is one row of a series in the table.
type metric struct {
	key   string
	label string
	modes []Mode // the series it is shown for
	ratio bool   // whether a ratio of the engines means something
}

var traffic = []Mode{PingPong, Stream}

// metrics are the rows of each series, in order.
var metrics = []metric{
	{keyMsgs, "messages/s", traffic, true},
	{keyMB, "MB/s each way", traffic, true},
	{keyP50, "latency p50 µs", traffic, true},
	{keyP99, "latency p99 µs", traffic, true},
	{keyConnected, "connections held", []Mode{Idle}, true},
	{keyRSS, "server RSS peak MiB", []Mode{PingPong, Stream, Idle}, true},
	{keyRSSConn, "server RSS/conn KiB", []Mode{PingPong, Stream, Idle}, true},
	{keyServerCPU, "server CPU s/M msgs", traffic, true},
	{keyGenCPU, "generator CPU µs/msg", traffic, true},
	{keyErrors, "errors", []Mode{PingPong, Stream, Idle}, false},
}

// value is one measure of one run, ok when it was measured.
type value struct {
	v  float64
	ok bool
}

// measure derives a run's measures from its load result and its server's
// samples.
func measure(r *Trial) map[string]value {
	m := map[string]value{}
	res := r.Load
	if res != nil {
		moved := res.Messages > 0
		m[keyMsgs] = value{res.MessagesPerS, true}
		m[keyMB] = value{res.MBPerSIn, true}
		m[keyP50] = value{res.Latency.P50, moved}
		m[keyP99] = value{res.Latency.P99, moved}
		m[keyConnected] = value{float64(res.Connected), true}
		m[keyGenCPU] = value{res.GeneratorCPUPerMsg, moved}
		var errs uint64
		for _, n := range res.Errors {
			errs += n
		}
		for _, n := range res.ConnectFailed {
			errs += n
		}
		m[keyErrors] = value{float64(errs), true}
	}
	if st := r.Server; st.Sampled {
		m[keyRSS] = value{float64(st.PeakRSS) / (1 << 20), true}
		if res != nil && res.Connected > 0 {
			m[keyRSSConn] = value{float64(st.PeakRSS-st.BaselineRSS) / float64(res.Connected) / (1 << 10), true}
		}
		if res != nil && res.Messages > 0 {
			// Seconds per million messages is microseconds per message.
			m[keyServerCPU] = value{st.CPU.Seconds() / float64(res.Messages) * 1e6, true}
		}
	}
	return m
}

// SeriesSummary is the medians of one series on both engines.
type SeriesSummary struct {
	Series Series `json:"series"`
	Rows   []Row  `json:"rows"`
}

// Row is one measure of a series on both engines.
type Row struct {
	Metric string `json:"metric"`
	Label  string `json:"label"`
	// Median is each engine's median over its good runs; an engine with
	// no measure has no entry.
	Median map[string]float64 `json:"median"`
	// Ratio is the median over the rounds of the first engine's measure
	// divided by the second's in the same round; nil when no round has
	// both (or the measure has no meaningful ratio).
	Ratio *float64 `json:"ratio,omitempty"`
}

// Summarize reduces runs to one SeriesSummary per series, in the order the
// series first appear, comparing engines[0] with engines[1]. Failed runs are
// left out.
func Summarize(runs []Trial, engines []string) []SeriesSummary {
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

func summarizeSeries(s Series, runs []*Trial, engines []string) SeriesSummary {
	// measured[engine][round] holds the measures of each good run.
	measured := map[string]map[int]map[string]value{}
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
	for _, mt := range metrics {
		if !slices.Contains(mt.modes, s.Mode) {
			continue
		}
		row := Row{Metric: mt.key, Label: mt.label, Median: map[string]float64{}}
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
				if va, vb := a[mt.key], b[mt.key]; va.ok && vb.ok && vb.v != 0 {
					ratios = append(ratios, va.v/vb.v)
				}
			}
			if len(ratios) > 0 {
				r := median(ratios)
				row.Ratio = &r
			}
		}
		sum.Rows = append(sum.Rows, row)
	}
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
