package load

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// shardResult is shard i of n with the given latency samples, as a shard's
// run would report it.
func shardResult(t *testing.T, i, n int, samples []time.Duration) *Result {
	t.Helper()
	h, u, c := newHistogram(), newHistogram(), newHistogram()
	for _, s := range samples {
		record(h, s)
		record(u, s/2) // from the actual send, shorter
	}
	record(c, time.Duration(i+1)*time.Millisecond)
	r := &Result{
		Target: "tcp 127.0.0.1:1060", Mode: "pingpong", Size: 16, Conns: 1, Connected: 1, Workers: 1,
		Engine: "gnet", Duration: time.Second, Messages: uint64(len(samples)),
		BytesSent: 16 * uint64(len(samples)), BytesReceived: 16 * uint64(len(samples)),
		Errors: map[string]uint64{}, ConnectFailed: map[string]uint64{},
		Shard: Shard{i, n}.String(),
	}
	var err error
	if r.Histogram, err = EncodeHistogram(h); err != nil {
		t.Fatal(err)
	}
	if r.HistogramUncorrected, err = EncodeHistogram(u); err != nil {
		t.Fatal(err)
	}
	if r.ConnectHistogram, err = EncodeHistogram(c); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMergeShardsExact: the merged histogram is bit for bit the one that
// all the shards' samples make together, and the counts are the sums.
func TestMergeShardsExact(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	union, unionU := newHistogram(), newHistogram()
	var ins []Input
	var total uint64
	for i := range 4 {
		samples := make([]time.Duration, 1000+rng.IntN(5000))
		for j := range samples {
			// Log-uniform from 1 µs to 10 s, and some past the hour the
			// histogram tracks.
			samples[j] = time.Duration(1e3 * pow10(rng.Float64()*7))
			if rng.IntN(500) == 0 {
				samples[j] = 2 * time.Hour
			}
			record(union, samples[j])
			record(unionU, samples[j]/2)
		}
		total += uint64(len(samples))
		// Shards in any order.
		ins = append([]Input{{Source: fmt.Sprintf("s%d:1", i), Result: shardResult(t, i, 4, samples)}}, ins...)
	}
	m, err := MergeShards(ins...)
	if err != nil {
		t.Fatal(err)
	}
	want, err := EncodeHistogram(union)
	if err != nil {
		t.Fatal(err)
	}
	if m.Histogram != want {
		t.Errorf("merged histogram differs from the union of the samples")
	}
	if want, _ := EncodeHistogram(unionU); m.HistogramUncorrected != want {
		t.Errorf("merged uncorrected histogram differs from the union of the samples")
	}
	if got, want := m.Latency, summarize(union); got != want {
		t.Errorf("latency %+v, want %+v", got, want)
	}
	if m.Messages != total || m.BytesSent != 16*total || m.Conns != 4 || m.Connected != 4 || m.Workers != 4 {
		t.Errorf("messages %d (want %d), bytes %d, conns %d, connected %d, workers %d", m.Messages, total, m.BytesSent, m.Conns, m.Connected, m.Workers)
	}
	if len(m.Shards) != 4 || len(m.Missing) != 0 || len(m.Problems()) != 0 {
		t.Fatalf("shards %d, missing %v, problems %v", len(m.Shards), m.Missing, m.Problems())
	}
	for i, s := range m.Shards {
		if s.Shard != (Shard{i, 4}).String() {
			t.Errorf("shard line %d is %s", i, s.Shard)
		}
	}
	if m.ConnectP99 < 3900 || m.ConnectP99 > 4100 {
		t.Errorf("connect p99 %vµs, want the 4 ms of the slowest shard", m.ConnectP99)
	}
}

func pow10(x float64) float64 {
	r := 1.0
	for ; x >= 1; x-- {
		r *= 10
	}
	return r * (1 + 9*x) // close enough to 10^x for a spread of samples
}

func TestMergeShardsRefuses(t *testing.T) {
	t.Parallel()
	samples := []time.Duration{time.Millisecond, 2 * time.Millisecond}
	two := func(edit func(a, b *Result)) []Input {
		a, b := shardResult(t, 0, 2, samples), shardResult(t, 1, 2, samples)
		edit(a, b)
		return []Input{{"a:1", a}, {"b:1", b}}
	}
	otherSettings := func(r *Result) {
		h := hdr.New(histLowest, histHighest, 2)
		_ = h.RecordValue(int64(time.Millisecond))
		r.Histogram, _ = EncodeHistogram(h)
	}
	for _, tc := range []struct {
		name string
		ins  []Input
		want string
	}{
		{"histogram settings", two(func(_, b *Result) { otherSettings(b) }), "different settings"},
		{"no histogram", two(func(_, b *Result) { b.Histogram = "" }), "no latency histogram"},
		{"uncorrected settings", two(func(_, b *Result) {
			b.HistogramUncorrected = b.Histogram
			otherSettings(b)
			b.HistogramUncorrected, b.Histogram = b.Histogram, b.HistogramUncorrected
		}), "uncorrected latency histogram tracks"},
		{"broken histogram", two(func(_, b *Result) { b.Histogram = "bm90IGEgaGlzdG9ncmFt" }), "decoding a histogram"},
		{"mode", two(func(_, b *Result) { b.Mode = "stream" }), "not the same test"},
		{"size", two(func(_, b *Result) { b.Size = 1024 }), "not the same test"},
		{"target", two(func(_, b *Result) { b.Target = "tcp 10.0.0.1:1060" }), "not the same test"},
		{"shard count", two(func(_, b *Result) { b.Shard = "1/3" }), "one of 3"},
		{"shard twice", two(func(_, b *Result) { b.Shard = "0/2" }), "twice"},
		{"sharded and not", two(func(_, b *Result) { b.Shard = "" }), "is a shard and"},
		{"nothing", nil, "no results"},
		{"start time", two(func(a, b *Result) { a.StartAt = time.Unix(1e9, 0); b.StartAt = time.Unix(1e9+1, 0) }), "start time"},
		{"start time and none", two(func(a, _ *Result) { a.StartAt = time.Unix(1e9, 0) }), "has none"},
	} {
		_, err := MergeShards(tc.ins...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one about %q", tc.name, err, tc.want)
		}
	}
}

// TestMergeShardsProblems: a shard with errors, a late one and a missing one
// each show, and the rest still adds up.
func TestMergeShardsProblems(t *testing.T) {
	t.Parallel()
	samples := []time.Duration{time.Millisecond}
	a, b := shardResult(t, 0, 3, samples), shardResult(t, 2, 3, samples)
	b.ConnectFailed = map[string]uint64{DialRefused: 3}
	b.Errors = map[string]uint64{ErrReset: 1}
	start := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	// Windows of 5 s from start: b, 3 s late, measures the last 2 s of it.
	a.StartAt, a.WindowStart, a.StartSkew, a.Duration = start, start.Add(time.Millisecond), time.Millisecond, 5*time.Second-time.Millisecond
	b.StartAt, b.WindowStart, b.StartSkew, b.Late, b.Duration = start, start.Add(3*time.Second), 3*time.Second, true, 2*time.Second
	m, err := MergeShards(Input{"a:1", a}, Input{"b:1", b})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Missing, ","); got != "1/3" {
		t.Errorf("missing %q, want 1/3", got)
	}
	p := strings.Join(m.Problems(), "\n")
	for _, want := range []string{"shard 2/3 (b:1): 1 errors, 3 failed connections", "shard 2/3 (b:1): started its window 3s late", "shard 1/3: no result"} {
		if !strings.Contains(p, want) {
			t.Errorf("problems lack %q:\n%s", want, p)
		}
	}
	if m.Engine != "gnet" {
		t.Errorf("generator %q, want gnet", m.Engine)
	}
	b.Engine = "goroutine"
	if m2, err := MergeShards(Input{"a:1", a}, Input{"b:1", b}); err != nil {
		t.Error(err)
	} else if m2.Engine != "gnet+goroutine" {
		t.Errorf("shards of both generators: %q, want gnet+goroutine", m2.Engine)
	}
	if m.Errors[ErrReset] != 1 || m.ConnectFailed[DialRefused] != 3 || m.Messages != 2 {
		t.Errorf("errors %v, failed %v, messages %d", m.Errors, m.ConnectFailed, m.Messages)
	}
	if m.StartSpread != 3*time.Second-time.Millisecond || !m.Late || m.StartSkew != 3*time.Second {
		t.Errorf("spread %v, late %v, skew %v", m.StartSpread, m.Late, m.StartSkew)
	}
	var shard strings.Builder
	if err := NewTextReporter(b)(&shard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Shard            2/3", "Window start     +3000.0ms after --start-at 2026-11-29T15:00:00Z, LATE"} {
		if !strings.Contains(shard.String(), want) {
			t.Errorf("a late shard's report lacks %q:\n%s", want, shard.String())
		}
	}
	var out strings.Builder
	if err := NewMergedTextReporter(m)(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 of 3 shards (1 missing)", "+3000.0ms LATE", "reset 1", "refused 3", "1/3    MISSING"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestMergeShardsDisjoint: results whose measured windows do not overlap,
// runs taken one after the other, are refused with an error naming the two
// that do not meet and their windows, unless AllowDisjoint; windows that
// overlap, or that only touch, merge, and a result without a window start
// is not checked.
func TestMergeShardsDisjoint(t *testing.T) {
	t.Parallel()
	samples := []time.Duration{time.Millisecond, 2 * time.Millisecond}
	at := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	result := func(start, d time.Duration) *Result {
		r := shardResult(t, 0, 1, samples)
		r.Shard = "" // runs without --shard
		r.WindowStart, r.Duration = at.Add(start), d
		r.rates()
		return r
	}
	// a and c overlap; b starts after a has ended.
	a, b, c := result(0, time.Second), result(5*time.Second, time.Second), result(500*time.Millisecond, time.Second)
	ins := []Input{{"a.json:1", a}, {"c.json:1", c}, {"b.json:1", b}}
	_, err := MergeShards(ins...)
	var dis *DisjointError
	if !errors.As(err, &dis) || dis.Earlier.Source != "a.json:1" || dis.Later.Source != "b.json:1" {
		t.Fatalf("MergeShards = %v, want a *DisjointError for a.json:1 and b.json:1", err)
	}
	want := "load: merge: a.json:1 measured 2026-11-29T15:00:00.000Z to 2026-11-29T15:00:01.000Z and b.json:1 measured 2026-11-29T15:00:05.000Z to 2026-11-29T15:00:06.000Z: the windows do not overlap"
	if !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q, want one line starting %q", err, want)
	}
	m, err := MergeShardsWith(MergeOptions{AllowDisjoint: true}, ins...)
	if err != nil {
		t.Fatalf("AllowDisjoint: %v", err)
	}
	if m.Messages != 6 || m.MessagesPerS != 6 {
		t.Errorf("AllowDisjoint: %d messages, %g/s; want 6 and 6/s, the rates added up", m.Messages, m.MessagesPerS)
	}
	for _, tc := range []struct {
		name string
		ins  []Input
	}{
		{"overlapping", []Input{{"a.json:1", a}, {"c.json:1", c}}},
		{"touching", []Input{{"a.json:1", a}, {"d.json:1", result(time.Second, time.Second)}}},
		{"no window start", []Input{{"a.json:1", a}, {"old.json:1", func() *Result { r := result(0, time.Second); r.WindowStart = time.Time{}; return r }()}, {"c.json:1", c}}},
	} {
		if _, err := MergeShards(tc.ins...); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestReadResults(t *testing.T) {
	t.Parallel()
	in := `upcase-gnet: load: 3 errors
{"target":"tcp 127.0.0.1:1","mode":"pingpong","shard":"0/2","messages":5}

   {"target":"tcp 127.0.0.1:1","mode":"pingpong","shard":"1/2","messages":7}
`
	var skipped []string
	ins, err := ReadResults(strings.NewReader(in), "-", func(src, line string) { skipped = append(skipped, src+" "+line) })
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Source != "-:2" || ins[1].Source != "-:4" || ins[1].Result.Messages != 7 {
		t.Errorf("read %+v", ins)
	}
	if len(skipped) != 1 || skipped[0] != "-:1 upcase-gnet: load: 3 errors" {
		t.Errorf("skipped %q", skipped)
	}
	for _, bad := range []string{`{"target": 5}`, `{"messages": 1}`, `{"target":"x","mode":"pingpong"`} {
		if _, err := ReadResults(strings.NewReader(bad), "f", nil); err == nil || !strings.Contains(err.Error(), "f:1") {
			t.Errorf("%s: error %v, want one naming f:1", bad, err)
		}
	}
}
