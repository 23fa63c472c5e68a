package load

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

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
			var p99 float64 // the workers' RecentP99, relayed
			cfg.Progress = func(p Progress) {
				if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
					phases = append(phases, p.Phase)
				}
				p99 = max(p99, p.RecentP99)
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
			if slices.Contains(phases, PhaseRun) && p99 <= 0 {
				t.Errorf("progress in phases %v carried no recent p99 from the workers", phases)
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
