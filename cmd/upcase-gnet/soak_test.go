package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestSoakShortRun: scripts/soak works on a run of a few seconds (its
// minimum is 1s): it samples the server often enough within load's
// measured time to compare the first quarter of the samples with the last.
func TestSoakShortRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("scripts/soak reads /proc")
	}
	if testing.Short() {
		t.Skip("builds the command and runs a load of two seconds")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join("..", "..", "scripts", "soak"), "2s", "50")
	cmd.Env = append(cmd.Environ(), "SOAK_ENGINES=gnet", "SOAK_OUT="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/soak 2s 50: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "soak gnet      50 conns 2s: connected 50") || !strings.Contains(string(out), "samples: ok") {
		t.Errorf("scripts/soak 2s 50 printed:\n%s", out)
	}
}
