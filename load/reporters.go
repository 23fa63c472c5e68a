package load

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// A Reporter writes a Result in one format.
type Reporter func(io.Writer) error

// NewJSONReporter writes r as one JSON object on one line, the form
// `load --json` prints and compare reads.
func NewJSONReporter(r *Result) Reporter {
	return func(w io.Writer) error {
		return json.NewEncoder(w).Encode(r)
	}
}

// NewTextReporter writes r as an aligned table for people.
func NewTextReporter(r *Result) Reporter {
	return func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		row := func(name, format string, args ...any) {
			fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{name}, args...)...)
		}
		row("Target", "%s  %s, %d B messages, rate %s%s", r.Target, r.Mode, r.Size, rateText(r.Rate), windowText(r))
		row("Generator", "%s, %d process(es)", r.Engine, max(r.Workers, 1))
		if len(r.SourceAddrs) > 0 {
			row("Source addresses", "%d (%s .. %s)", len(r.SourceAddrs), r.SourceAddrs[0], r.SourceAddrs[len(r.SourceAddrs)-1])
		}
		row("Connections", "%d of %d established in %s, failed: %s", r.Connected, r.Conns, round(r.ConnectTime), countsText(r.ConnectFailed))
		row("Connect latency", "p50 %s  p99 %s", usText(r.ConnectP50), usText(r.ConnectP99))
		row("Measured", "%s after %s warm-up", round(r.Duration), round(r.Warmup))
		if r.Shard != "" {
			row("Shard", "%s", r.Shard)
		}
		if !r.StartAt.IsZero() {
			row("Window start", "%s after --start-at %s%s", skewText(r.StartSkew), r.StartAt.Format(time.RFC3339Nano), lateText(r.Late))
		}
		if r.Slow == nil { // slow connections neither finish messages nor time them
			row("Messages", "%d  (%.0f/s)", r.Messages, r.MessagesPerS)
			row("Throughput", "out %.2f MB/s  in %.2f MB/s", r.MBPerSOut, r.MBPerSIn)
			lat := func(l Latency) string {
				return fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s",
					usText(l.P50), usText(l.P90), usText(l.P99), usText(l.P999), usText(l.Max), usText(l.Mean))
			}
			if r.Rate > 0 {
				row("Latency", "%s  (from the intended send time)", lat(r.Latency))
				row("  uncorrected", "%s  (from the actual send)", lat(r.LatencyUncorrected))
			} else {
				row("Latency", "%s", lat(r.Latency))
			}
		} else {
			row("Throughput", "out %.2f MB/s (warm-up included)", r.MBPerSOut)
		}
		if sl := r.Slow; sl != nil {
			row("Slow", "%d of %d connections sent all %d B; the server took %d B of %d B written, the last of them by %s (read every %s)",
				sl.Complete, r.Connected, sl.SendBytes, sl.TakenBytes, sl.WrittenBytes, round(sl.LastTaken), sl.TakenEvery)
		}
		row("Errors", "%s", errorsText(r))
		row("Generator CPU", "%s  (%.2f µs/message)", round(r.GeneratorCPU), r.GeneratorCPUPerMsg)
		return tw.Flush()
	}
}

// errorsText is every error of r, its failed connections included: "none"
// only if there were neither.
func errorsText(r *Result) string {
	var parts []string
	if r.ErrorCount() > 0 {
		parts = append(parts, countsText(r.Errors))
	}
	if r.FailedDials() > 0 {
		parts = append(parts, "failed connections: "+countsText(r.ConnectFailed))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// countsText is "none" or "kind N, kind N" in name order.
func countsText(m map[string]uint64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// usText shows microseconds as µs below 10 ms and as ms above.
func usText(us float64) string {
	if us >= 10000 {
		return fmt.Sprintf("%.1fms", us/1000)
	}
	return fmt.Sprintf("%.1fµs", us)
}

// windowText describes a stream's window, nothing for other modes.
func windowText(r *Result) string {
	switch {
	case r.Mode != string(Stream):
		return ""
	case r.Window == 0:
		return ", no window"
	}
	return fmt.Sprintf(", window %d B", r.Window)
}

// skewText shows a skew to a tenth of a millisecond, with its sign.
func skewText(d time.Duration) string {
	return fmt.Sprintf("%+.1fms", float64(d)/float64(time.Millisecond))
}

// lateText marks a window that could not start on time.
func lateText(late bool) string {
	if late {
		return ", LATE: not connected in time"
	}
	return ""
}

func rateText(rate float64) string {
	if rate <= 0 {
		return "uncapped"
	}
	return fmt.Sprintf("%g/s per connection", rate)
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// NewMergedTextReporter writes m as load's table for the whole test, then
// a table of the shards and what went wrong, if anything did.
func NewMergedTextReporter(m *Merged) Reporter {
	return func(w io.Writer) error {
		if err := NewTextReporter(m.Result)(w); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "\n%s:\n", shardsLine(m)); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "shard\tsource\tconnections\tmessages/s\terrors\tfailed dials\tstart skew")
		for _, s := range m.Shards {
			shard := s.Shard
			if shard == "" {
				shard = "-"
			}
			skew := "-"
			if !s.WindowStart.IsZero() && !m.StartAt.IsZero() {
				skew = skewText(s.StartSkew)
				if s.Late {
					skew += " LATE"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%d of %d\t%.0f\t%s\t%s\t%s\n", shard, s.Source, s.Connected, s.Conns,
				s.MessagesPerS, countsText(s.Errors), countsText(s.DialFailed), skew)
		}
		for _, s := range m.Missing {
			fmt.Fprintf(tw, "%s\tMISSING: no result\n", s)
		}
		return tw.Flush()
	}
}

// shardsLine is how many shards there were and how closely their windows
// started.
func shardsLine(m *Merged) string {
	line := fmt.Sprintf("%d shard(s)", len(m.Shards))
	if len(m.Missing) > 0 {
		line = fmt.Sprintf("%d of %d shards (%d missing)", len(m.Shards), len(m.Shards)+len(m.Missing), len(m.Missing))
	}
	if !m.StartAt.IsZero() {
		line += fmt.Sprintf(", windows asked to start at %s", m.StartAt.Format(time.RFC3339Nano))
	}
	if !m.WindowStart.IsZero() {
		line += fmt.Sprintf(", started within %.1fms of each other", float64(m.StartSpread)/float64(time.Millisecond))
	}
	return line
}

// NewMergedJSONReporter writes m as one JSON object on one line: the
// merged Result's fields, with the shards beside them.
func NewMergedJSONReporter(m *Merged) Reporter {
	return func(w io.Writer) error {
		return json.NewEncoder(w).Encode(m)
	}
}
