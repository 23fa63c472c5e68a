package compare

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// svgPlot is one chart of the HTML report, drawn as inline SVG: lines and
// marks over linear or log axes, and vertical rules. Its legend is the
// page's, beside it (legendEntries), so that it never covers the data.
type svgPlot struct {
	xLabel, yLabel string
	logX, logY     bool
	// xTicks, if set, are the only x ticks (the connection counts measured).
	xTicks []float64
	// gap breaks a line between points further apart than it on x; 0
	// never does.
	gap    float64
	series []plotSeries
	rules  []plotRule
}

// plotSeries is a line, or marks alone, in one engine's style.
type plotSeries struct {
	label  string
	engine int // index in the report's engines: its colour and dashes
	marks  bool
	glyph  int // the marks' shape (glyphs); a line has marks where it has few points
	pts    []plotPoint
}

// plotPoint is a point of a series.
type plotPoint struct{ x, y float64 }

// plotRule is a vertical line across the plot, at x: where a measured time
// began or ended, where an intake ended.
type plotRule struct {
	x      float64
	engine int
	kind   string // its CSS class: "window" or "intake"
	legend string // its line in the legend, one for all rules alike
	title  string // shown on hover
}

// The plot's frame within its viewBox, in its units (CSS pixels at width
// plotW).
const (
	plotW, plotH                = 480, 250
	plotLeft, plotRight         = 62, 10
	plotTop, plotBottom         = 10, 42
	glyphR                      = 3.5
	innerW, innerH      float64 = plotW - plotLeft - plotRight, plotH - plotTop - plotBottom
)

// minTickGap is the least distance between the centres of two x tick
// labels.
const minTickGap = 34

// tickLabel writes a tick's value as the table writes numbers, without
// trailing zeros: "2", "2.5", "50k".
func tickLabel(v float64) string {
	s := human(v)
	num, unit := s, ""
	if n := len(s); n > 0 && (s[n-1] == 'k' || s[n-1] == 'M') {
		num, unit = s[:n-1], s[n-1:]
	}
	if strings.Contains(num, ".") && !strings.ContainsAny(num, "e") {
		num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
	}
	return num + unit
}

// glyphs are the shapes of marks, by plotSeries.glyph.
var glyphs = []string{"circle", "square", "diamond", "triangle", "cross"}

// empty says whether the plot has no point to draw.
func (p *svgPlot) empty() bool {
	for _, s := range p.series {
		if len(s.pts) > 0 {
			return false
		}
	}
	return true
}

// axis maps values on one axis to the frame.
type axis struct {
	lo, hi float64
	log    bool
}

func (a axis) frac(v float64) float64 {
	if a.log {
		return (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	}
	return (v - a.lo) / (a.hi - a.lo)
}

// axes are the ranges of the plot's data and rules, padded so that no
// point sits on the top frame or a log axis' ends; a linear axis starts at
// zero.
func (p *svgPlot) axes() (x, y axis) {
	x.lo, y.lo = math.Inf(1), math.Inf(1)
	x.hi, y.hi = math.Inf(-1), math.Inf(-1)
	for _, s := range p.series {
		for _, pt := range s.pts {
			x.lo, x.hi = min(x.lo, pt.x), max(x.hi, pt.x)
			y.lo, y.hi = min(y.lo, pt.y), max(y.hi, pt.y)
		}
	}
	for _, r := range p.rules {
		x.lo, x.hi = min(x.lo, r.x), max(x.hi, r.x)
	}
	x.log, y.log = p.logX, p.logY
	pad := func(a *axis, room float64) {
		if a.log {
			a.lo, a.hi = a.lo/1.5, a.hi*1.5
			return
		}
		a.lo = min(a.lo, 0)
		a.hi = max(a.hi*room, a.lo+1)
	}
	pad(&x, 1) // a time axis ends where the run did
	pad(&y, 1.08)
	return x, y
}

// ticks are the values to mark on a, about n of them.
func (a axis) ticks(n int) []float64 {
	var out []float64
	if a.log {
		for e := math.Floor(math.Log10(a.lo)); e <= math.Ceil(math.Log10(a.hi)); e++ {
			for _, m := range []float64{1, 2, 5} {
				if v := m * math.Pow(10, e); v >= a.lo && v <= a.hi && (m == 1 || math.Log10(a.hi/a.lo) < 2) {
					out = append(out, v)
				}
			}
		}
		return out
	}
	raw := (a.hi - a.lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{2, 5, 10} {
		if step < raw {
			step = m * mag
		}
	}
	for v := math.Ceil(a.lo/step) * step; v <= a.hi+step/1e6; v += step {
		out = append(out, v)
	}
	return out
}

// svg draws the plot.
func (p *svgPlot) svg() template.HTML {
	xa, ya := p.axes()
	px := func(v float64) float64 { return plotLeft + xa.frac(v)*innerW }
	py := func(v float64) float64 { return plotTop + (1-ya.frac(v))*innerH }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="plot" viewBox="0 0 %d %d" role="img">`, plotW, plotH)
	fmt.Fprintf(&b, `<rect class="frame" x="%d" y="%d" width="%g" height="%g"/>`, plotLeft, plotTop, innerW, innerH)

	xt := p.xTicks
	if xt == nil {
		xt = xa.ticks(6)
	}
	lastLabel := math.Inf(-1)
	for _, v := range xt {
		x := px(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%g"/>`, x, plotTop, x, plotTop+innerH)
		if x-lastLabel >= minTickGap { // labels closer would run together
			fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%g" text-anchor="middle">%s</text>`, x, plotTop+innerH+16, tickLabel(v))
			lastLabel = x
		}
	}
	for _, v := range ya.ticks(5) {
		y := py(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%g" y2="%.1f"/>`, plotLeft, y, plotLeft+innerW, y)
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, plotLeft-6, y+4, tickLabel(v))
	}
	fmt.Fprintf(&b, `<text class="label" x="%g" y="%d" text-anchor="middle">%s</text>`, plotLeft+innerW/2, plotH-6, template.HTMLEscapeString(p.xLabel))
	fmt.Fprintf(&b, `<text class="label" transform="translate(14 %g) rotate(-90)" text-anchor="middle">%s</text>`, plotTop+innerH/2, template.HTMLEscapeString(p.yLabel))

	for _, r := range p.rules {
		x := px(r.x)
		fmt.Fprintf(&b, `<line class="rule %s e%d" x1="%.1f" y1="%d" x2="%.1f" y2="%g"><title>%s</title></line>`,
			r.kind, r.engine, x, plotTop, x, plotTop+innerH, template.HTMLEscapeString(r.title))
	}
	b.WriteString(`<g class="data">`)
	for _, s := range p.series {
		if len(s.pts) == 0 {
			continue
		}
		if !s.marks {
			var d strings.Builder
			for i, pt := range s.pts {
				cmd := "L"
				if i == 0 || p.gap > 0 && pt.x-s.pts[i-1].x > p.gap {
					cmd = "M"
				}
				fmt.Fprintf(&d, "%s%.1f %.1f", cmd, px(pt.x), py(pt.y))
			}
			fmt.Fprintf(&b, `<path class="line e%d" d="%s"><title>%s</title></path>`, s.engine, d.String(), template.HTMLEscapeString(s.label))
		}
		if s.marks || len(s.pts) < 3 {
			for _, pt := range s.pts {
				b.WriteString(glyph(s.glyph, s.engine, px(pt.x), py(pt.y), fmt.Sprintf("%s: %s at %s", s.label, human(pt.y), human(pt.x))))
			}
		}
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String()) // every text in it escaped above
}

// glyph draws mark shape g of engine e centred on x, y, titled title.
func glyph(g, e int, x, y float64, title string) string {
	r := glyphR
	var shape string
	switch glyphs[g%len(glyphs)] {
	case "square":
		shape = fmt.Sprintf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"`, x-r, y-r, 2*r, 2*r)
	case "diamond":
		shape = fmt.Sprintf(`<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ"`, x, y-r*1.3, x+r*1.3, y, x, y+r*1.3, x-r*1.3, y)
	case "triangle":
		shape = fmt.Sprintf(`<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fZ"`, x, y-r*1.3, x+r*1.2, y+r, x-r*1.2, y+r)
	case "cross":
		shape = fmt.Sprintf(`<path d="M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f"`, x-r, y-r, x+r, y+r, x-r, y+r, x+r, y-r)
	default:
		shape = fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="%.1f"`, x, y, r)
	}
	return fmt.Sprintf(`%s class="mark e%d"><title>%s</title></%s>`, shape, e, template.HTMLEscapeString(title), strings.Fields(shape)[0][1:])
}

// legendEntry is one line of a plot's legend: a swatch drawn as the
// series or rule is, and its label.
type legendEntry struct {
	Swatch template.HTML
	Label  string
}

// legend is the plot's legend: a line for each series.
func (p *svgPlot) legend() []legendEntry {
	var out []legendEntry
	for _, s := range p.series {
		if len(s.pts) == 0 {
			continue
		}
		var b strings.Builder
		b.WriteString(`<svg class="swatch" viewBox="0 0 28 12">`)
		if !s.marks {
			fmt.Fprintf(&b, `<path class="line e%d" d="M1 6L27 6"/>`, s.engine)
		}
		if s.marks || len(s.pts) < 3 {
			b.WriteString(glyph(s.glyph, s.engine, 14, 6, s.label))
		}
		b.WriteString(`</svg>`)
		out = append(out, legendEntry{template.HTML(b.String()), s.label})
	}
	return out
}

// rulesLegend is a line for each kind of rule of each engine: the same in
// every plot of a series, so said once for them all.
func rulesLegend(rules []plotRule) []legendEntry {
	var out []legendEntry
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.legend] {
			continue
		}
		seen[r.legend] = true
		sw := fmt.Sprintf(`<svg class="swatch" viewBox="0 0 28 12"><line class="rule %s e%d" x1="14" y1="0" x2="14" y2="12"/></svg>`, r.kind, r.engine)
		out = append(out, legendEntry{template.HTML(sw), r.legend})
	}
	return out
}
