package compare

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// envChildren stands in for the binary's Children where a test needs only
// Env: it is no copy of the contract, whose one home is the binary's
// command line (and whose tests are there).
type envChildren struct{ Children }

// Env leaves out what starts with "DROP_".
func (envChildren) Env(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "DROP_") {
			out = append(out, kv)
		}
	}
	return out
}

// TestCommandEnv: every child, pinned or not, gets the environment
// Children.Env makes of this process's.
func TestCommandEnv(t *testing.T) {
	t.Setenv("DROP_ME", "1")
	t.Setenv("KEEP_ME", "1")
	for _, pin := range []bool{false, true} {
		cfg := &Config{Children: envChildren{}, Binary: "upcase-gnet", Pin: pin, Taskset: "taskset"}
		env := childCommand(context.Background(), cfg, "1", []string{"load"}).Environ()
		if slices.Contains(env, "DROP_ME=1") || !slices.Contains(env, "KEEP_ME=1") {
			t.Errorf("pin %v: a child's environment is %q, want KEEP_ME and not DROP_ME", pin, env)
		}
	}
}
