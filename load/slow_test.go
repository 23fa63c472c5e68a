package load

import (
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// TestSlow runs slow connections against a server that takes everything
// (mute: it reads and never replies) and one that echoes (upper: its
// replies fill the slow clients' small receive buffers, and then it takes
// no more). Both runs end on time with no error.
func TestSlow(t *testing.T) {
	t.Parallel()
	const conns = 4
	for _, tc := range []struct {
		name     string
		p        testkit.Handler
		send     int64
		complete bool
	}{
		{"mute", testkit.Mute, 2 << 20, true},
		{"upper", testkit.Upper, DefaultSlowBytes, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Address: testkit.Peer(t, tc.p), Conns: conns, Mode: Slow, SlowBytes: tc.send,
				Duration: 300 * time.Millisecond, Timeout: time.Second}
			t0 := time.Now()
			res := mustRun(t, cfg)
			if took := time.Since(t0); took > cfg.Duration+DefaultDrainTimeout+time.Second {
				t.Errorf("the run took %v, want about %v", took, cfg.Duration)
			}
			if n := res.ErrorCount() + res.FailedDials(); n != 0 {
				t.Errorf("errors %v, failed dials %v; want none", res.Errors, res.ConnectFailed)
			}
			s := res.Slow
			if s == nil {
				t.Fatalf("no slow result: %+v", res)
			}
			if s.SendBytes != tc.send || res.Engine != string(engine.Goroutine) {
				t.Errorf("SendBytes %d generator %q", s.SendBytes, res.Engine)
			}
			if s.TakenBytes > s.WrittenBytes || s.WrittenBytes > conns*uint64(tc.send) || res.BytesSent != s.WrittenBytes {
				t.Errorf("taken %d written %d bytes sent %d, want taken <= written <= %d", s.TakenBytes, s.WrittenBytes, res.BytesSent, conns*uint64(tc.send))
			}
			if tc.complete {
				if s.Complete != conns || s.TakenBytes != conns*uint64(tc.send) {
					t.Errorf("a server that takes everything: complete %d taken %d, want %d, %d", s.Complete, s.TakenBytes, conns, conns*uint64(tc.send))
				}
			} else {
				// The echo stops reading once its replies have nowhere to
				// go: 8 MiB a connection is more than the buffers between.
				if s.Complete == conns || s.TakenBytes == 0 || s.TakenBytes >= conns*uint64(tc.send) {
					t.Errorf("an echo that the slow clients never read: complete %d taken %d, want fewer than %d and some", s.Complete, s.TakenBytes, conns*uint64(tc.send))
				}
			}
			if s.LastWrite <= 0 || s.LastWrite > res.Duration+time.Second {
				t.Errorf("LastWrite = %v", s.LastWrite)
			}
		})
	}
}
