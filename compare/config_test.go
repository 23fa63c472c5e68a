package compare

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/config"
)

// TestConfigRefuses: what withDefaults refuses before any child starts, one
// line each.
func TestConfigRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, field string // field: the Config field the *config.Error names
		cfg         Config
		want        string
	}{
		{"no children", "Children", Config{}, "compare: Children are missing"},
		{"a negative duration", "Duration", Config{Children: envChildren{}, Duration: -time.Second}, "compare: duration must be positive, got -1s"},
		{"a window too big", "Window", Config{Children: envChildren{}, Window: MaxWindow + 1}, "compare: window must be 1 byte to 1GiB, got 1073741825"},
		{"a negative rate", "Rate", Config{Children: envChildren{}, Rate: -1}, "compare: rate must be a positive number of messages a second, got -1"},
		{"an infinite rate", "Rate", Config{Children: envChildren{}, Rate: math.Inf(1)}, "compare: rate must be a positive number of messages a second, got +Inf"},
	} {
		_, err := tc.cfg.withDefaults()
		var bad *config.Error
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line starting %q", tc.name, err, tc.want)
		} else if !errors.As(err, &bad) || bad.Field != tc.field {
			t.Errorf("%s: %#v, want a *config.Error naming %s", tc.name, err, tc.field)
		}
	}
}
