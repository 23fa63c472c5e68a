package compare

import (
	"strings"
	"testing"
)

// TestConfigRefuses: what withDefaults refuses before any child starts, one
// line each.
func TestConfigRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no children", Config{}, "compare: no Children"},
		{"a window too big", Config{Children: envChildren{}, Window: MaxWindow + 1}, "compare: window must be at most 1073741824 bytes, got 1073741825"},
		{"a negative rate", Config{Children: envChildren{}, Rate: -1}, "compare: rate must be a positive number of messages a second, got -1"},
	} {
		_, err := tc.cfg.withDefaults()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line starting %q", tc.name, err, tc.want)
		}
	}
}
