package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/compare"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// plainText fails unless out is whole lines, without "\r", and has want.
func plainText(t *testing.T, out string, want ...string) {
	t.Helper()
	if strings.Contains(out, "\r") || (out != "" && !strings.HasSuffix(out, "\n")) {
		t.Errorf("not whole lines: %q", out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%q lacks %q", out, w)
		}
	}
}

// TestLoadLines: off a terminal, load's progress is lines, and the
// measured time's counts its own messages, not the warm-up's too.
func TestLoadLines(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	l := newLoadLines(&b, load.Shard{})
	l.every = 0 // every report a line
	l.show(load.Progress{Phase: load.PhaseConnect, Conns: 10, Connected: 4, Failed: 1})
	l.show(load.Progress{Phase: load.PhaseWarmup, Messages: 500, Elapsed: time.Second, Total: 2 * time.Second})
	l.show(load.Progress{Phase: load.PhaseRun, Messages: 1200, Measured: 200, Elapsed: 12 * time.Second, Total: time.Minute})
	shard := newLoadLines(&b, load.Shard{Index: 1, Count: 4})
	shard.every = 0
	shard.show(load.Progress{Phase: load.PhaseWait, Elapsed: 2 * time.Second, Total: 8 * time.Second})
	plainText(t, b.String(),
		"load: connecting: 4 of 10 connected, 1 failed\n",
		"load: warm-up 1s of 2s: 500 messages\n",
		"load: measured 12s of 1m0s: 200 messages\n",
		"load 1/4: waiting for --start-at: 2s of 8s\n")
}

// TestPlainLinesPace: a line at most every plainEvery, none in the first.
func TestPlainLinesPace(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	p := newPlainLines(&b)
	p.line(false, "too soon")
	p.line(true, "forced")
	p.last = time.Now().Add(-plainEvery) // as if one plainEvery had passed
	p.line(false, "due")
	p.line(false, "too soon again")
	if got, want := b.String(), "forced\ndue\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}

// TestCompareProgressPlain: off a terminal, compare tells the run under
// way in lines, and its line about each finished run as it comes.
func TestCompareProgressPlain(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	cp := newCompareProgress(&b)
	cp.plain.every = 0
	cp.show(compare.Progress{Series: compare.Series{Mode: compare.Slow, Conns: 300}, Engine: "gnet", Round: 1, Run: 3, Runs: 20,
		Elapsed: 2500 * time.Millisecond, Expected: 8 * time.Second})
	if _, err := cp.Write([]byte("compare: slow-300 gnet round 1/1: ...\n")); err != nil {
		t.Fatal(err)
	}
	plainText(t, b.String(), "compare: slow-300 gnet round 1 (run 3 of 20): 2.5s of about 8s\n", "compare: slow-300 gnet round 1/1: ...\n")
}
