package load

import (
	"context"
	"strings"
	"testing"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// TestTooManyForOneProcess: past one process's open files, Run needs
// worker processes and says so when it cannot make them.
func TestTooManyForOneProcess(t *testing.T) {
	t.Parallel()
	conns := ConnsPerProcess(DefaultDialsInFlight) + 1
	_, err := Run(context.Background(), Config{Address: testkit.ClosedPort(t), Conns: conns})
	if err == nil || !strings.Contains(err.Error(), "worker processes") {
		t.Errorf("Run(%d conns) = %v, want an error asking for worker processes", conns, err)
	}
	_, err = Run(context.Background(), Config{Address: testkit.ClosedPort(t), Conns: conns, Workers: 1})
	if err == nil || !strings.Contains(err.Error(), "more workers") {
		t.Errorf("Run(%d conns, 1 worker) = %v, want an error asking for more workers", conns, err)
	}
}
