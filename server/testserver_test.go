package server

// The server a test starts, and the checks of its Stats.

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// startServer starts engine e with cfg on a free loopback port, logging
// into a testkit.Log unless cfg has a Logger, and stops it when the test
// ends, failing the test if the stop overruns the drain timeout. It returns
// the context's cancel for tests of the stop itself.
func startServer(t *testing.T, e engine.Name, cfg Config) (*Server, context.CancelFunc) {
	t.Helper()
	cfg.Engine = e
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger, _ = testkit.NewLogger(t)
	}
	drain := cfg.DrainTimeout
	if drain == 0 {
		drain = DefaultDrainTimeout
	}
	var srv *Server
	// Registered first, so that it runs last, after the stop.
	t.Cleanup(func() {
		if srv != nil && srv.stopped() {
			accounted(t, srv.Stats())
		}
	})
	srv, cancel := testkit.Start(t, drain+5*time.Second, func(ctx context.Context) (*Server, error) { return Start(ctx, cfg) })
	return srv, cancel
}

// stopped reports whether srv's Wait has returned.
func (srv *Server) stopped() bool {
	select {
	case <-srv.Done():
		return true
	default:
		return false
	}
}

// dial connects to srv and closes the connection when the test ends, before
// the server stops.
func dial(t *testing.T, srv *Server) net.Conn {
	t.Helper()
	return testkit.Dial(t, srv.Addr())
}

// waitStats polls srv's Stats until cond holds, and fails the test with
// what it last saw after a bound: counters move on the server's goroutines,
// after the client has seen the effect.
func waitStats(t *testing.T, srv *Server, what string, cond func(Stats) bool) Stats {
	t.Helper()
	var st Stats
	if !testkit.Poll(10*time.Second, func() bool { st = srv.Stats(); return cond(st) }) {
		t.Fatalf("waiting for %s: last stats %+v", what, st)
	}
	return st
}

// settled waits until every connection has finished, then checks that the
// counters add up: each admitted connection closed once, nothing still
// held, and every byte read either written back or counted undelivered.
func settled(t *testing.T, srv *Server) Stats {
	t.Helper()
	st := waitStats(t, srv, "every connection to finish", func(s Stats) bool { return s.Open == 0 })
	accounted(t, st)
	return st
}

// accounted checks that st, with no connection open, adds up: each
// admitted connection closed once, nothing still held, and every byte read
// either written back or counted undelivered. startServer checks it once
// more after every test's stop.
func accounted(t *testing.T, st Stats) {
	t.Helper()
	var closed uint64
	for _, n := range st.Closed {
		closed += n
	}
	if closed != st.Accepted {
		t.Errorf("%d connections closed, %d accepted: %+v", closed, st.Accepted, st)
	}
	if st.Buffered != 0 {
		t.Errorf("Buffered = %d with no connection open", st.Buffered)
	}
	if st.Memory != 0 {
		t.Errorf("Memory = %d with no connection open", st.Memory)
	}
	if st.BytesIn != st.BytesOut+st.Undelivered {
		t.Errorf("BytesIn %d != BytesOut %d + Undelivered %d", st.BytesIn, st.BytesOut, st.Undelivered)
	}
}
