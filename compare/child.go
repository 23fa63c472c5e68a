package compare

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// childCommand makes the command that runs cfg's binary with args, under
// taskset on cpus when pinning, in a process group of its own, with the
// environment Children.Env leaves it.
func childCommand(ctx context.Context, cfg *Config, cpus string, args []string) *exec.Cmd {
	var cmd *exec.Cmd
	if cfg.Pin {
		cmd = exec.CommandContext(ctx, cfg.Taskset, append([]string{"-c", cpus, cfg.Binary}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, cfg.Binary, args...)
	}
	cmd.SysProcAttr = childAttr()
	cmd.Env = cfg.Children.Env(os.Environ())
	return cmd
}

// exitReason is a process's exit in one line: its status and the last line
// it wrote to stderr.
func exitReason(err error, stderr *stderrTail) string {
	why := "exited"
	if err != nil {
		why = err.Error()
	}
	if last := stderr.lastLine(); last != "" {
		why += ": " + last
	}
	return why
}

// stderrTail is a Writer that keeps the last tailSize bytes written to it.
type stderrTail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 8 << 10

func (t *stderrTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *stderrTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLine is the last non-empty line written.
func (t *stderrTail) lastLine() string {
	lines := strings.Split(strings.TrimSpace(t.String()), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
