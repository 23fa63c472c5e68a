//go:build linux

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/compare"
)

// TestCompareCancelledStopsChildren cancels a comparison in the middle of a
// long run and checks that Run returns soon with the cancellation, and that
// no server or generator it started is left.
func TestCompareCancelledStopsChildren(t *testing.T) {
	t.Parallel()
	bin := plainBinary(t)
	// Flags that change nothing here but mark this test's children.
	serverMark, loadMark := []string{"--idle-timeout", "67m"}, []string{"--timeout", "9876ms"}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := compare.Run(ctx, compare.Config{
		Children: children{},
		Binary:   bin, Series: []compare.Series{{Mode: compare.PingPong, Conns: 10}}, Duration: time.Minute,
		ServerArgs: serverMark, LoadArgs: loadMark,
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want the deadline", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("Run took %v to stop", took)
	}
	for _, mark := range [][]string{serverMark, loadMark} {
		if pids := processesWith(t, strings.Join(mark, "\x00")); len(pids) > 0 {
			t.Errorf("processes with %q left: %v", mark, pids)
		}
	}
}

// processesWith lists the processes whose command line holds s.
func processesWith(t *testing.T, s string) []string {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err == nil && strings.Contains(string(b), s) {
			pids = append(pids, d)
		}
	}
	return pids
}
