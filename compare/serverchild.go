package compare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/tail"
)

// serverChild is one engine's server, a child process of its own.
type serverChild struct {
	engine  engine.Name
	cmd     *exec.Cmd
	addr    string    // host:port it listens at
	started time.Time // when it said it was listening
	stderr  *tail.Buffer

	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // the process's exit, valid once exited is closed
	stopped bool          // stop has been called
}

// startServer starts the binary serving eng at a free port, as
// Children.ServeArgs says, and waits until it says where it listens.
func startServer(ctx context.Context, cfg *Config, eng engine.Name) (*serverChild, error) {
	args := cfg.Children.ServeArgs(eng, cfg.Host, cfg.ServerArgs)
	// The server is stopped by stop, not by a context: it must outlive a
	// cancelled run long enough to be stopped in order.
	cmd := childCommand(context.Background(), cfg, cfg.ServerCPUs, args)
	first := &firstLine{line: make(chan string, 1)}
	s := &serverChild{engine: eng, cmd: cmd, stderr: &tail.Buffer{Size: stderrKeep}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = first, s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("compare: %s server did not start: %w", eng, err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	fail := func(why string) (*serverChild, error) {
		s.stop(cfg.StopTimeout)
		return nil, fmt.Errorf("compare: %s server did not start: %s", eng, why)
	}
	select {
	case line := <-first.line:
		addr, err := cfg.Children.ListeningAt(line)
		if err != nil {
			return fail(err.Error())
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fail(fmt.Sprintf("bad address in %q: %v", line, err))
		}
		s.addr, s.started = addr, time.Now()
		return s, nil
	case <-s.exited:
		return fail(exitReason(s.waitErr, s.stderr))
	case <-timer.C:
		return fail(fmt.Sprintf("it did not say where it listens within %v", cfg.StartTimeout))
	case <-ctx.Done():
		return fail(context.Cause(ctx).Error())
	}
}

// running reports whether the server process is still running.
func (s *serverChild) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// stop asks the server to stop (SIGTERM: it drains and exits) and kills it
// if it has not within grace. It returns the exit, nil for a clean one.
func (s *serverChild) stop(grace time.Duration) error {
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
