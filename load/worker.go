package load

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/tail"
)

// The worker protocol, one JSON value a line:
//
//	parent -> worker stdin:  workerJob, then later "go" (start traffic) or
//	                         "stop" (end early); EOF also ends the run early
//	worker -> parent stdout: workerMsg with Progress, then one with Ready
//	                         once every connection is dialed, then one with
//	                         Result (or Error)
//
// Every worker dials its connections and says Ready; the parent says "go"
// to all of them only once all are ready, so that their traffic starts
// together and their measured times coincide.
type workerJob struct {
	Config    Config `json:"config"`
	FirstConn int    `json:"first_conn"`
}

type workerMsg struct {
	Progress *Progress `json:"progress,omitempty"`
	Ready    *Result   `json:"ready,omitempty"`
	Result   *Result   `json:"result,omitempty"`
	Error    string    `json:"error,omitempty"`
}

const (
	cmdGo   = "go"
	cmdStop = "stop"
)

// ServeWorker is the worker side of a run split over processes: it reads
// its share of the run from in, dials, reports progress and readiness on
// out, starts traffic when told, and writes its Result (with its encoded
// histograms) on out. It returns an error only if it could not do that.
func ServeWorker(ctx context.Context, in io.Reader, out io.Writer) error {
	lines := bufio.NewScanner(in)
	if !lines.Scan() {
		return errors.New("load: worker: no job on standard input")
	}
	var job workerJob
	if err := json.Unmarshal(lines.Bytes(), &job); err != nil {
		return fmt.Errorf("load: worker: reading the job: %w", err)
	}
	job.Config.inWorker = true
	cfg, err := job.Config.withDefaults()
	if err != nil {
		return err
	}
	cfg.Workers, cfg.firstConn = 1, job.FirstConn

	var mu sync.Mutex
	enc := json.NewEncoder(out)
	send := func(m workerMsg) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(m)
	}
	cfg.Progress = func(p Progress) {
		_ = send(workerMsg{Progress: &p})
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := make(chan struct{})
	go func() {
		defer cancel() // EOF or "stop": the parent wants the run to end
		for lines.Scan() {
			switch strings.TrimSpace(lines.Text()) {
			case cmdGo:
				close(start)
			case cmdStop:
				return
			}
		}
	}()
	barrier := func(r *Result) error {
		if err := send(workerMsg{Ready: r}); err != nil {
			return err
		}
		select {
		case <-start:
			return nil
		case <-ctx.Done():
			return errors.New("load: worker: stopped before the start")
		}
	}
	res, err := runLocal(ctx, &cfg, barrier)
	if err != nil {
		_ = send(workerMsg{Error: err.Error()})
		return err
	}
	return send(workerMsg{Result: res})
}

// worker is the parent's handle on one worker process.
type worker struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr tail.Buffer // a worker's last words

	mu       sync.Mutex
	progress Progress      // the worker's own, its Conns its share
	ready    chan struct{} // closed on Ready
	result   *Result
	err      error
	done     chan struct{} // closed when its output has ended
}

// runWorkers splits cfg over n worker processes, starts their traffic
// together and merges their results.
func runWorkers(ctx context.Context, cfg Config, n int) (*Result, error) {
	if cfg.WorkerCommand == nil {
		return nil, fmt.Errorf("load: %d connections need %d worker processes, and no worker command is set", cfg.Conns, n)
	}
	limit := ConnsPerProcess(cfg.DialsInFlight)
	ws := make([]*worker, 0, n)
	defer func() {
		for _, w := range ws {
			_ = w.stdin.Close()
			_ = w.cmd.Wait()
		}
	}()
	first := 0
	for i := range n {
		share := cfg.Conns / n
		if i < cfg.Conns%n {
			share++
		}
		if share > limit {
			return nil, fmt.Errorf("load: %d connections over %d workers is %d each, more than one process may hold (%d); use more workers", cfg.Conns, n, share, limit)
		}
		job := cfg
		job.Conns, job.Workers = share, 1
		job.ConnectRate = cfg.ConnectRate / float64(n)
		job.DialsInFlight = max(cfg.DialsInFlight/n, 1)
		w, err := startWorker(cfg.WorkerCommand(), workerJob{Config: job, FirstConn: cfg.firstConn + first})
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
		first += share
	}

	prog := startWorkerProgress(cfg, ws)
	defer prog()

	for _, w := range ws {
		select {
		case <-w.ready:
		case <-w.done:
			return nil, w.failure()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	for _, w := range ws {
		if err := w.say(cmdGo); err != nil {
			return nil, fmt.Errorf("load: starting worker: %w", err)
		}
	}
	stopped := false
	results := make([]*Result, 0, n)
	for _, w := range ws {
		select {
		case <-w.done:
		case <-ctx.Done():
			if !stopped { // end every worker early; each still reports
				for _, w := range ws {
					_ = w.say(cmdStop)
				}
				stopped = true
			}
			<-w.done
		}
		if w.result == nil {
			return nil, w.failure()
		}
		results = append(results, w.result)
	}
	res, err := Merge(results...)
	if err != nil {
		return nil, err
	}
	res.Conns, res.Workers = cfg.Conns, n
	return res, nil
}

func startWorker(cmd *exec.Cmd, job workerJob) (*worker, error) {
	w := &worker{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{})}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("load: worker: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("load: worker: %w", err)
	}
	cmd.Stderr = &w.stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("load: starting worker %s: %w", cmd.Path, err)
	}
	w.stdin = stdin
	b, err := json.Marshal(job)
	if err == nil {
		err = w.say(string(b))
	}
	if err != nil {
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("load: sending the job to worker: %w", err)
	}
	go w.listen(stdout)
	return w, nil
}

// listen reads the worker's messages until its output ends.
func (w *worker) listen(stdout io.Reader) {
	defer close(w.done)
	dec := json.NewDecoder(stdout)
	for {
		var m workerMsg
		if err := dec.Decode(&m); err != nil {
			if !errors.Is(err, io.EOF) {
				w.setErr(fmt.Errorf("load: reading worker output: %w", err))
			}
			return
		}
		switch {
		case m.Progress != nil:
			w.mu.Lock()
			w.progress = *m.Progress
			w.mu.Unlock()
		case m.Ready != nil:
			close(w.ready)
		case m.Result != nil:
			w.result = m.Result
		case m.Error != "":
			w.setErr(errors.New(m.Error))
		}
	}
}

func (w *worker) setErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *worker) say(line string) error {
	_, err := io.WriteString(w.stdin, line+"\n")
	return err
}

// failure explains why a worker ended without a result; call it after done.
func (w *worker) failure() error {
	err := w.err
	if err == nil {
		err = errors.New("ended without a result")
	}
	if tail := strings.TrimSpace(w.stderr.String()); tail != "" {
		return fmt.Errorf("load: worker: %w: %s", err, tail)
	}
	return fmt.Errorf("load: worker: %w", err)
}

// startWorkerProgress reports the workers' progress, summed, through
// cfg.Progress; the function it returns stops it.
func startWorkerProgress(cfg Config, ws []*worker) func() {
	return reportProgress(&cfg, func() (Progress, bool) {
		p := Progress{Conns: cfg.Conns}
		for i, w := range ws {
			w.mu.Lock()
			wp := w.progress
			w.mu.Unlock()
			if i == 0 {
				p.Phase, p.Elapsed, p.Total = wp.Phase, wp.Elapsed, wp.Total
			}
			p.Connected += wp.Connected
			p.Failed += wp.Failed
			p.Messages += wp.Messages
			p.Measured += wp.Measured
			p.SlowWritten += wp.SlowWritten
			p.SlowComplete += wp.SlowComplete
			p.RecentP99 = max(p.RecentP99, wp.RecentP99)
		}
		return p, p.Phase != ""
	})
}
