package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/tail"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// loadRun is what one load child process gave back.
type loadRun struct {
	result   *load.Result
	pid      int
	started  time.Time     // when the child had started
	samples  []Sample      // the child's memory and CPU, on the server's clock
	progress childProgress // its progress lines, on the server's clock
	stderr   string
}

// runLoad runs the binary's load of job, as Children.LoadArgs says, and
// parses the Result it prints. It samples the child's CPU as it runs, every
// period from t0 on, and keeps its progress lines.
func runLoad(ctx context.Context, cfg *Config, job load.Config, t0 time.Time) (*loadRun, error) {
	return runLoadWith(ctx, cfg, job, t0, loadHooks{})
}

// loadHooks are what a starve series asks more of a load child than its
// result.
type loadHooks struct {
	// stop, once closed, ends the child early (SIGTERM): its Result then
	// covers what it measured until then, and its exit status for being
	// stopped is no failure.
	stop <-chan struct{}
	// progress, if set, is called from one goroutine with each progress
	// line the child prints on its standard error, as it prints it.
	progress func(load.Progress)
}

// runLoadWith is runLoad with hooks.
func runLoadWith(ctx context.Context, cfg *Config, job load.Config, t0 time.Time, h loadHooks) (*loadRun, error) {
	if job.Progress == nil {
		job.Progress = func(load.Progress) {} // the child prints its lines: read below
	}
	args := cfg.Children.LoadArgs(job, cfg.LoadArgs)

	// Bounded in time whatever the child does: its run, plus time to
	// connect and drain.
	limit := job.Warmup + job.Duration + cfg.LoadSlack
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := childCommand(ctx, cfg, cfg.LoadCPUs, args)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = cfg.StopTimeout
	var stdout bytes.Buffer
	stderr := &tail.Buffer{Size: stderrKeep}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	var ticks []progressTick // appended by the goroutine that copies stderr, read once Wait returns
	lines := &progressWriter{rest: stderr, progress: func(p load.Progress) {
		ticks = append(ticks, progressTick{At: time.Since(t0), Progress: p})
		if h.progress != nil {
			h.progress(p)
		}
	}}
	cmd.Stderr = lines
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("compare: load did not start: %w", err)
	}
	lr := &loadRun{pid: cmd.Process.Pid, started: time.Now()}
	smp := startSampler(lr.pid, t0, cfg.SampleEvery)
	var stopped atomic.Bool
	waited := make(chan struct{})
	if h.stop != nil {
		go func() {
			select {
			case <-h.stop:
				stopped.Store(true)
				_ = cmd.Process.Signal(syscall.SIGTERM)
			case <-waited:
			}
		}()
	}
	err := cmd.Wait()
	close(waited)
	lines.flush()
	lr.progress = childProgress{start: lr.started.Sub(t0), ticks: ticks}
	lr.samples, _, _ = smp.stop()
	lr.stderr = stderr.String()
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			return lr, fmt.Errorf("compare: load ran past %v and was stopped", limit)
		}
		return lr, context.Cause(ctx)
	}
	if err != nil && !stopped.Load() {
		return lr, fmt.Errorf("compare: load failed: %s", exitReason(err, stderr))
	}
	if lr.result, err = parseResult(stdout.Bytes()); err != nil {
		return lr, err
	}
	return lr, nil
}

// progressWriter is a load child's standard error: it hands each line that
// is a load.Progress to progress, and writes the others on to rest.
type progressWriter struct {
	rest     io.Writer
	progress func(load.Progress)
	line     []byte // the line so far
}

func (w *progressWriter) Write(p []byte) (int, error) {
	for b := p; len(b) > 0; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.line = append(w.line, b...)
			break
		}
		w.line = append(w.line, b[:i+1]...)
		b = b[i+1:]
		w.flush()
	}
	return len(p), nil
}

// flush deals with the line so far.
func (w *progressWriter) flush() {
	line := w.line
	w.line = w.line[:0]
	if len(line) == 0 {
		return
	}
	var p load.Progress
	if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &p) == nil && p.Phase != "" {
		w.progress(p)
		return
	}
	_, _ = w.rest.Write(line)
}

// parseResult reads the load.Result JSON that a load child prints.
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

func firstLineOf(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
