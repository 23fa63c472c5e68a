package load

import (
	"strings"
	"testing"
	"time"
)

func TestParseShard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/4", Shard{0, 4}, ""},
		{" 3/4 ", Shard{3, 4}, ""},
		{"0/1", Shard{0, 1}, ""},
		{"4/4", Shard{}, "0 <= index < count"},
		{"-1/4", Shard{}, "0 <= index < count"},
		{"0/0", Shard{}, "0 <= index < count"},
		{"1", Shard{}, "INDEX/COUNT"},
		{"a/4", Shard{}, "whole numbers"},
	} {
		got, err := ParseShard(tc.in)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseShard(%q) error %v, want one about %q", tc.in, err, tc.err)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		index, count string
		want         Shard
		err          string
	}{
		{"", "", Shard{}, ""},
		{"2", "4", Shard{2, 4}, ""},
		{"2", "", Shard{}, EnvShardCount + " is not set"},
		{"", "4", Shard{}, EnvShardIndex + " is not set"},
		{"4", "4", Shard{}, "0 <= index < count"},
	} {
		env := map[string]string{EnvShardIndex: tc.index, EnvShardCount: tc.count}
		got, err := ShardFromEnv(func(k string) string { return env[k] })
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("%q/%q: %v, %v; want %v", tc.index, tc.count, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q/%q: error %v, want one about %q", tc.index, tc.count, err, tc.err)
		}
	}
}

// TestShardShares: the shards' shares of every total are contiguous, differ
// by at most one and add up to the total.
func TestShardShares(t *testing.T) {
	t.Parallel()
	for _, total := range []int{4, 5, 7, 100, 100001} {
		for _, n := range []int{1, 2, 3, 4} {
			next, least, most := 0, total, 0
			for i := range n {
				first, count := Shard{i, n}.share(total)
				if first != next {
					t.Fatalf("%d over %d: shard %d starts at %d, want %d", total, n, i, first, next)
				}
				next += count
				least, most = min(least, count), max(most, count)
			}
			if next != total || most-least > 1 {
				t.Errorf("%d over %d: shares add to %d, from %d to %d", total, n, next, least, most)
			}
		}
	}
}

func TestShardApply(t *testing.T) {
	t.Parallel()
	cfg, err := Config{Conns: 10, ConnectRate: 100, Shard: Shard{3, 4}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Conns != 2 || cfg.ConnectRate != 25 || cfg.firstConn != 8 || cfg.shard != (Shard{3, 4}) || !cfg.Shard.IsZero() {
		t.Errorf("conns %d, connect rate %g, first %d, shard %v/%v; want 2, 25, 8, 3/4 applied once", cfg.Conns, cfg.ConnectRate, cfg.firstConn, cfg.shard, cfg.Shard)
	}
	if _, err := (Config{Conns: 3, Shard: Shard{0, 4}}).withDefaults(); err == nil {
		t.Error("3 connections over 4 shards: no error")
	}
}

func TestPlanStart(t *testing.T) {
	t.Parallel()
	now := time.Now()
	at := now.Round(0).Add(10 * time.Second) // a flag's time: wall clock only
	cfg := &Config{Warmup: 2 * time.Second, Duration: 5 * time.Second}
	for _, tc := range []struct {
		name             string
		startAt          time.Time
		traffic, measure time.Duration // after now
		end              time.Duration // after now; -1: Duration after the window starts
		late             bool
	}{
		{"no start time", time.Time{}, 0, 2 * time.Second, -1, false},
		{"on time", at, 8 * time.Second, 10 * time.Second, 15 * time.Second, false},
		{"short warm-up", now.Round(0).Add(time.Second), 0, time.Second, 6 * time.Second, false},
		{"late", now.Round(0).Add(-time.Second), 0, 0, 4 * time.Second, true},
	} {
		c := *cfg
		c.StartAt = tc.startAt
		p := planStart(&c, now)
		if got := p.trafficAt.Sub(now); got != tc.traffic {
			t.Errorf("%s: traffic after %v, want %v", tc.name, got, tc.traffic)
		}
		if got := p.measureAt.Sub(now); got != tc.measure {
			t.Errorf("%s: window after %v, want %v", tc.name, got, tc.measure)
		}
		wantEnd := now.Add(tc.end)
		if tc.end < 0 {
			wantEnd = p.measureAt.Add(c.Duration)
		}
		if got := p.windowEnd(p.measureAt, c.Duration); !got.Equal(wantEnd) {
			t.Errorf("%s: window ends after %v, want %v", tc.name, got.Sub(now), wantEnd.Sub(now))
		}
		if p.late != tc.late {
			t.Errorf("%s: late %v, want %v", tc.name, p.late, tc.late)
		}
	}
}

// TestMeasuringByClock: with a start time, what completes is measured by
// when it completes on the clock, from the window's start up to its end,
// whether the driver has changed phase yet or not; never while draining.
func TestMeasuringByClock(t *testing.T) {
	t.Parallel()
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(&cfg)
	r.phase.Store(phaseWarmup)
	if r.measuring(5) {
		t.Fatal("without a clocked window, the warm-up is not measured")
	}
	r.windowFrom.Store(100)
	r.windowTo.Store(200)
	for _, tc := range []struct {
		phase int32
		at    int64
		want  bool
	}{
		{phaseWarmup, 99, false},
		{phaseWarmup, 100, true}, // the driver has not woken yet
		{phaseRun, 150, true},
		{phaseRun, 199, true},
		{phaseRun, 200, false},   // the driver has not woken yet
		{phaseDrain, 150, false}, // cancelled early
	} {
		r.phase.Store(tc.phase)
		if got := r.measuring(tc.at); got != tc.want {
			t.Errorf("phase %d at %d: measuring %v, want %v", tc.phase, tc.at, got, tc.want)
		}
	}
}
