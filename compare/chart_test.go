package compare

import (
	"bytes"
	"testing"
	"time"

	"gonum.org/v1/plot/vg/draw"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

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
	trials = append(trials, starveTrial("gnet", 1, 500, 40_000), starveTrial("goroutine", 1, 25_000, 50_000))
	rep := &Report{Settings: Settings{Engines: engine.All()}, Trials: trials}
	rep.Summary = Summarize(rep.Trials, rep.Settings.Engines)
	panels, err := chartPanels(rep)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(panels), len(chartSpecs); got != want {
		t.Errorf("%d panels, want %d", got, want)
	}
	// The legends are under the plots, a column an engine, and none is
	// inside a plot's frame, where it would cover points.
	for _, p := range panels {
		if r := p.plot.Legend.Rectangle(draw.Canvas{}); r.Max.Y-r.Min.Y != 0 {
			t.Errorf("%s: a legend inside the plot", p.plot.Title.Text)
		}
		if len(p.legends) != 2 {
			t.Errorf("%s: %d legend columns, want one an engine", p.plot.Title.Text, len(p.legends))
		}
		for _, l := range p.legends {
			if r := l.Rectangle(draw.Canvas{}); r.Max.Y-r.Min.Y <= 0 {
				t.Errorf("%s: an empty legend column", p.plot.Title.Text)
			}
		}
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
