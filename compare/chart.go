package compare

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// Chart sizes: one panel's plot, and the padding around panels. Two
// panels a row make the chart about 9 inches wide, about as wide as a
// README shows it, so that its text shows at about the size it was set in.
const (
	panelWidth  = 4.5 * vg.Inch
	plotHeight  = 3 * vg.Inch
	panelPad    = 0.25 * vg.Inch
	panelsInRow = 2
)

// chartFont is the chart's typeface: a sans serif reads better small.
var chartFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Text sizes of the chart, in points.
const (
	titleSize  = 13
	labelSize  = 11
	tickSize   = 10
	legendSize = 10
)

// engineStyle draws the first engine blue and solid with circles, the
// second orange and dashed with triangles, so the lines tell apart in grey
// too.
var engineStyle = []struct {
	color  color.Color
	dashes []vg.Length
	glyph  draw.GlyphDrawer
}{
	{color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, nil, draw.CircleGlyph{}},
	{color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, []vg.Length{vg.Points(6), vg.Points(3)}, draw.PyramidGlyph{}},
}

// WriteChart draws the report's medians against connection count, one
// colour per engine: pingpong messages/s; stream MB/s (windowed stream as
// marks); latency p99 (paced and slow series as marks); and the server's
// memory per connection, RSS (pingpong as lines, idle as marks) and RSS plus
// the kernel's socket memory (idle and slow). It leaves out a panel with
// nothing to show. Each panel's legend is under its plot, a column an
// engine, so that it covers no point. format is "png" or "svg".
func WriteChart(w io.Writer, rep *Report, format string) error {
	panels, err := chartPanels(rep)
	if err != nil {
		return err
	}
	if len(panels) == 0 {
		return fmt.Errorf("compare: nothing to chart: no series has both a connection count and a measure")
	}
	cols := min(len(panels), panelsInRow)
	rows := (len(panels) + cols - 1) / cols
	var legendHeight vg.Length // the same under every plot, so that the plots of a row line up
	for _, p := range panels {
		for _, l := range p.legends {
			r := l.Rectangle(draw.Canvas{})
			legendHeight = max(legendHeight, r.Max.Y-r.Min.Y)
		}
	}
	legendHeight += panelPad / 2
	width := vg.Length(cols)*panelWidth + vg.Length(cols+1)*panelPad
	height := vg.Length(rows)*(plotHeight+legendHeight) + vg.Length(rows+1)*panelPad
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(110), vgimg.UseBackgroundColor(color.White))}
	case "svg":
		c = vgsvg.New(width, height)
	default:
		return fmt.Errorf("compare: chart format %q: want png or svg", format)
	}
	// Each panel in its own tile, not aligned: plot.Align would push a
	// panel's title apart from its data area.
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: panelPad, PadY: panelPad, PadTop: panelPad, PadBottom: panelPad, PadLeft: panelPad, PadRight: panelPad}
	dc := draw.New(c)
	for i, p := range panels {
		tile := tiles.At(dc, i%cols, i/cols)
		p.plot.Draw(draw.Crop(tile, 0, 0, legendHeight, 0))
		column := (tile.Max.X - tile.Min.X) / vg.Length(max(len(p.legends), 1))
		for j, l := range p.legends {
			area := tile
			area.Max.Y = tile.Min.Y + legendHeight - panelPad/2
			area.Min.X = tile.Min.X + vg.Length(j)*column
			area.Max.X = area.Min.X + column
			l.Draw(area)
		}
	}
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("compare: writing the chart: %w", err)
	}
	return nil
}

// chartPanelDrawn is one panel: its plot and, under it, a legend column
// for each engine.
type chartPanelDrawn struct {
	plot    *plot.Plot
	legends []*plot.Legend
}

// chartLayer is one measure of the series of one mode in a panel: the
// first layer of a panel as lines, the others as marks alone (a series
// kind measured at one or two connection counts reads better as points).
type chartLayer struct {
	mode   Mode
	metric string
	name   string // in the legend, after the engine
}

// chartPanel is one panel of the chart.
type chartPanel struct {
	title, ylabel string
	logY          bool
	layers        []chartLayer
}

// chartSpecs are the chart's panels, in order.
var chartSpecs = []chartPanel{
	{"pingpong throughput", "messages/s", false, []chartLayer{
		{PingPong, keyMsgs, "pingpong"},
	}},
	{"stream throughput", "MB/s each way", false, []chartLayer{
		{Stream, keyMB, "stream"},
		{Window, keyMB, "window"},
	}},
	{"latency p99", "µs", true, []chartLayer{
		{PingPong, keyP99, "pingpong"},
		{Paced, keyP99, "paced"},
		{Slow, keyP99, "beside slow"},
		{Starve, keyIntakeP99, "light, intake"},
		{Starve, keyAfterP99, "light, after"},
	}},
	{"server memory over its baseline", "KiB per connection", true, []chartLayer{
		{PingPong, keyRSSConn, "pingpong RSS"},
		{Idle, keyRSSConn, "idle RSS"},
		{Idle, keyTotalConn, "idle RSS+kernel"},
		{Slow, keyTotalConn, "slow RSS+kernel"},
	}},
}

// markGlyphs are the shapes of a panel's mark layers after the first, by
// layer; the first mark layer takes the engine's glyph, hollow.
var markGlyphs = []draw.GlyphDrawer{draw.BoxGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}

// chartPanels makes the panels that have something to show.
func chartPanels(rep *Report) ([]chartPanelDrawn, error) {
	engines := rep.Settings.Engines
	var out []chartPanelDrawn
	for _, sp := range chartSpecs {
		p := plot.New()
		p.Title.Text = sp.title
		p.X.Label.Text = "connections"
		p.Y.Label.Text = sp.ylabel
		setChartText(p)
		p.X.Scale = plot.LogScale{}
		if sp.logY {
			p.Y.Scale = plot.LogScale{}
		} else {
			p.Y.Min = 0
			p.Y.Tick.Marker = humanTicks{}
		}
		p.Add(plotter.NewGrid())
		drawn, xs := 0, map[float64]bool{}
		var legends []*plot.Legend
		for i, e := range engines {
			style := engineStyle[i%len(engineStyle)]
			legend := plot.NewLegend()
			legend.Top, legend.Left = true, true
			legend.TextStyle.Font = font.From(chartFont, legendSize)
			legend.Padding = vg.Points(2)
			for li, ly := range sp.layers {
				pts := chartPoints(rep, e, ly.mode, ly.metric, sp.logY)
				if len(pts) == 0 {
					continue
				}
				label := fmt.Sprintf("%s %s", e, ly.name)
				if li == 0 {
					line, marks, err := plotter.NewLinePoints(pts)
					if err != nil {
						return nil, fmt.Errorf("compare: chart: %w", err)
					}
					line.Color, line.Dashes, line.Width = style.color, style.dashes, vg.Points(1.5)
					marks.Color, marks.Shape, marks.Radius = style.color, style.glyph, vg.Points(3)
					p.Add(line, marks)
					legend.Add(label, line, marks)
				} else {
					marks, err := plotter.NewScatter(pts)
					if err != nil {
						return nil, fmt.Errorf("compare: chart: %w", err)
					}
					marks.Color, marks.Radius = style.color, vg.Points(5)
					marks.Shape = hollow(style.glyph)
					if li > 1 {
						marks.Shape = markGlyphs[(li-2)%len(markGlyphs)]
					}
					p.Add(marks)
					legend.Add(label, marks)
				}
				drawn += len(pts)
				for _, pt := range pts {
					xs[pt.X] = true
				}
			}
			legends = append(legends, &legend)
		}
		if drawn == 0 {
			continue
		}
		p.X.Tick.Marker = connTicks(xs)
		widenLogRange(&p.X.Min, &p.X.Max)
		if sp.logY {
			widenLogRange(&p.Y.Min, &p.Y.Max)
			p.Y.Tick.Marker = decadeTicks(p.Y.Min, p.Y.Max)
		} else {
			p.Y.Max *= 1.08
		}
		out = append(out, chartPanelDrawn{p, legends})
	}
	return out, nil
}

// setChartText sets the plot's text in the chart's typeface and sizes.
func setChartText(p *plot.Plot) {
	p.Title.TextStyle.Font = font.From(chartFont, titleSize)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(chartFont, labelSize)
		a.Tick.Label.Font = font.From(chartFont, tickSize)
	}
}

// chartPoints are an engine's medians of metric in the series of mode, by
// connection count. A log axis cannot show values at or below zero: they are
// left out.
func chartPoints(rep *Report, eng engine.Name, mode Mode, metric string, logY bool) plotter.XYs {
	var pts plotter.XYs
	for _, s := range rep.Summary {
		if s.Series.Mode != mode {
			continue
		}
		for _, row := range s.Rows {
			v, ok := row.Median[eng]
			if row.Metric != metric || !ok || math.IsNaN(v) || math.IsInf(v, 0) || (logY && v <= 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: float64(s.Series.Conns), Y: v})
		}
	}
	return pts
}

// widenLogRange pads a log axis' range by a fifth of a decade each way, so
// points sit off the frame, and gives a single point a range around it.
func widenLogRange(lo, hi *float64) {
	*lo /= math.Pow(10, 0.2)
	*hi *= math.Pow(10, 0.2)
}

// connTicks labels the connection counts that were measured, but for
// one within half again of the one labelled before it, whose label would
// run into that one's.
func connTicks(xs map[float64]bool) plot.ConstantTicks {
	var ticks plot.ConstantTicks
	for x := range xs {
		ticks = append(ticks, plot.Tick{Value: x})
	}
	slices.SortFunc(ticks, func(a, b plot.Tick) int { return cmp.Compare(a.Value, b.Value) })
	last := math.Inf(-1)
	for i, t := range ticks {
		if t.Value >= 1.5*last {
			ticks[i].Label, last = strconv.FormatFloat(t.Value, 'f', -1, 64), t.Value
		}
	}
	return ticks
}

// humanTicks are plot.DefaultTicks labelled as the table writes numbers
// ("250", "40k"), not "250.00" or "40000".
type humanTicks struct{}

func (humanTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = human(ticks[i].Value)
		}
	}
	return ticks
}

// decadeTicks labels the powers of ten between lo and hi, with unlabelled
// ticks between them. (plot.LogTicks adds a tick past hi whose label box
// shrinks the data area.)
func decadeTicks(lo, hi float64) plot.ConstantTicks {
	var ticks plot.ConstantTicks
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			if v := m * base; v >= lo && v <= hi {
				t := plot.Tick{Value: v}
				if m == 1 {
					t.Label = decadeLabel(v)
				}
				ticks = append(ticks, t)
			}
		}
	}
	return ticks
}

// hollow is the open form of a filled glyph.
func hollow(g draw.GlyphDrawer) draw.GlyphDrawer {
	switch g.(type) {
	case draw.PyramidGlyph:
		return draw.TriangleGlyph{}
	default:
		return draw.RingGlyph{}
	}
}

// decadeLabel writes a power of ten as the table would, without its
// trailing zeros: "0.1", "1000", "10k", "1M".
func decadeLabel(v float64) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	switch {
	case v >= 1e6:
		return f(v/1e6) + "M"
	case v >= 1e4:
		return f(v/1e3) + "k"
	}
	return f(v)
}
