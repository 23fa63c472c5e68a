package compare

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"time"
)

//go:embed report.html.tmpl
var reportTemplate string

var reportPage = template.Must(template.New("report").Parse(reportTemplate))

// WriteHTML writes the report as one HTML page that needs nothing else to
// be viewed (its styles and charts are inline, its policy forbids loading
// anything): the table, the medians against connection count, and each
// series' timeline, second by second, for both engines.
func WriteHTML(w io.Writer, rep *Report) error {
	rows, notes := tableRows(rep)
	page := htmlPage{
		Title:   fmt.Sprintf("%s against %s", rep.Settings.Engines[0], rep.Settings.Engines[1]),
		Caption: caption(rep),
		Started: rep.Started.Format(time.RFC1123),
		Header:  rows[0],
		Rows:    rows[1:],
		Notes:   notes,
	}
	page.Summary = figures(chartPanelPlots(rep))
	for _, s := range rep.Settings.Series {
		page.Series = append(page.Series, seriesTimeline(rep, s))
	}
	if err := reportPage.Execute(w, page); err != nil {
		return fmt.Errorf("compare: the HTML report: %w", err)
	}
	return nil
}

// htmlPage is what the report's template shows.
type htmlPage struct {
	Title, Caption, Started string
	Header                  []string
	Rows                    [][]string
	Notes                   []string
	Summary                 []htmlFigure
	Series                  []htmlSeries
}

// htmlFigure is one chart and its legend.
type htmlFigure struct {
	Title  string
	SVG    template.HTML
	Legend []legendEntry
}

// htmlSeries is one series' timeline.
type htmlSeries struct {
	Name    string
	About   []string
	Rules   []legendEntry // the legend of the rules of all its plots
	Figures []htmlFigure
}

// namedPlot is a plot and its title.
type namedPlot struct {
	title string
	plot  *svgPlot
}

// figures draws the plots that have something to show.
func figures(plots []namedPlot) []htmlFigure {
	var out []htmlFigure
	for _, np := range plots {
		if np.plot.empty() {
			continue
		}
		out = append(out, htmlFigure{Title: np.title, SVG: np.plot.svg(), Legend: np.plot.legend()})
	}
	return out
}

// chartPanelPlots are the chart's panels (chartSpecs) as the report's plots.
func chartPanelPlots(rep *Report) []namedPlot {
	var out []namedPlot
	for _, sp := range chartSpecs {
		p := &svgPlot{xLabel: "connections", yLabel: sp.ylabel, logX: true, logY: sp.logY}
		xs := map[float64]bool{}
		for i, e := range rep.Settings.Engines {
			for li, ly := range sp.layers {
				s := plotSeries{label: fmt.Sprintf("%s %s", e, ly.name), engine: i, marks: li > 0, glyph: li}
				for _, pt := range chartPoints(rep, e, ly.mode, ly.metric, sp.logY) {
					if pt.X > 0 {
						s.pts = append(s.pts, plotPoint{pt.X, pt.Y})
						xs[pt.X] = true
					}
				}
				p.series = append(p.series, s)
			}
		}
		for x := range xs {
			p.xTicks = append(p.xTicks, x)
		}
		slices.Sort(p.xTicks)
		out = append(out, namedPlot{sp.title, p})
	}
	return out
}

// timeMeasure is one chart of a series' timeline: what it reads of each
// run's Timeline.
type timeMeasure struct {
	title, ylabel string
	logY          bool
	// client and beside read a point of the measured client and of the
	// load beside it; server a point of the server. Those unset are not
	// drawn; ok false leaves the point out.
	client, beside func(ClientSecond) (float64, bool)
	server         func(ServerSecond) float64
}

// timeMeasures are the charts of a series' timeline, in order. Those with
// nothing to show (all zero) are left out.
var timeMeasures = []timeMeasure{
	{title: "messages/s, measured client", ylabel: "messages/s",
		client: func(c ClientSecond) (float64, bool) { return c.MessagesPerS, true }},
	{title: "latency p99 over each second", ylabel: "µs", logY: true,
		client: func(c ClientSecond) (float64, bool) { return c.P99, c.P99 > 0 }},
	{title: "server RSS", ylabel: "MiB",
		server: func(s ServerSecond) float64 { return float64(s.RSS) / (1 << 20) }},
	{title: "server CPU", ylabel: "% of a core",
		server: func(s ServerSecond) float64 { return s.CPU }},
	{title: "connections established", ylabel: "connections",
		client: func(c ClientSecond) (float64, bool) { return float64(c.Connected), true },
		beside: func(c ClientSecond) (float64, bool) { return float64(c.Connected), true }},
	{title: "bytes written by the load beside", ylabel: "MB/s",
		beside: func(c ClientSecond) (float64, bool) { return c.WrittenPerS / 1e6, true }},
}

// seriesTimeline is series s's timeline: each measure a chart, each run a
// line in its engine's style, with rules where its measured time began and
// ended and, in a starve series, where the intake ended.
func seriesTimeline(rep *Report, s Series) htmlSeries {
	out := htmlSeries{Name: s.Name()}
	client, beside := "measured client", "load beside"
	switch s.Mode {
	case Slow:
		beside = "slow connections"
	case Starve:
		client, beside = "light client", "heavy senders"
	}
	var plots []namedPlot
	for _, m := range timeMeasures {
		plots = append(plots, namedPlot{m.title, &svgPlot{xLabel: "seconds since the server listened", yLabel: m.ylabel, logY: m.logY, gap: 1.5}})
	}
	for _, tr := range rep.Trials {
		if tr.Series != s {
			continue
		}
		e := slices.Index(rep.Settings.Engines, tr.Engine)
		name := string(tr.Engine)
		if rep.Settings.Repeat > 1 {
			name = fmt.Sprintf("%s, round %d", tr.Engine, tr.Round)
		}
		out.About = append(out.About, aboutTrial(name, &tr))
		rules := trialRules(name, e, &tr)
		out.Rules = append(out.Rules, rulesLegend(rules)...)
		for i, m := range timeMeasures {
			p := plots[i].plot
			p.rules = append(p.rules, rules...)
			if m.server != nil {
				var pts []plotPoint
				for _, sec := range tr.Timeline.Server {
					pts = append(pts, plotPoint{sec.At.Seconds(), m.server(sec)})
				}
				p.series = append(p.series, plotSeries{label: name, engine: e, pts: pts})
			}
			if m.client != nil {
				p.series = append(p.series, plotSeries{label: name + ": " + client, engine: e, pts: clientPoints(tr.Timeline.Client, m.client)})
			}
			if m.beside != nil {
				p.series = append(p.series, plotSeries{label: name + ": " + beside, engine: e, glyph: 1, pts: clientPoints(tr.Timeline.Beside, m.beside)})
			}
		}
	}
	for _, np := range plots {
		if allZero(np.plot) {
			np.plot.series = nil
		}
	}
	out.Figures = figures(plots)
	return out
}

// clientPoints are the points f reads of a load's seconds.
func clientPoints(secs []ClientSecond, f func(ClientSecond) (float64, bool)) []plotPoint {
	var pts []plotPoint
	for _, c := range secs {
		if v, ok := f(c); ok {
			pts = append(pts, plotPoint{c.At.Seconds(), v})
		}
	}
	return pts
}

// allZero says whether every point of the plot is at zero: nothing to show.
func allZero(p *svgPlot) bool {
	for _, s := range p.series {
		for _, pt := range s.pts {
			if pt.y != 0 {
				return false
			}
		}
	}
	return true
}

// trialRules mark where a run's measured time began and ended, and where a
// starve series' intake ended.
func trialRules(name string, e int, tr *Trial) []plotRule {
	var rules []plotRule
	if tr.Load != nil {
		from, to := tr.Server.WindowFrom, tr.Server.WindowFrom+tr.Load.Duration
		legend := name + ": measured time"
		rules = append(rules,
			plotRule{x: from.Seconds(), engine: e, kind: "window", legend: legend, title: fmt.Sprintf("%s: measured from %.2f s", name, from.Seconds())},
			plotRule{x: to.Seconds(), engine: e, kind: "window", legend: legend, title: fmt.Sprintf("%s: measured to %.2f s", name, to.Seconds())})
	}
	if at := tr.Timeline.IntakeEnd; at > 0 {
		rules = append(rules, plotRule{x: at.Seconds(), engine: e, kind: "intake", legend: name + ": intake ended",
			title: fmt.Sprintf("%s: the heavy senders' last byte taken, %.2f s", name, at.Seconds())})
	}
	return rules
}

// aboutTrial says in a line what a run's timeline cannot: where its
// measured time was found, how its intake ended, why it failed.
func aboutTrial(name string, tr *Trial) string {
	if tr.Error != "" {
		return fmt.Sprintf("%s failed: %s", name, tr.Error)
	}
	line := name + ":"
	if tr.Load != nil {
		from := tr.Server.WindowFrom
		line += fmt.Sprintf(" measured from %.2f s to %.2f s (placed by %s)", from.Seconds(), (from + tr.Load.Duration).Seconds(), tr.Server.WindowBy)
	}
	if e := tr.IntakeEnd; e != nil {
		line += fmt.Sprintf("; intake over (%s) %.2f s after the heavy senders' traffic began", e.By, e.At.Seconds())
		if tr.Timeline.IntakeEnd > 0 {
			line += fmt.Sprintf(", at %.2f s", tr.Timeline.IntakeEnd.Seconds())
		}
	}
	return line
}
