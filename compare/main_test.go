package compare

import (
	"os"
	"testing"
)

// helperEnv names the helper a test binary started as a child should be
// instead of running tests; helpers holds them by name.
const helperEnv = "UPCASE_GNET_COMPARE_HELPER"

var helpers = map[string]func(){}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		helpers[name]()
		return
	}
	os.Exit(m.Run())
}
