package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// WriteTable writes the report's summary as one side-by-side table:
// series and measure, each engine's median, and the median ratio of the
// first engine to the second. A line above it says how it was measured,
// and notes below it what the figures need said.
func WriteTable(w io.Writer, rep *Report) error {
	if _, err := fmt.Fprintln(w, caption(rep)); err != nil {
		return err
	}
	rows, notes := tableRows(rep)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

// tableRows are the table's lines, a cell a column (a header, then a line
// for each measure of each series, the series named on its first), and the
// notes under it: what the text table and the HTML report both show.
func tableRows(rep *Report) (rows [][]string, notes []string) {
	a, b := rep.Settings.Engines[0], rep.Settings.Engines[1]
	rows = append(rows, []string{"series", "measure", string(a), string(b), fmt.Sprintf("%s/%s", a, b)})
	bound := false
	for _, s := range rep.Summary {
		name := s.Series.Name()
		for _, row := range s.Rows {
			rows = append(rows, []string{name, row.Label, cell(row, a), cell(row, b), ratioCell(row)})
			name = ""
		}
		if s.GeneratorBound != nil {
			rows = append(rows, []string{name, "generator-bound", boundCell(s.GeneratorBound, a), boundCell(s.GeneratorBound, b), "-"})
			bound = bound || s.GeneratorBound[a] || s.GeneratorBound[b]
		}
	}
	if bound {
		notes = append(notes, fmt.Sprintf("generator-bound: the generator spent at least %.0f%% of the server's CPU per message; there the figures measure the generator in good part.", 100*GeneratorBoundShare))
	}
	for _, t := range rep.Trials {
		if e := t.IntakeEnd; e != nil && e.WroteAgain > 0 {
			notes = append(notes, fmt.Sprintf("%s on %s, round %d: the heavy senders wrote again at %.1fs, after their intake was seen over at %.1fs (a pause of over %v, the kernel's retransmission back-off under TCP memory pressure most likely): its after phase overlaps the intake.",
				t.Series, t.Engine, t.Round, e.WroteAgain.Seconds(), e.Seen.Seconds(), rep.Settings.StarveStall))
		}
	}
	return rows, notes
}

// boundCell says whether the series was generator-bound on engine.
func boundCell(bound map[engine.Name]bool, eng engine.Name) string {
	b, ok := bound[eng]
	switch {
	case !ok:
		return "n/a"
	case b:
		return "yes"
	}
	return "no"
}

// caption says in one line what the table measured.
func caption(rep *Report) string {
	st := rep.Settings
	rounds := "1 round"
	if st.Repeat != 1 {
		rounds = fmt.Sprintf("%d rounds, medians", st.Repeat)
	}
	pin := "unpinned"
	if st.Pin {
		pin = fmt.Sprintf("server on CPU %s, load on CPU %s", st.ServerCPUs, st.LoadCPUs)
	}
	extra := ""
	if len(st.ServerArgs) > 0 {
		extra = ", serve " + strings.Join(st.ServerArgs, " ")
	}
	if len(st.LoadArgs) > 0 {
		extra += ", load " + strings.Join(st.LoadArgs, " ")
	}
	has := func(m Mode) bool {
		return slices.ContainsFunc(st.Series, func(s Series) bool { return s.Mode == m })
	}
	if has(Window) {
		extra += fmt.Sprintf(", window %d bytes", st.Window)
	}
	if has(Paced) {
		extra += fmt.Sprintf(", paced %v/s per connection", st.Rate)
	}
	if has(Slow) {
		extra += fmt.Sprintf(", slow ones send %d MiB, measured from %v after", st.SlowBytes>>20, st.SlowSettle)
	}
	if has(Starve) {
		extra += fmt.Sprintf(", starve: heavy senders send %d MiB, light client measured from %v after, intake over when all is sent or none writes for %v",
			st.SlowBytes>>20, st.StarveLead, st.StarveStall)
	}
	return fmt.Sprintf("%d-byte messages, %v each after %v warm-up, %s (ratio: median per round), %s, %d CPUs %s%s",
		st.Size, st.Duration, st.Warmup, rounds, pin, st.CPUs, st.OS, extra)
}

func cell(row Row, eng engine.Name) string {
	v, ok := row.Median[eng]
	switch {
	case !ok:
		return "n/a"
	case row.Metric == keyConnected || row.Metric == keyErrors:
		// Counts exactly: one error or one connection short matters.
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return human(v)
}

// ratioCell is the row's ratio; "n/a" where the measure has ratios but
// none meant anything, "-" where it has none.
func ratioCell(row Row) string {
	switch {
	case row.Ratio != nil:
		return strconv.FormatFloat(*row.Ratio, 'f', 2, 64) + "x"
	case row.HasRatio():
		return "n/a"
	}
	return "-"
}

// human writes v with about three significant figures, in k past ten
// thousand and M past a million.
func human(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return sig3(v/1e6) + "M"
	case a >= 1e4:
		return sig3(v/1e3) + "k"
	default:
		return sig3(v)
	}
}

// sig3 writes v with three significant figures, or as a whole number from
// a hundred up.
func sig3(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// WriteJSON writes the whole report, raw runs and samples included, as
// indented JSON.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
