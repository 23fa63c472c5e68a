package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/load"
)

// server is one engine's server, a child process of its own.
type server struct {
	engine  string
	cmd     *exec.Cmd
	addr    string    // host:port it listens at
	started time.Time // when it said it was listening
	stderr  *tail

	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // the process's exit, valid once exited is closed
	stopped bool          // stop has been called
}

// listenPrefix starts the first line `serve` prints.
const listenPrefix = "Listening at "

// startServer starts `serve --quiet --port 0 --engine ENGINE` and waits until
// it says where it listens.
func startServer(ctx context.Context, cfg *Config, engine string) (*server, error) {
	args := []string{"serve", "--quiet", "--host", cfg.Host, "--port", "0", "--engine", engine}
	args = append(args, cfg.ServerArgs...)
	// The server is stopped by stop, not by a context: it must outlive a
	// cancelled run long enough to be stopped in order.
	cmd := cfg.command(context.Background(), cfg.ServerCPUs, args)
	first := &firstLine{line: make(chan string, 1)}
	s := &server{engine: engine, cmd: cmd, stderr: &tail{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = first, s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("compare: %s server did not start: %w", engine, err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	fail := func(why string) (*server, error) {
		s.stop(cfg.StopTimeout)
		return nil, fmt.Errorf("compare: %s server did not start: %s", engine, why)
	}
	select {
	case line := <-first.line:
		addr, ok := strings.CutPrefix(line, listenPrefix)
		if !ok {
			return fail(fmt.Sprintf("its first line is %q, want %q", line, listenPrefix+"ADDR"))
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fail(fmt.Sprintf("bad address in %q: %v", line, err))
		}
		s.addr, s.started = addr, time.Now()
		return s, nil
	case <-s.exited:
		return fail(exitReason(s.waitErr, s.stderr))
	case <-timer.C:
		return fail(fmt.Sprintf("no %q line within %v", listenPrefix+"ADDR", cfg.StartTimeout))
	case <-ctx.Done():
		return fail(context.Cause(ctx).Error())
	}
}

// running reports whether the server process is still running.
func (s *server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// stop asks the server to stop (SIGTERM: it drains and exits) and kills it
// if it has not within grace. It returns the exit, nil for a clean one.
func (s *server) stop(grace time.Duration) error {
	if !s.stopped {
		s.stopped = true
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-s.exited:
		case <-t.C:
			_ = s.cmd.Process.Kill()
		}
	}
	<-s.exited
	if s.waitErr != nil {
		return errors.New(exitReason(s.waitErr, s.stderr))
	}
	return nil
}

// loadRun is what one load child process gave back.
type loadRun struct {
	result  *load.Result
	pid     int
	started time.Time // when the child had started
	samples []Sample  // the child's memory and CPU, on the server's clock
	stderr  string
}

// loadJob is what one load child is to do.
type loadJob struct {
	conns            int
	warmup, duration time.Duration
	args             []string // mode and its flags
}

// runLoad runs `load --json` against addr and parses the Result it prints.
// It samples the child's CPU as it runs, every period from t0 on.
func runLoad(ctx context.Context, cfg *Config, addr string, job loadJob, t0 time.Time) (*loadRun, error) {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"load", "--json", "--allow-errors",
		"--host", host, "--port", port,
		"--conns", strconv.Itoa(job.conns),
		"--duration", job.duration.String(),
		"--warmup", job.warmup.String(),
		"--size", strconv.Itoa(cfg.Size),
	}
	args = append(args, job.args...)
	args = append(args, cfg.LoadArgs...)

	// Bounded in time whatever the child does: its run, plus time to
	// connect and drain.
	limit := job.warmup + job.duration + cfg.LoadSlack
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := cfg.command(ctx, cfg.LoadCPUs, args)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = cfg.StopTimeout
	var stdout bytes.Buffer
	stderr := &tail{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("compare: load did not start: %w", err)
	}
	lr := &loadRun{pid: cmd.Process.Pid, started: time.Now()}
	smp := startSampler(lr.pid, t0, cfg.SampleEvery)
	err := cmd.Wait()
	lr.samples, _, _ = smp.stop()
	lr.stderr = stderr.String()
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			return lr, fmt.Errorf("compare: load ran past %v and was stopped", limit)
		}
		return lr, context.Cause(ctx)
	}
	if err != nil {
		return lr, fmt.Errorf("compare: load failed: %s", exitReason(err, stderr))
	}
	if lr.result, err = parseResult(stdout.Bytes()); err != nil {
		return lr, err
	}
	return lr, nil
}

// parseResult reads the load.Result JSON that `load --json` prints.
func parseResult(out []byte) (*load.Result, error) {
	// Anything before the JSON object (a stray line) is not the result.
	i := bytes.IndexByte(out, '{')
	if i < 0 {
		return nil, fmt.Errorf("compare: load printed no JSON result: %q", firstLineOf(out))
	}
	var r load.Result
	dec := json.NewDecoder(bytes.NewReader(out[i:]))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("compare: load's JSON result: %w", err)
	}
	if r.Mode == "" || r.Conns == 0 {
		return nil, fmt.Errorf("compare: load's JSON result has no mode or connection count: %q", firstLineOf(out[i:]))
	}
	return &r, nil
}

// command makes the command that runs this binary with args, under taskset
// on cpus when pinning.
func (cfg *Config) command(ctx context.Context, cpus string, args []string) *exec.Cmd {
	var cmd *exec.Cmd
	if cfg.Pin {
		cmd = exec.CommandContext(ctx, cfg.Taskset, append([]string{"-c", cpus, cfg.Binary}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, cfg.Binary, args...)
	}
	cmd.SysProcAttr = childAttr()
	cmd.Env = childEnv(os.Environ())
	return cmd
}

// envPrefix starts the name of every environment variable the upcase-gnet
// commands read as a flag.
const envPrefix = "UPCASE_GNET_"

// childEnv is env without the variables the children would read as flags:
// each child's flags are exactly the ones compare gives it, so that
// UPCASE_GNET_UNIX cannot move a server off TCP, nor UPCASE_GNET_RATE,
// _LOOPS or _IDLE_TIMEOUT silently change what is measured.
func childEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, envPrefix) {
			out = append(out, kv)
		}
	}
	return out
}

// exitReason is a process's exit in one line: its status and the last line
// it wrote to stderr.
func exitReason(err error, stderr *tail) string {
	why := "exited"
	if err != nil {
		why = err.Error()
	}
	if last := stderr.lastLine(); last != "" {
		why += ": " + last
	}
	return why
}

// firstLine is a Writer that hands on the first line written to it and
// discards the rest (the server's summary a second).
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	done bool
	line chan string
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return len(p), nil
	}
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
		f.done = true
		f.line <- strings.TrimRight(string(f.buf[:i]), "\r")
		f.buf = nil
	} else if len(f.buf) > 4096 {
		f.done = true
		f.line <- string(f.buf[:4096])
		f.buf = nil
	}
	return len(p), nil
}

// tail is a Writer that keeps the last tailSize bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLine is the last non-empty line written.
func (t *tail) lastLine() string {
	lines := strings.Split(strings.TrimSpace(t.String()), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func firstLineOf(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
