package load

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

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
