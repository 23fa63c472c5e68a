package compare

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// helperEnv names the helper a test binary started as a child should be
// instead of running tests; helpers holds them by name.
const helperEnv = "UPCASE_GNET_COMPARE_HELPER"

var helpers = map[string]func(){}

// binDir holds the upcase-gnet binary the end-to-end tests build once.
var binDir string

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		helpers[name]()
		return
	}
	dir, err := os.MkdirTemp("", "compare-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// upcaseGnet builds the upcase-gnet command once for the tests that run it.
func upcaseGnet(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(binDir, "upcase-gnet")
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", binPath, "../cmd/upcase-gnet").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ../cmd/upcase-gnet: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	// Until the load command exists there is nothing to compare with.
	if out, err := exec.Command(binPath, "load", "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "--json") {
		t.Skipf("this build has no load command yet: %v %s", err, out)
	}
	return binPath
}
