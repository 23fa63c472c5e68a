package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/tail"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// loadRun is what one load child process gave back.
type loadRun struct {
	result  *load.Result
	pid     int
	started time.Time // when the child had started
	samples []Sample  // the child's memory and CPU, on the server's clock
	stderr  string
}

// runLoad runs the binary's load of job, as Children.LoadArgs says, and
// parses the Result it prints. It samples the child's CPU as it runs, every
// period from t0 on.
func runLoad(ctx context.Context, cfg *Config, job load.Config, t0 time.Time) (*loadRun, error) {
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
