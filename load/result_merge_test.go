package load

import (
	"testing"
	"time"
)

// TestMergeResults checks the sums and the exact latency merge of Merge.
func TestMergeResults(t *testing.T) {
	t.Parallel()
	mk := func(msgs uint64, lat ...time.Duration) *Result {
		h := newHistogram()
		for _, d := range lat {
			record(h, d)
		}
		s, err := EncodeHistogram(h)
		if err != nil {
			t.Fatal(err)
		}
		r := &Result{Conns: 10, Connected: 9, Workers: 1, Messages: msgs, BytesSent: msgs * 16, BytesReceived: msgs * 16,
			Duration: time.Second, GeneratorCPU: 100 * time.Millisecond, Histogram: s,
			ConnectFailed: map[string]uint64{DialRefused: 1}, Errors: map[string]uint64{ErrReset: 2}}
		r.rates()
		return r
	}
	m, err := Merge(mk(1000, time.Millisecond, 3*time.Millisecond), mk(3000, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if m.Conns != 20 || m.Connected != 18 || m.Workers != 2 || m.Messages != 4000 {
		t.Errorf("sums: conns %d connected %d workers %d messages %d", m.Conns, m.Connected, m.Workers, m.Messages)
	}
	if m.ConnectFailed[DialRefused] != 2 || m.Errors[ErrReset] != 4 {
		t.Errorf("counts by kind: %v %v", m.ConnectFailed, m.Errors)
	}
	if got, want := m.GeneratorCPUPerMsg, 200e3/4000.0; got != want {
		t.Errorf("GeneratorCPUPerMsg = %g, want %g", got, want)
	}
	if got, want := m.MessagesPerS, 4000.0; got != want {
		t.Errorf("MessagesPerS = %g, want %g", got, want)
	}
	if m.Latency.P50 < 1999 || m.Latency.P50 > 2002 || m.Latency.Max < 2999 || m.Latency.Max > 3003 {
		t.Errorf("merged latency %+v, want p50 2 ms and max 3 ms", m.Latency)
	}
}
