package load

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/config"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

func TestPlanStart(t *testing.T) {
	t.Parallel()
	now := time.Now()
	at := now.Round(0).Add(10 * time.Second) // a flag's time: wall clock only
	cfg := &Config{Warmup: 2 * time.Second, Duration: 5 * time.Second}
	for _, tc := range []struct {
		name             string
		startAt          time.Time
		traffic, measure time.Duration // after now
		end              time.Duration // after now; without a start time, -1: Duration after the window starts
		late, missed     bool
	}{
		{"no start time", time.Time{}, 0, 2 * time.Second, -1, false, false},
		{"on time", at, 8 * time.Second, 10 * time.Second, 15 * time.Second, false, false},
		{"short warm-up", now.Round(0).Add(time.Second), 0, time.Second, 6 * time.Second, false, false},
		{"late", now.Round(0).Add(-time.Second), 0, 0, 4 * time.Second, true, false},
		// Ready only after the window ended: nothing is left to measure.
		{"missed", now.Round(0).Add(-6 * time.Second), 0, 0, -time.Second, true, true},
		{"missed by nothing", now.Round(0).Add(-5 * time.Second), 0, 0, 0, true, true},
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
		if tc.end < 0 && tc.startAt.IsZero() {
			wantEnd = p.measureAt.Add(c.Duration)
		}
		if got := p.windowEnd(p.measureAt, c.Duration); !got.Equal(wantEnd) {
			t.Errorf("%s: window ends after %v, want %v", tc.name, got.Sub(now), wantEnd.Sub(now))
		}
		if p.late != tc.late || p.missed != tc.missed {
			t.Errorf("%s: late %v, missed %v; want %v, %v", tc.name, p.late, p.missed, tc.late, tc.missed)
		}
	}
}

// TestStartAtPast: a StartAt that has passed when Run is called is a
// *config.Error naming the field, whether some of the window is left or
// none; a worker's is not checked again, since its parent checked it.
func TestStartAtPast(t *testing.T) {
	t.Parallel()
	for _, ago := range []time.Duration{0, time.Second, time.Hour} {
		at := time.Now().Add(-ago).Round(0)
		_, err := Run(context.Background(), Config{Duration: 10 * time.Second, StartAt: at})
		var bad *config.Error
		if !errors.As(err, &bad) || bad.Field != "StartAt" {
			t.Fatalf("StartAt %v ago: %v, want a *config.Error for StartAt", ago, err)
		}
		want := "load: start time " + at.UTC().Format(time.RFC3339Nano) + " is "
		if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, " in the past: the measured window would have begun before the test") {
			t.Errorf("StartAt %v ago: %q", ago, msg)
		}
	}
	if _, err := (Config{StartAt: time.Now().Add(-time.Second), inWorker: true}).withDefaults(); err != nil {
		t.Errorf("a worker's StartAt, checked by its parent: %v", err)
	}
	if _, err := (Config{StartAt: time.Now().Add(time.Minute)}).withDefaults(); err != nil {
		t.Errorf("a StartAt ahead: %v", err)
	}
}

// lateConfig is a run against addr whose StartAt was ahead when Run checked
// it and has passed, ago ago, by the time its connections are ready: what a
// slow dial does.
func lateConfig(t *testing.T, addr string, ago, duration time.Duration) Config {
	t.Helper()
	cfg := short(addr, engine.Gnet, PingPong)
	cfg.Conns, cfg.Duration, cfg.Warmup = 4, duration, time.Second
	cfg.StartAt = time.Now().Add(time.Hour).Round(0)
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	cfg.StartAt = time.Now().Add(-ago).Round(0) // a flag's time: wall clock only
	return cfg
}

// TestLateStart: a run whose StartAt passed while it dialled starts its
// window at once, without the warm-up, ends it when the other shards' ends,
// at StartAt+Duration, and says in the result that it was late and by how
// much.
func TestLateStart(t *testing.T) {
	t.Parallel()
	addr := testkit.Peer(t, testkit.Upper)
	const duration = 1500 * time.Millisecond
	cfg := lateConfig(t, addr, 300*time.Millisecond, duration)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := runLocal(ctx, &cfg, nil)
	if err != nil {
		t.Fatalf("runLocal: %v", err)
	}
	if !res.Late || res.StartSkew < 300*time.Millisecond {
		t.Errorf("late %v, skew %v; want late by at least 300ms", res.Late, res.StartSkew)
	}
	if got := res.WindowStart.Sub(res.StartAt); got != res.StartSkew || !res.StartAt.Equal(cfg.StartAt) {
		t.Errorf("window start %v, asked for %v, skew %v", res.WindowStart, res.StartAt, res.StartSkew)
	}
	wantEnd := cfg.StartAt.Add(duration)
	if res.WindowStart.After(wantEnd) { // ready after the others had finished
		t.Fatalf("window started %v after it should have ended: the run took longer to connect than this test allows", res.WindowStart.Sub(wantEnd))
	}
	if end := res.WindowStart.Add(res.Duration); !end.Equal(wantEnd) {
		t.Errorf("window ended %v after StartAt, want %v", end.Sub(cfg.StartAt), duration)
	}
	if res.Messages == 0 {
		t.Errorf("no messages in a window of %v", res.Duration)
	}
	if res.Warmup != 0 {
		t.Errorf("warm-up %v: a late run starts measuring at once", res.Warmup)
	}
}

// TestMissedWindow: a run ready only after StartAt+Duration has nothing left
// to measure, and says so in an error instead of reporting nothing measured
// as a result.
func TestMissedWindow(t *testing.T) {
	t.Parallel()
	addr := testkit.Peer(t, testkit.Upper)
	cfg := lateConfig(t, addr, 2*time.Second, time.Second)
	res, err := runLocal(context.Background(), &cfg, nil)
	if err == nil {
		t.Fatalf("runLocal: %d messages in %v and no error; want an error", res.Messages, res.Duration)
	}
	for _, want := range []string{"load: connected only after the measured window", "nothing was measured", "set the start time further ahead"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%q is more than one line", err)
	}
}
