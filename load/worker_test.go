package load

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// TestMergeHistograms checks that merging two workers' histograms gives the
// histogram of all their values together, exactly, through the encoding the
// workers send.
func TestMergeHistograms(t *testing.T) {
	t.Parallel()
	a, b, union := newHistogram(), newHistogram(), newHistogram()
	for i := range int64(20000) {
		v := time.Duration(1000 + i*i%9_999_991) // 1 µs to 10 ms, spread
		h := a
		if i%3 == 0 {
			h = b
		}
		record(h, v)
		record(union, v)
	}
	record(b, 2*time.Hour) // clamped to the top of the range, in both
	record(union, 2*time.Hour)

	var wire []*hdr.Histogram
	for _, h := range []*hdr.Histogram{a, b} {
		s, err := EncodeHistogram(h)
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeHistogram(s)
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire, d)
	}
	merged, err := MergeHistograms(wire...)
	if err != nil {
		t.Fatal(err)
	}
	if !merged.Equals(union) {
		t.Errorf("merged histogram differs from the union: count %d vs %d, p99 %d vs %d",
			merged.TotalCount(), union.TotalCount(), merged.ValueAtQuantile(99), union.ValueAtQuantile(99))
	}
	if _, err := MergeHistograms(a, hdr.New(1, 1000, 2)); err == nil {
		t.Error("merging histograms of different geometry succeeded")
	}
}

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

// TestWorkerProcesses splits a run over two worker processes of the real
// binary and checks that their merged result adds up.
func TestWorkerProcesses(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "upcase-gnet")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/upcase-gnet").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := testkit.Peer(t, testkit.Upper)
	for _, g := range generators {
		t.Run(string(g), func(t *testing.T) {
			t.Parallel()
			cfg := short(addr, g, PingPong)
			cfg.Conns, cfg.Workers = 7, 2
			cfg.SourceAddrs = LoopbackSourceAddrs(2) // and spread over two source addresses
			cfg.WorkerCommand = func() *exec.Cmd { return exec.Command(bin, "load", "--worker") }
			var phases []Phase
			cfg.Progress = func(p Progress) {
				if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
					phases = append(phases, p.Phase)
				}
			}
			res := mustRun(t, cfg)
			if res.Workers != 2 || res.Conns != 7 || res.Connected != 7 {
				t.Errorf("workers %d, conns %d, connected %d; want 2, 7, 7 (failed %v)", res.Workers, res.Conns, res.Connected, res.ConnectFailed)
			}
			if res.ErrorCount() != 0 || res.Messages == 0 {
				t.Errorf("errors %v, messages %d", res.Errors, res.Messages)
			}
			h, err := DecodeHistogram(res.Histogram)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := uint64(h.TotalCount()), res.Messages; got != want {
				t.Errorf("merged latencies %d, want one per message of both workers, %d", got, want)
			}
			if len(res.SourceAddrs) != 2 {
				t.Errorf("SourceAddrs = %v", res.SourceAddrs)
			}
			if res.GeneratorCPU <= 0 {
				t.Errorf("GeneratorCPU = %v, want the workers' CPU", res.GeneratorCPU)
			}
			t.Logf("phases seen: %v", phases)
		})
	}
}
