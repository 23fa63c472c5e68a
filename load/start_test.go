package load

import (
	"testing"
	"time"
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
