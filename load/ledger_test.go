package load

import "testing"

// TestRoom checks how much each mode may write: pingpong one message when
// owed nothing, a window refilled once half is back, and without a window a
// chunk whenever owed less than MaxInFlight.
func TestRoom(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		mode         Mode
		window, size int
		owed         uint64
		want         int
	}{
		{"pingpong idle", PingPong, 0, 16, 0, 1},
		{"pingpong owed", PingPong, 0, 16, 16, 0},
		{"window empty", Stream, 64 << 10, 16, 0, 4096},
		{"window half back", Stream, 64 << 10, 16, 32 << 10, 2048},
		{"window not half back", Stream, 64 << 10, 16, 32<<10 + 1, 0},
		{"no window", Stream, 0, 16, 0, StreamChunk / 16},
		{"no window, much in flight", Stream, 0, 16, MaxInFlight - 1, StreamChunk / 16},
		{"no window, in flight at the bound", Stream, 0, 16, MaxInFlight, 0},
		{"no window, big messages", Stream, 0, 1 << 20, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := &Config{Mode: tc.mode, Window: tc.window, Size: tc.size}
			r := newRun(cfg)
			l := ledger{sent: tc.owed}
			if got := l.room(r); got != tc.want {
				t.Errorf("room = %d, want %d", got, tc.want)
			}
		})
	}
}
