package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// The binary run as a child: to completion (run, runInput), or as a
// server that the test talks to (startServe).

// serveChild is a running `upcase-gnet serve` child.
type serveChild struct {
	cmd     *exec.Cmd
	addr    string       // from its first line (children.ListeningAt)
	metrics string       // from its "Metrics at" line, with --metrics-addr
	stdout  *testkit.Log // the rest of its standard output
	stderr  *testkit.Log
	done    chan struct{} // closed once it has exited
	err     error         // how it exited, once done is closed
}

// serveOptions are how a serve child differs from the plain one.
type serveOptions struct {
	bin    string            // the binary to run; "" is binary(t), built with -race
	port   string            // the --port; "" is 0, a free port
	nofile int               // the open-file limit, when above 0
	onLine func(line string) // sees each line of stdout after the address
}

// startServe runs `upcase-gnet serve --port 0 args...` and waits for its
// first line, which says where it listens. The child is killed at the end of the test.
func startServe(t testing.TB, args ...string) *serveChild {
	t.Helper()
	return startServeWith(t, serveOptions{}, args...)
}

// startFaultChild runs bin's serve as the fault suite has it: quiet, with
// its metrics endpoint on a free port, and under an open-file limit of
// nofile when that is above 0.
func startFaultChild(t testing.TB, bin string, nofile int, args ...string) *serveChild {
	t.Helper()
	return startServeWith(t, serveOptions{bin: bin, nofile: nofile}, withMetrics(args)...)
}

// withMetrics is args with serve quiet and its metrics on a free port.
func withMetrics(args []string) []string {
	return append([]string{"--quiet", "--metrics-addr", "127.0.0.1:0"}, args...)
}

// startServeWith runs `serve --port PORT args...` as o says, and waits for
// its first line, which must say where it listens (listeningLine), and,
// when args ask for metrics, its "Metrics at URL" line. The child is killed
// at the end of the test if it is still running (and continued first,
// should a test have stopped it).
func startServeWith(t testing.TB, o serveOptions, args ...string) *serveChild {
	t.Helper()
	if o.bin == "" {
		o.bin = binary(t)
	}
	if o.port == "" {
		o.port = "0"
	}
	args = append([]string{"serve", "--port", o.port}, args...)
	var cmd *exec.Cmd
	if o.nofile > 0 {
		// A child may be given a lower limit than this process's: the
		// shell lowers its own, then becomes the server.
		cmd = exec.Command("sh", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, o.nofile), o.bin}, args...)...)
	} else {
		cmd = exec.Command(o.bin, args...)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveChild{cmd: cmd, stdout: new(testkit.Log), stderr: new(testkit.Log), done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-p.done:
			// Stopped by the test: its last line must add up.
			accountedAtStop(t, p.stderr.String())
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		<-p.done
	})
	exited := func() {
		p.err = cmd.Wait()
		close(p.done)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		exited()
		t.Fatalf("serve %s printed no first line: %v; stderr:\n%s", strings.Join(args, " "), p.err, p.stderr.Tail(10))
	}
	addr, err := children{}.ListeningAt(lines.Text())
	if err != nil {
		go exited()
		t.Fatalf("serve %s: %v", strings.Join(args, " "), err)
	}
	p.addr = addr
	for slices.Contains(args, "--metrics-addr") && p.metrics == "" {
		if !lines.Scan() {
			exited()
			t.Fatalf("serve %s printed no metrics address: %v; stderr:\n%s", strings.Join(args, " "), p.err, p.stderr.Tail(10))
		}
		p.metrics, _ = strings.CutPrefix(lines.Text(), metricsPrefix)
	}
	go func() {
		defer exited()
		for lines.Scan() {
			fmt.Fprintln(p.stdout, lines.Text())
			if o.onLine != nil {
				o.onLine(lines.Text())
			}
		}
	}()
	return p
}

// wait waits at most limit for the child to exit and returns how it ended.
func (p *serveChild) wait(limit time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(limit):
		return fmt.Errorf("still running %v later", limit)
	}
}

// stop sends SIGTERM and returns the exit error, failing the test if the
// process does not exit within limit.
func (p *serveChild) stop(t testing.TB, limit time.Duration) error {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(limit):
		t.Fatalf("serve did not exit within %v of SIGTERM", limit)
		return nil
	}
}

// run runs the binary with args to completion within a bounded time and
// returns its stdout, stderr and exit code.
func run(t testing.TB, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runInput(t, env, nil, args...)
}

// runInput is run with stdin, when not nil, as the command's standard
// input.
func runInput(t testing.TB, env []string, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin := binary(t) // before the clock starts: a cold build is slow
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}
