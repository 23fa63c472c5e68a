package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/upcase-gnet/upcase-gnet/load"
)

// shardRun is one `load --shard` process and what it printed.
type shardRun struct {
	args           []string
	stdout, stderr bytes.Buffer
	code           int
	res            load.Result
}

// TestShardsMerge: four shards as separate processes drive one server with
// their windows set 2 s ahead; merge adds them up exactly. A fifth process
// runs shard 3 again with a timeout no reply can meet, so that it fails:
// merged in place of the good shard 3, it shows in the table and the exit
// code; left out, shard 3 shows as missing.
func TestShardsMerge(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--engine", "gnet", "--quiet")
	_, port, _ := net.SplitHostPort(srv.addr)
	const conns = 14 // 4, 4, 3, 3
	var runs []*shardRun
	// Five race-built processes can take more than 2 s to start and connect
	// on two busy cores (seen here with four other engineers' tests
	// running): such a shard is late, and says so, which is not what this
	// test is about. Then it runs once more with more time ahead.
	for _, ahead := range []time.Duration{2 * time.Second, 8 * time.Second} {
		runs = runShards(t, port, conns, ahead)
		var late []string
		for _, r := range runs[:4] {
			if r.res.Late {
				late = append(late, fmt.Sprintf("%s by %v", r.res.Shard, r.res.StartSkew))
			}
		}
		if len(late) == 0 {
			break
		}
		if ahead > 2*time.Second {
			t.Fatalf("with --start-at %v ahead, shards late: %s", ahead, strings.Join(late, ", "))
		}
		t.Logf("with --start-at %v ahead, shards late: %s; once more with more time", ahead, strings.Join(late, ", "))
	}
	for i, r := range runs[:4] {
		if r.code != 0 || r.res.Shard != fmt.Sprintf("%d/4", i) {
			t.Fatalf("shard %d: exit %d, shard %q, stderr %q", i, r.code, r.res.Shard, r.stderr.String())
		}
	}
	if bad := runs[4]; bad.code != 1 || bad.res.ErrorCount() == 0 {
		t.Fatalf("the failing shard: exit %d, errors %v; want 1 and timeouts", bad.code, bad.res.Errors)
	}

	// The four good shards, as pod logs on standard input, with a line of
	// stderr mixed in.
	var logs bytes.Buffer
	for _, r := range runs[:4] {
		logs.Write(r.stdout.Bytes())
	}
	logs.WriteString("upcase-gnet: a log line that is not a result\n")
	stdout, stderr, code := runInput(t, nil, logs.Bytes(), "merge", "--json", "-")
	if code != 0 {
		t.Fatalf("merge: exit %d, stderr %q", code, stderr)
	}
	oneLine(t, stderr, `merge: -: skipped 1 line that is not a result (line 5: "upcase-gnet: a log line that is not a result")`)
	var m load.Merged
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("merge --json printed %q: %v", stdout, err)
	}

	var sumConns, sumConnected int
	var sumMsgs, sumSent, sumRecv uint64
	union := &histUnion{t: t}
	first, last := runs[0].res.WindowStart, runs[0].res.WindowStart
	for _, r := range runs[:4] {
		sumConns += r.res.Conns
		sumConnected += r.res.Connected
		sumMsgs += r.res.Messages
		sumSent += r.res.BytesSent
		sumRecv += r.res.BytesReceived
		union.add(r.res.Histogram)
		if w := r.res.WindowStart; w.Before(first) {
			first = w
		} else if w.After(last) {
			last = w
		}
		t.Logf("shard %s: %d connections, %d messages, window started %v after --start-at", r.res.Shard, r.res.Connected, r.res.Messages, r.res.StartSkew)
	}
	if m.Conns != conns || sumConns != conns || m.Connected != sumConnected || sumConnected != conns {
		t.Errorf("merged conns %d connected %d; the shards' %d and %d; want %d", m.Conns, m.Connected, sumConns, sumConnected, conns)
	}
	if m.Messages != sumMsgs || m.BytesSent != sumSent || m.BytesReceived != sumRecv || sumMsgs == 0 {
		t.Errorf("merged messages %d, bytes %d/%d; the shards' sums %d, %d/%d", m.Messages, m.BytesSent, m.BytesReceived, sumMsgs, sumSent, sumRecv)
	}
	if got, want := m.Histogram, union.encode(); got != want {
		t.Errorf("the merged histogram is not the one all the shards' samples make together")
	}
	if len(m.Shards) != 4 || len(m.Missing) != 0 || m.StartSpread != last.Sub(first) {
		t.Errorf("shards %d, missing %v, spread %v (want %v)", len(m.Shards), m.Missing, m.StartSpread, last.Sub(first))
	}
	// Windows are cut by the clock: on one host, a shard ready in time
	// measures from --start-at exactly, however late its process wakes.
	for _, r := range runs[:4] {
		if r.res.StartSkew != 0 || !r.res.WindowStart.Equal(r.res.StartAt) {
			t.Errorf("shard %s: window started %v, skew %v; want --start-at %v exactly", r.res.Shard, r.res.WindowStart, r.res.StartSkew, r.res.StartAt)
		}
	}
	if m.StartSpread != 0 {
		t.Errorf("windows started %v apart, want together", m.StartSpread)
	}

	// The failing shard in place of the good shard 3: in the table and in
	// the exit code, unless --allow-errors.
	files := writeResults(t, runs[0], runs[1], runs[2], runs[4])
	stdout, stderr, code = run(t, nil, append([]string{"merge"}, files...)...)
	if code != 1 || !strings.Contains(stderr, "shard 3/4") || !strings.Contains(stderr, "errors") {
		t.Errorf("merge with a failing shard: exit %d, stderr %q; want 1 naming shard 3/4", code, stderr)
	}
	if !regexpMatch(`(?m)^3/4 .*timeout \d+`, stdout) || !strings.Contains(stdout, "timeout") {
		t.Errorf("the table does not show shard 3's timeouts:\n%s", stdout)
	}
	if _, _, code = run(t, nil, append([]string{"merge", "--allow-errors"}, files...)...); code != 0 {
		t.Errorf("merge --allow-errors with a failing shard: exit %d, want 0", code)
	}
	// Shard 3 missing altogether.
	stdout, stderr, code = run(t, nil, append([]string{"merge"}, files[:3]...)...)
	if code != 1 || !strings.Contains(stdout, "3/4    MISSING") || !strings.Contains(stderr, "shard 3/4: no result") {
		t.Errorf("merge without shard 3: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// runShards runs shards 0 to 3 of a load of conns connections, and shard 3
// again with a timeout no reply meets, all at once as processes, their
// windows set ahead of now, and returns what each printed.
func runShards(t *testing.T, port string, conns int, ahead time.Duration) []*shardRun {
	t.Helper()
	startAt := time.Now().Add(ahead).UTC().Format(time.RFC3339Nano)
	common := []string{"load", "--json", "--port", port, "--conns", fmt.Sprint(conns),
		"--duration", "500ms", "--warmup", "100ms", "--start-at", startAt}
	runs := make([]*shardRun, 5)
	for i := range runs {
		runs[i] = &shardRun{args: append(append([]string{}, common...), "--shard", fmt.Sprintf("%d/4", min(i, 3)))}
	}
	runs[4].args = append(runs[4].args, "--timeout", "1ns")

	bin := binary(t) // before the clock starts: a cold build is slow
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmds := make([]*exec.Cmd, len(runs))
	for i, r := range runs {
		cmds[i] = exec.CommandContext(ctx, bin, r.args...)
		cmds[i].Stdout, cmds[i].Stderr = &r.stdout, &r.stderr
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range runs {
		if err := cmds[i].Wait(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			r.code = ee.ExitCode()
		}
		if err := json.Unmarshal(r.stdout.Bytes(), &r.res); err != nil {
			t.Fatalf("shard %d printed %q, not a result: %v (stderr %q)", i, r.stdout.String(), err, r.stderr.String())
		}
	}
	return runs
}

// histUnion builds the histogram of every shard's samples together with
// HdrHistogram's own Merge, which records each bucket's count again: not
// the count-by-count addition that load merges with.
type histUnion struct {
	t *testing.T
	h *hdr.Histogram
}

func (u *histUnion) add(encoded string) {
	u.t.Helper()
	h, err := hdr.Decode([]byte(encoded))
	if err != nil {
		u.t.Fatal(err)
	}
	if u.h == nil {
		u.h = hdr.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
	}
	if dropped := u.h.Merge(h); dropped != 0 {
		u.t.Fatalf("%d samples dropped", dropped)
	}
}

func (u *histUnion) encode() string {
	u.t.Helper()
	s, err := load.EncodeHistogram(u.h)
	if err != nil {
		u.t.Fatal(err)
	}
	return s
}

// writeResults writes each run's result to a file of its own and returns
// their paths.
func writeResults(t *testing.T, runs ...*shardRun) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, r := range runs {
		p := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		if err := os.WriteFile(p, r.stdout.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

func TestMergeBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\"target\": 5}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Not load's output at all: many lines, none a result.
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, bytes.Repeat([]byte("just a log line\n"), 777), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "give result files"},
		{[]string{filepath.Join(dir, "none.json")}, "no such file"},
		{[]string{bad}, "bad.json:1: not a load result"},
		{[]string{empty}, "upcase-gnet: merge: no results in " + empty},
		{[]string{text}, "upcase-gnet: merge: " + text + `: no load result, only 777 lines that are not results (the first, line 1: "just a log line"): give what load --json printed`},
	} {
		_, stderr, code := run(t, nil, append([]string{"merge"}, tc.args...)...)
		if code == 0 {
			t.Errorf("merge %q: exit 0", tc.args)
		}
		oneLine(t, stderr, tc.want)
	}
}

// TestLoadStartAtPast: a --start-at that has already passed when load
// starts is refused before anything is dialled, in one line naming the
// flag, with the exit code of a bad value (2) and no result. (A start time
// that passes only while the connections are dialled is a late start, as
// load's TestLateStart checks.)
func TestLoadStartAtPast(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--engine", "gnet", "--quiet")
	_, port, _ := net.SplitHostPort(srv.addr)
	for _, ago := range []time.Duration{500 * time.Millisecond, time.Hour} { // within the window, and long past it
		at := time.Now().Add(-ago).UTC().Format(time.RFC3339Nano)
		stdout, stderr, code := run(t, nil, "load", "--json", "--port", port, "--conns", "4", "--duration", "3s", "--start-at", at)
		if code != 2 || stdout != "" {
			t.Errorf("--start-at %v ago: exit %d, stdout %.200q; want 2 and no result", ago, code, stdout)
		}
		oneLine(t, stderr, "load: --start-at "+at+" is ")
		oneLine(t, stderr, "in the past: the measured window would have begun before the test")
	}
}

// TestMergeDisjoint: two loads without --shard, one after the other, are
// not shards of one run: merge refuses them in one line naming both files
// and their windows, and merges them, their rates added, only with
// --allow-disjoint.
func TestMergeDisjoint(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--engine", "gnet", "--quiet")
	_, port, _ := net.SplitHostPort(srv.addr)
	runs := make([]*shardRun, 2)
	for i := range runs { // the second starts once the first has exited
		stdout, stderr, code := run(t, nil, "load", "--json", "--port", port, "--conns", "2", "--duration", "200ms")
		if code != 0 {
			t.Fatalf("load %d: exit %d, stderr %q", i, code, stderr)
		}
		runs[i] = &shardRun{code: code}
		runs[i].stdout.WriteString(stdout)
	}
	files := writeResults(t, runs...)
	_, stderr, code := run(t, nil, append([]string{"merge"}, files...)...)
	if code != 1 {
		t.Errorf("merge of runs one after the other: exit %d, want 1", code)
	}
	oneLine(t, stderr, "upcase-gnet: merge: "+files[0]+":1 measured ")
	for _, want := range []string{" and " + files[1] + ":1 measured ", "the windows do not overlap", "--allow-disjoint"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("merge's error %q does not say %q", stderr, want)
		}
	}
	stdout, stderr, code := run(t, nil, append([]string{"merge", "--json", "--allow-disjoint"}, files...)...)
	var m load.Merged
	if code != 0 || json.Unmarshal([]byte(stdout), &m) != nil || len(m.Shards) != 2 {
		t.Fatalf("merge --allow-disjoint: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
