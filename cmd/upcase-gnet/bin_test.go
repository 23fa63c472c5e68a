package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests run the real binary, built once per test process.
var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{binDir, plainDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// binary builds ./cmd/upcase-gnet once and returns its path.
func binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "upcase-gnet-bin")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "upcase-gnet")
		out, err := exec.Command("go", "build", "-race", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{err: err, out: out}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

// serveProc is a running `upcase-gnet serve` child.
type serveProc struct {
	cmd    *exec.Cmd
	addr   string        // from its "Listening at" line
	stdout *bytes.Buffer // the rest of stdout, once it has exited
	stderr *bytes.Buffer
	done   chan error
}

// startServe runs `upcase-gnet serve --port 0 args...` and waits for its
// "Listening at" line. The child is killed at the end of the test.
func startServe(t testing.TB, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--port", "0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, stdout: new(bytes.Buffer), stderr: new(bytes.Buffer), done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	lines := bufio.NewReader(stdout)
	first, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no first line: %v; stderr: %s", err, p.stderr)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(first), "Listening at ")
	if !ok {
		t.Fatalf("first line %q, want \"Listening at ADDR\"", first)
	}
	p.addr = addr
	go func() {
		_, _ = p.stdout.ReadFrom(lines)
		p.done <- cmd.Wait()
	}()
	return p
}

// stop sends SIGTERM and returns the exit error, failing the test if the
// process does not exit within limit.
func (p *serveProc) stop(t testing.TB, limit time.Duration) error {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
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
