package compare

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// timelineReport is a report of a pingpong series and a starve series on
// both engines, each run with a timeline made as Run makes it: from
// server samples and load children's progress lines.
func timelineReport() *Report {
	var trials []Trial
	for i, e := range engine.All() {
		var samples []Sample
		for k := range 40 {
			at := time.Duration(k) * 100 * time.Millisecond
			samples = append(samples, Sample{At: at, RSS: int64(10+k+i) << 20, CPU: at / 2})
		}
		pp := trial(Series{PingPong, 10}, e, 1, 1000, 1000, 10<<20, 50<<20, time.Second)
		pp.Server.WindowFrom = 500 * time.Millisecond
		pp.Timeline = makeTimeline(samples, trialProgress{client: []childProgress{childAt(0, 4*time.Second, float64(1000*(i+1)), 100)}}, nil)
		st := starveTrial(e, 1, 500, 40_000)
		beside := childAt(0, 4*time.Second, 0, 0)
		for k := range beside.ticks {
			beside.ticks[k].SlowWritten = uint64(k) << 20
			beside.ticks[k].Elapsed = beside.ticks[k].At - 100*time.Millisecond // traffic began at 100 ms
		}
		st.Timeline = makeTimeline(samples, trialProgress{
			client: []childProgress{childAt(0, 2*time.Second, 500, 900), childAt(2*time.Second, 4*time.Second, 40_000, 50)},
			beside: []childProgress{beside},
		}, st.IntakeEnd)
		trials = append(trials, pp, st)
	}
	rep := &Report{
		Started:  time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Settings: Settings{Engines: engine.All(), Series: []Series{{PingPong, 10}, {Starve, 3}}, Repeat: 1, ServerArgs: []string{"<script>alert(1)</script>"}},
		Trials:   trials,
	}
	rep.Summary = Summarize(rep.Trials, rep.Settings.Engines)
	return rep
}

// TestWriteHTML: the page has the table, a plot for each measure with
// something to show, each with both engines' lines and nothing else to
// load; what it quotes of the command line is escaped.
func TestWriteHTML(t *testing.T) {
	t.Parallel()
	rep := timelineReport()
	var b bytes.Buffer
	if err := WriteHTML(&b, rep); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`,
		"<td>pingpong-10</td>", "<td>starve-3</td>", "<th>gnet/goroutine</th>",
		`<section id="pingpong-10">`, `<section id="starve-3">`,
		"gnet: light client", "goroutine: heavy senders", "gnet: intake ended", "goroutine: measured time",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("the page runs what the command line said")
	}
	// A plot per panel of the chart with a point, and per measure of each
	// series but bytes written, which the pingpong series has none of.
	plots := strings.Count(page, `<svg class="plot"`)
	if want := len(chartSpecs) - 1 + 2*len(timeMeasures) - 1; plots != want {
		t.Errorf("%d plots, want %d", plots, want)
	}
	if got := strings.Count(page, `<g class="data">`); got != plots {
		t.Errorf("%d plots have data, of %d", got, plots)
	}
	for _, e := range []string{"e0", "e1"} {
		if got := strings.Count(page, `<path class="line `+e+`" d="M`); got < plots {
			t.Errorf("engine %s has %d lines in %d plots", e, got, plots)
		}
	}
	if strings.Contains(page, "NaN") || strings.Contains(page, "Inf") {
		t.Error("the page draws at NaN or Inf")
	}
}

// TestTickLabel: ticks read as the table's numbers, without trailing
// zeros.
func TestTickLabel(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0: "0", 1: "1", 2.5: "2.5", 20: "20", 150: "150", 50_000: "50k", 12_500: "12.5k", 2e6: "2M", 0.05: "0.05"} {
		if got := tickLabel(v); got != want {
			t.Errorf("tickLabel(%v) = %q, want %q", v, got, want)
		}
	}
}
