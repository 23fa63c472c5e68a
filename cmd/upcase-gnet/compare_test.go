package main

import "testing"

// TestCompareRefusesBadFlags checks that compare's bad flags end in one
// line and exit code 2 before any server starts.
func TestCompareRefusesBadFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--series", "flood-10"}, `compare: unknown series "flood-10": unknown mode "flood"`},
		{[]string{"--series", "paced-0"}, `connection count "0" is not a positive number`},
		{[]string{"--rate", "0"}, "compare: --rate must be a positive number of messages a second, got 0"},
		{[]string{"--rate", "NaN"}, "compare: --rate must be a positive number"},
		{[]string{"--window", "0"}, "compare: --window must be 1 byte to 1GiB, got 0"},
		{[]string{"--window", "2GiB"}, "compare: --window must be 1 byte to 1GiB, got 2GiB"},
		{[]string{"--slow-settle", "0s"}, "compare: --slow-settle must be positive, got 0s"},
	} {
		t.Run(tc.args[0]+"="+tc.args[1], func(t *testing.T) {
			t.Parallel()
			_, stderr, code := run(t, nil, append([]string{"compare"}, tc.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			oneLine(t, stderr, tc.want)
		})
	}
}
