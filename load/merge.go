package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Input is one shard's Result and where it was read from.
type Input struct {
	Source string // "shard-0.json:1", "-:4": file and line
	Result *Result
}

// Merged is one test run in shards, merged: the test's Result as one
// generator would have reported it (counts added, histograms merged
// exactly), and a line per shard. Its JSON is the Result's fields with
// "shards", "missing_shards" and "start_spread_ns" beside them.
type Merged struct {
	*Result
	// Shards are the inputs, in shard order.
	Shards []ShardSummary `json:"shards"`
	// Missing are the shards ("2/4") that the inputs' shard counts call for
	// and none of them is.
	Missing []string `json:"missing_shards,omitempty"`
	// StartSpread is the latest shard's window start less the earliest's.
	StartSpread time.Duration `json:"start_spread_ns"`
}

// ShardSummary is one shard's line in a Merged report.
type ShardSummary struct {
	Shard        string            `json:"shard,omitempty"` // "I/N"; empty for a run without --shard
	Source       string            `json:"source"`
	Conns        int               `json:"conns"`
	Connected    int               `json:"connected"`
	Messages     uint64            `json:"messages"`
	MessagesPerS float64           `json:"messages_per_s"`
	Errors       map[string]uint64 `json:"errors"`
	DialFailed   map[string]uint64 `json:"connect_failed"`
	WindowStart  time.Time         `json:"window_start,omitzero"`
	StartSkew    time.Duration     `json:"start_skew_ns"`
	Late         bool              `json:"late,omitempty"`
}

// Failed reports whether the shard counted any error or failed dial.
func (s ShardSummary) Failed() bool { return sumCounts(s.Errors)+sumCounts(s.DialFailed) > 0 }

// Problems lists, one line each, what makes the merged run not clean: a
// shard with errors or failed dials, a missing shard, a late shard.
func (m *Merged) Problems() []string {
	var p []string
	for _, s := range m.Shards {
		name := s.Source
		if s.Shard != "" {
			name = "shard " + s.Shard + " (" + s.Source + ")"
		}
		if s.Failed() {
			p = append(p, fmt.Sprintf("%s: %d errors, %d failed connections", name, sumCounts(s.Errors), sumCounts(s.DialFailed)))
		}
		if s.Late {
			p = append(p, fmt.Sprintf("%s: started its window %s late", name, s.StartSkew))
		}
	}
	for _, s := range m.Missing {
		p = append(p, "shard "+s+": no result")
	}
	return p
}

// MergeOptions relaxes what MergeShardsWith refuses.
type MergeOptions struct {
	// AllowDisjoint merges results whose measured windows do not overlap,
	// which MergeShards refuses with a *DisjointError: their rates then add
	// up as if runs taken one after the other had run at once.
	AllowDisjoint bool
}

// MergeShards merges the results of shards of one test into one report.
// It refuses inputs that are not the same test (target, mode, size, rate,
// window, start time), whose measured windows do not all overlap (a
// *DisjointError), shards counted differently or given twice, and
// histograms whose settings differ, which could not be merged exactly; a
// shard that is missing is listed in Merged.Missing.
func MergeShards(ins ...Input) (*Merged, error) {
	return MergeShardsWith(MergeOptions{}, ins...)
}

// MergeShardsWith is MergeShards, less what opt allows.
func MergeShardsWith(opt MergeOptions, ins ...Input) (*Merged, error) {
	if len(ins) == 0 {
		return nil, errors.New("load: merge: no results")
	}
	if err := sameTest(ins); err != nil {
		return nil, err
	}
	if err := overlapping(ins); err != nil && !opt.AllowDisjoint {
		return nil, err
	}
	missing, err := checkShards(ins)
	if err != nil {
		return nil, err
	}
	if err := sameHistograms(ins); err != nil {
		return nil, err
	}
	slices.SortStableFunc(ins, func(a, b Input) int { return shardIndex(a.Result) - shardIndex(b.Result) })
	rs := make([]*Result, len(ins))
	m := &Merged{Missing: missing}
	var first, last time.Time
	for i, in := range ins {
		r := in.Result
		rs[i] = r
		m.Shards = append(m.Shards, ShardSummary{
			Shard: r.Shard, Source: in.Source, Conns: r.Conns, Connected: r.Connected,
			Messages: r.Messages, MessagesPerS: r.MessagesPerS,
			Errors: nonNil(r.Errors), DialFailed: nonNil(r.ConnectFailed),
			WindowStart: r.WindowStart, StartSkew: r.StartSkew, Late: r.Late,
		})
		if w := r.WindowStart; !w.IsZero() {
			if first.IsZero() || w.Before(first) {
				first = w
			}
			if w.After(last) {
				last = w
			}
		}
	}
	if m.Result, err = Merge(rs...); err != nil {
		return nil, err
	}
	m.Shard = ""
	for _, r := range rs { // shards may use different generators
		if !slices.Contains(strings.Split(m.Engine, "+"), r.Engine) {
			m.Engine += "+" + r.Engine
		}
	}
	m.StartSpread = last.Sub(first)
	m.SourceAddrs = nil
	for _, r := range rs {
		for _, a := range r.SourceAddrs {
			if !slices.Contains(m.SourceAddrs, a) {
				m.SourceAddrs = append(m.SourceAddrs, a)
			}
		}
	}
	return m, nil
}

func nonNil(m map[string]uint64) map[string]uint64 {
	if m == nil {
		return map[string]uint64{}
	}
	return m
}

// name is how errors refer to an input.
func (in Input) name() string {
	if in.Result.Shard != "" {
		return in.Source + " (shard " + in.Result.Shard + ")"
	}
	return in.Source
}

// sameTest refuses inputs that ran different tests.
func sameTest(ins []Input) error {
	a := ins[0]
	for _, b := range ins[1:] {
		for _, f := range []struct {
			what string
			x, y any
		}{
			{"target", a.Result.Target, b.Result.Target},
			{"mode", a.Result.Mode, b.Result.Mode},
			{"message size", a.Result.Size, b.Result.Size},
			{"rate", a.Result.Rate, b.Result.Rate},
			{"window", a.Result.Window, b.Result.Window},
			{"start time", startText(a.Result.StartAt), startText(b.Result.StartAt)},
		} {
			if f.x != f.y {
				return fmt.Errorf("load: merge: %s has %s %v, %s has %v: not the same test", a.name(), f.what, f.x, b.name(), f.y)
			}
		}
	}
	return nil
}

// DisjointError is MergeShards' refusal of two results whose measured
// windows do not overlap: runs taken one after the other, not shards of one
// run, whose rates must not be added up.
type DisjointError struct {
	// Earlier is the input whose window ended first, Later the one whose
	// window started last, after Earlier's ended.
	Earlier, Later Input
}

func (e *DisjointError) Error() string {
	return fmt.Sprintf("load: merge: %s measured %s and %s measured %s: the windows do not overlap, so these are not shards of one run, and their rates would add up as if they had run at once",
		e.Earlier.name(), measuredText(e.Earlier.Result), e.Later.name(), measuredText(e.Later.Result))
}

// measuredText is r's measured window, from its start to its end.
func measuredText(r *Result) string {
	const layout = "2006-01-02T15:04:05.000Z07:00"
	return r.WindowStart.UTC().Format(layout) + " to " + r.WindowStart.Add(r.Duration).UTC().Format(layout)
}

// overlapping refuses inputs whose measured windows do not all overlap: the
// one that ended first and the one that started last. Windows meet if they
// only touch. A result without a window start, written before results had
// one, is not checked.
func overlapping(ins []Input) error {
	var earlier, later *Input
	for i := range ins {
		r := ins[i].Result
		if r.WindowStart.IsZero() {
			continue
		}
		if earlier == nil || r.WindowStart.Add(r.Duration).Before(earlier.Result.WindowStart.Add(earlier.Result.Duration)) {
			earlier = &ins[i]
		}
		if later == nil || r.WindowStart.After(later.Result.WindowStart) {
			later = &ins[i]
		}
	}
	if earlier == nil || !later.Result.WindowStart.After(earlier.Result.WindowStart.Add(earlier.Result.Duration)) {
		return nil
	}
	return &DisjointError{Earlier: *earlier, Later: *later}
}

// startText is t for comparing and showing: "none" if zero.
func startText(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// checkShards refuses shards of different counts, shards given twice and a
// mix of sharded and unsharded results, and returns the shards missing.
func checkShards(ins []Input) (missing []string, err error) {
	seen := map[int]Input{}
	count := 0
	for _, in := range ins {
		if (in.Result.Shard == "") != (ins[0].Result.Shard == "") {
			return nil, fmt.Errorf("load: merge: %s is a shard and %s is not: not the same test", shardedFirst(ins[0], in)...)
		}
		if in.Result.Shard == "" {
			continue
		}
		s, err := ParseShard(in.Result.Shard)
		if err != nil {
			return nil, fmt.Errorf("load: merge: %s: %w", in.Source, err)
		}
		if count != 0 && s.Count != count {
			return nil, fmt.Errorf("load: merge: %s is one of %d shards, %s one of %d: not the same test", ins[0].name(), count, in.name(), s.Count)
		}
		count = s.Count
		if prev, dup := seen[s.Index]; dup {
			return nil, fmt.Errorf("load: merge: shard %s twice, in %s and %s: a shard run again would be counted twice", s, prev.Source, in.Source)
		}
		seen[s.Index] = in
	}
	for i := range count {
		if _, ok := seen[i]; !ok {
			missing = append(missing, Shard{Index: i, Count: count}.String())
		}
	}
	return missing, nil
}

func shardedFirst(a, b Input) []any {
	if a.Result.Shard == "" {
		a, b = b, a
	}
	return []any{a.name(), b.name()}
}

// shardIndex orders inputs by shard; unsharded inputs keep their order.
func shardIndex(r *Result) int {
	i, _, _ := strings.Cut(r.Shard, "/")
	n, _ := strconv.Atoi(i)
	return n
}

// sameHistograms refuses inputs whose histograms could not merge exactly:
// missing where there are samples, or of different settings.
func sameHistograms(ins []Input) error {
	for _, kind := range []struct {
		name    string
		encoded func(*Result) string
		samples func(*Result) uint64
	}{
		{"latency", func(r *Result) string { return r.Histogram }, func(r *Result) uint64 { return r.Messages }},
		{"uncorrected latency", func(r *Result) string { return r.HistogramUncorrected }, func(r *Result) uint64 { return r.Messages }},
		{"connect", func(r *Result) string { return r.ConnectHistogram }, func(r *Result) uint64 { return uint64(r.Connected) }},
	} {
		var ref *hdr.Histogram
		var refIn Input
		for _, in := range ins {
			enc := kind.encoded(in.Result)
			if enc == "" {
				if kind.samples(in.Result) > 0 {
					return fmt.Errorf("load: merge: %s has no %s histogram: it cannot be merged exactly", in.name(), kind.name)
				}
				continue
			}
			h, err := DecodeHistogram(enc)
			if err != nil {
				return fmt.Errorf("load: merge: %s: %s histogram: %w", in.name(), kind.name, err)
			}
			if ref == nil {
				ref, refIn = h, in
				continue
			}
			if settings(h) != settings(ref) {
				return fmt.Errorf("load: merge: %s's %s histogram tracks %s, %s's %s: histograms of different settings cannot be merged exactly",
					refIn.name(), kind.name, settings(ref), in.name(), settings(h))
			}
		}
	}
	return nil
}

// settings describes what a histogram tracks, the settings that must agree
// for counts to add up bucket by bucket.
func settings(h *hdr.Histogram) string {
	return fmt.Sprintf("%d to %d at %d significant digits", h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures())
}

// maxResultLine bounds one line of ReadResults' input: a Result with its
// two encoded histograms is a few KiB; this leaves room for a histogram
// with a count in most of its buckets.
const maxResultLine = 16 << 20

// ReadResults reads Results as `load --json` prints them, one JSON object a
// line, from r, named name in each Input's Source ("name:LINE"). Lines that
// do not start with "{" are not results (a Kubernetes pod's log mixes in its
// stderr): they are passed to skipped, if set, and otherwise ignored. A line
// that starts with "{" and is not a Result is an error.
func ReadResults(r io.Reader, name string, skipped func(source, line string)) ([]Input, error) {
	var ins []Input
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxResultLine)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		source := name + ":" + strconv.Itoa(n)
		if len(line) == 0 {
			continue
		}
		if line[0] != '{' {
			if skipped != nil {
				skipped(source, string(line))
			}
			continue
		}
		var res Result
		if err := json.Unmarshal(line, &res); err != nil {
			return nil, fmt.Errorf("load: %s: not a load result: %w", source, err)
		}
		if res.Target == "" || res.Mode == "" {
			return nil, fmt.Errorf("load: %s: not a load result: no target or mode", source)
		}
		ins = append(ins, Input{Source: source, Result: &res})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("load: reading %s: %w", name, err)
	}
	return ins, nil
}
