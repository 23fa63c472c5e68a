package compare

import (
	"context"
	"os"
	"os/exec"

	"github.com/upcase-gnet/upcase-gnet/internal/tail"
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

// stderrKeep is how much of a child's standard error is kept for the
// reason it ended.
const stderrKeep = 8 << 10

// exitReason is a process's exit in one line: its status and the last line
// it wrote to stderr.
func exitReason(err error, stderr *tail.Buffer) string {
	why := "exited"
	if err != nil {
		why = err.Error()
	}
	if last := stderr.LastLine(); last != "" {
		why += ": " + last
	}
	return why
}
