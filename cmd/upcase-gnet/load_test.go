package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
	"github.com/upcase-gnet/upcase-gnet/load"
)

func TestLoadBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--conns", "0"}, "--conns"},
		{[]string{"--size", "0"}, "--size"},
		{[]string{"--size", "17MiB"}, "--size"},
		{[]string{"--size", "lots"}, "invalid size"},
		{[]string{"--mode", "burst"}, "mode"},
		{[]string{"--generator", "threads"}, "generator"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--warmup", "-1s"}, "--warmup"},
		{[]string{"--rate", "-1"}, "--rate"},
		{[]string{"--rate", "NaN"}, "--rate"},
		{[]string{"--connect-rate", "+Inf"}, "--connect-rate"},
		{[]string{"--port", "70000"}, "port"},
		{[]string{"--source-addrs", "300"}, "source address"},
		{[]string{"--source-addrs", "10.0.0.1,nonsense"}, "source address"},
		{[]string{"--unix", "/tmp/x.sock", "--source-addrs", "2"}, "--source-addrs"},
		{[]string{"--workers", "-2"}, "--workers"},
		{[]string{"--workers", "100000"}, "at most 64"},
		{[]string{"extra"}, "no arguments"},
		{[]string{"--shard", "4/4"}, "0 <= index < count"},
		{[]string{"--shard", "1"}, "INDEX/COUNT"},
		{[]string{"--conns", "3", "--shard", "0/4"}, "each shard needs at least one"},
		{[]string{"--start-at", "tomorrow"}, "RFC 3339"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			_, stderr, code := run(t, nil, append([]string{"load"}, tc.args...)...)
			if code == 0 {
				t.Errorf("exit 0, want non-zero")
			}
			oneLine(t, stderr, tc.want)
		})
	}
}

// loadJSON runs `load --json args...` and decodes its one JSON object.
func loadJSON(t *testing.T, env []string, args ...string) (*load.Result, int) {
	t.Helper()
	stdout, stderr, code := run(t, env, append([]string{"load", "--json"}, args...)...)
	var res load.Result
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout %q is not a Result: %v (stderr %q)", stdout, err, stderr)
	}
	if dec.More() {
		t.Errorf("stdout holds more than one JSON object: %q", stdout)
	}
	return &res, code
}

func TestLoadAgainstServe(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		for _, gen := range []string{"gnet", "goroutine"} {
			t.Run(engine+"/"+gen, func(t *testing.T) {
				t.Parallel()
				srv := startServe(t, "--engine", engine, "--quiet")
				_, port, _ := net.SplitHostPort(srv.addr)
				// The number of connections comes from the environment.
				res, code := loadJSON(t, []string{"UPCASE_GNET_CONNS=12"},
					"--port", port, "--duration", "300ms", "--generator", gen, "--mode", "stream", "--size", "1KiB")
				if code != 0 {
					t.Fatalf("exit %d; result %+v", code, res)
				}
				if res.Conns != 12 || res.Connected != 12 || res.Messages == 0 || len(res.Errors) != 0 || res.Size != 1024 {
					t.Errorf("conns %d connected %d messages %d errors %v size %d", res.Conns, res.Connected, res.Messages, res.Errors, res.Size)
				}
				if res.Engine != gen || res.Mode != "stream" {
					t.Errorf("generator %q mode %q", res.Engine, res.Mode)
				}
			})
		}
	}
}

func TestLoadTextReport(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--engine", "gnet", "--quiet")
	_, port, _ := net.SplitHostPort(srv.addr)
	stdout, stderr, code := run(t, nil, "load", "--port", port, "--conns", "5", "--duration", "200ms")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing (no progress bar off a terminal)", stderr)
	}
	for _, want := range []string{"Connections", "5 of 5 established", "Latency", "p99.9", "Errors           none", "µs/message"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
}

// TestLoadFailureExit: failed connections fail the run unless
// --allow-errors, and the report still comes out.
func TestLoadFailureExit(t *testing.T) {
	t.Parallel()
	_, port, _ := net.SplitHostPort(testkit.ClosedPort(t)) // nothing listens there
	args := []string{"--port", port, "--conns", "3", "--duration", "100ms"}

	res, code := loadJSON(t, nil, args...)
	if code != 1 || res.ConnectFailed[load.DialRefused] != 3 {
		t.Errorf("exit %d, failed %v; want 1 and 3 refused", code, res.ConnectFailed)
	}
	if _, code = loadJSON(t, nil, append(args, "--allow-errors")...); code != 0 {
		t.Errorf("with --allow-errors: exit %d, want 0", code)
	}
	// The table counts refused connections as errors, as the exit code
	// does, and the error line names only what happened.
	stdout, stderr, code := run(t, nil, append([]string{"load"}, args...)...)
	if code != 1 || !strings.Contains(stdout, "Errors           failed connections: refused 3") {
		t.Errorf("exit %d, want 1; report:\n%s", code, stdout)
	}
	oneLine(t, stderr, "load: 3 failed connections (--allow-errors to accept them)")
}

// TestLoadWorkers splits a small run over two worker processes.
func TestLoadWorkers(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--engine", "gnet", "--quiet")
	_, port, _ := net.SplitHostPort(srv.addr)
	res, code := loadJSON(t, nil, "--port", port, "--conns", "6", "--workers", "2", "--duration", "300ms")
	if code != 0 || res.Workers != 2 || res.Connected != 6 || res.Messages == 0 {
		t.Errorf("exit %d, workers %d, connected %d, messages %d", code, res.Workers, res.Connected, res.Messages)
	}
}

// TestLoadShardFromEnv: in an Indexed Job's pod the index comes from
// JOB_COMPLETION_INDEX, and without the number of shards the run refuses to
// start rather than run the whole test in every pod.
func TestLoadShardFromEnv(t *testing.T) {
	t.Parallel()
	_, stderr, code := run(t, []string{"JOB_COMPLETION_INDEX=2"}, "load", "--conns", "8")
	if code == 0 {
		t.Errorf("exit 0 with JOB_COMPLETION_INDEX and no UPCASE_GNET_SHARDS")
	}
	oneLine(t, stderr, "UPCASE_GNET_SHARDS is not set")

	srv := startServe(t, "--engine", "gnet", "--quiet")
	_, port, _ := net.SplitHostPort(srv.addr)
	res, code := loadJSON(t, []string{"JOB_COMPLETION_INDEX=2", "UPCASE_GNET_SHARDS=4"}, "--port", port, "--conns", "10", "--duration", "200ms")
	if code != 0 || res.Shard != "2/4" || res.Conns != 2 || res.Connected != 2 {
		t.Errorf("exit %d, shard %q, conns %d, connected %d; want shard 2/4 with 2 of 10", code, res.Shard, res.Conns, res.Connected)
	}
}

// TestLoadProgressLines: with stderr not a terminal, a run of some seconds
// tells its progress in whole lines, every few seconds; --quiet tells none.
func TestLoadProgressLines(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--engine", "gnet", "--quiet")
	_, port, _ := net.SplitHostPort(srv.addr)
	for _, quiet := range []bool{false, true} {
		t.Run(fmt.Sprintf("quiet=%v", quiet), func(t *testing.T) {
			t.Parallel()
			args := []string{"load", "--port", port, "--conns", "2", "--duration", (plainEvery + 1500*time.Millisecond).String()}
			if quiet {
				args = append(args, "--quiet")
			}
			_, stderr, code := run(t, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if quiet {
				if stderr != "" {
					t.Errorf("--quiet: stderr %q, want nothing", stderr)
				}
				return
			}
			if !regexpMatch(`^(load: [^\r\n]*\n)+$`, stderr) || !strings.Contains(stderr, "load: measured ") {
				t.Errorf("stderr %q, want lines of load's progress in the measured time", stderr)
			}
		})
	}
}
