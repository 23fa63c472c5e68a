package compare

import (
	"time"

	"github.com/upcase-gnet/upcase-gnet/load"
)

// Timeline is a run second by second, on the server's clock (Sample.At):
// what a summary hides, such as connections still being accepted as the
// measured time opens, or a slow-reader intake and its end.
type Timeline struct {
	// Server is the server's memory and CPU from its start to the run's
	// end.
	Server []ServerSecond `json:"server,omitempty"`
	// Client is the measured client's traffic: a starve series' light
	// client over both its phases.
	Client []ClientSecond `json:"client,omitempty"`
	// Beside is the load beside it: a slow series' slow connections, a
	// starve series' heavy senders.
	Beside []ClientSecond `json:"beside,omitempty"`
	// IntakeEnd is a starve series' IntakeEnd.At on this clock: when the
	// heavy senders last wrote.
	IntakeEnd time.Duration `json:"intake_end_ns,omitempty"`
}

// ServerSecond is the server over one second.
type ServerSecond struct {
	At  time.Duration `json:"at_ns"`       // the second's end; the last may be shorter
	RSS int64         `json:"rss_bytes"`   // the highest reading in it
	CPU float64       `json:"cpu_percent"` // of one core, over it
}

// ClientSecond is a load over one second, read from its children's
// progress lines (load.Progress).
type ClientSecond struct {
	At        time.Duration `json:"at_ns"`     // the second's end; the first and last may be shorter
	Connected int           `json:"connected"` // connections established at its end
	// MessagesPerS counts warm-up and drain alike.
	MessagesPerS float64 `json:"messages_per_s"`
	// P99 is the latency p99 over the second before the progress line
	// nearest At (load.Progress.RecentP99); 0 if no message completed.
	P99 float64 `json:"p99_us,omitempty"`
	// WrittenPerS is what a slow load's connections wrote.
	WrittenPerS float64 `json:"slow_written_bytes_per_s,omitempty"`
}

// progressTick is a progress line of a load child, with when compare read
// it on the server's clock.
type progressTick struct {
	At time.Duration
	load.Progress
}

// childProgress is one load child's progress lines.
type childProgress struct {
	start time.Duration // when the child started, on the server's clock
	ticks []progressTick
}

// trialProgress is what a run's load children said as they ran, for its
// Timeline: the measured client's (a starve series' light client, twice)
// and the loads' beside it.
type trialProgress struct {
	client, beside []childProgress
}

// minSecond is the shortest end of a run that still gets a second of its
// own: shorter, a rate over it would be mostly noise.
const minSecond = 200 * time.Millisecond

// makeTimeline makes a run's Timeline from the server's samples, its load
// children's progress and, in a starve series, its intake's end.
func makeTimeline(samples []Sample, pr trialProgress, intake *IntakeEnd) Timeline {
	tl := Timeline{Server: serverSeconds(samples), Client: clientSeconds(pr.client), Beside: clientSeconds(pr.beside)}
	if intake == nil {
		return tl
	}
	// IntakeEnd.At is on the heavy senders' clock, from their traffic's
	// start: where their first line of traffic says it was.
	for _, c := range pr.beside {
		for _, tk := range c.ticks {
			if tk.Phase == load.PhaseRun {
				tl.IntakeEnd = tk.At - tk.Elapsed + intake.At
				return tl
			}
		}
	}
	return tl
}

// seconds calls f with each whole second of [from, to], cut to it, that
// is at least minSecond long.
func seconds(from, to time.Duration, f func(lo, hi time.Duration)) {
	for k := from.Truncate(time.Second) + time.Second; k-time.Second < to; k += time.Second {
		lo, hi := max(k-time.Second, from), min(k, to)
		if hi-lo >= minSecond {
			f(lo, hi)
		}
	}
}

// serverSeconds are the server's samples a second at a time.
func serverSeconds(samples []Sample) []ServerSecond {
	if len(samples) < 2 {
		return nil
	}
	var out []ServerSecond
	seconds(samples[0].At, samples[len(samples)-1].At, func(lo, hi time.Duration) {
		s := ServerSecond{At: hi}
		for _, smp := range samples {
			if smp.At >= lo && smp.At <= hi {
				s.RSS = max(s.RSS, smp.RSS)
			}
		}
		s.CPU = 100 * float64(cpuAt(samples, hi)-cpuAt(samples, lo)) / float64(hi-lo)
		out = append(out, s)
	})
	return out
}

// clientSeconds are the progress of load children, run one after another
// or side by side, a second at a time: their counts added up, and the
// highest of their p99s.
func clientSeconds(children []childProgress) []ClientSecond {
	from, to, seen := time.Duration(0), time.Duration(0), false
	for _, c := range children {
		if len(c.ticks) == 0 {
			continue
		}
		if !seen || c.start < from {
			from = c.start
		}
		to, seen = max(to, c.ticks[len(c.ticks)-1].At), true
	}
	if !seen {
		return nil
	}
	var out []ClientSecond
	seconds(from, to, func(lo, hi time.Duration) {
		s := ClientSecond{At: hi}
		alive := false
		for _, c := range children {
			if len(c.ticks) == 0 || c.start >= hi || c.ticks[len(c.ticks)-1].At <= lo {
				continue
			}
			alive = true
			span := (hi - lo).Seconds()
			s.MessagesPerS += float64(c.count(hi, messages)-c.count(lo, messages)) / span
			s.WrittenPerS += float64(c.count(hi, written)-c.count(lo, written)) / span
			if t, ok := c.lineAt(hi); ok {
				s.Connected += t.Connected
				s.P99 = max(s.P99, t.RecentP99)
			}
		}
		if alive {
			out = append(out, s)
		}
	})
	return out
}

// messages and written are the counts of a progress line that clientSeconds
// makes rates of.
func messages(p load.Progress) float64 { return float64(p.Messages) }
func written(p load.Progress) float64  { return float64(p.SlowWritten) }

// count is what of reads of the child's progress at t, interpolated between
// its lines: nothing before it started, the last line's after it.
func (c childProgress) count(t time.Duration, of func(load.Progress) float64) float64 {
	if t <= c.start {
		return 0
	}
	prevAt, prev := c.start, 0.0
	for _, tk := range c.ticks {
		v := of(tk.Progress)
		if t <= tk.At {
			if tk.At == prevAt {
				return v
			}
			return prev + (v-prev)*float64(t-prevAt)/float64(tk.At-prevAt)
		}
		prevAt, prev = tk.At, v
	}
	return prev
}

// lineAt is the child's last progress line at or before t, within a second.
func (c childProgress) lineAt(t time.Duration) (progressTick, bool) {
	var last progressTick
	found := false
	for _, tk := range c.ticks {
		if tk.At > t {
			break
		}
		last, found = tk, true
	}
	return last, found && t-last.At < time.Second
}
