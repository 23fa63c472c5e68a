// Package servertest starts a real upcase-gnet server for a test, as
// net/http/httptest starts an HTTP server: on a free loopback port, its log
// kept and shown should the test fail, stopped and waited for when the test
// ends.
package servertest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
	"github.com/upcase-gnet/upcase-gnet/server"
)

// Server is a server started for one test.
type Server struct {
	*server.Server
	// Log is what the server logged, unless the Config had a Logger.
	Log *testkit.Log
	// Stop cancels the server's context before the test ends, for tests of
	// the stop itself.
	Stop context.CancelFunc
}

// Start starts cfg on 127.0.0.1:0 unless cfg names an address, logging at
// Info into Server.Log unless cfg has a Logger. When the test ends the
// server is stopped, and the test fails unless it stops within its drain
// timeout and 5s more without an error.
func Start(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	s := &Server{}
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger, s.Log = testkit.NewLogger(t)
	}
	s.Server, s.Stop = testkit.Start(t, stopBound(cfg), func(ctx context.Context) (*server.Server, error) {
		return server.Start(ctx, cfg)
	})
	return s
}

// stopBound is how long a server of cfg may take to stop: its drain
// timeout and 5s more.
func stopBound(cfg server.Config) time.Duration {
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = server.DefaultDrainTimeout
	}
	return cfg.DrainTimeout + 5*time.Second
}

// Dial connects to the server and closes the connection when the test
// ends, before the server stops.
func (s *Server) Dial(t testing.TB) net.Conn {
	t.Helper()
	return testkit.Dial(t, s.Addr())
}

// WaitStats polls the server's Stats until cond holds, for at most bound,
// and fails the test with what it last saw: counters move on the server's
// goroutines after the client has seen the effect.
func (s *Server) WaitStats(t testing.TB, bound time.Duration, what string, cond func(server.Stats) bool) server.Stats {
	t.Helper()
	var st server.Stats
	if !testkit.Poll(bound, func() bool { st = s.Stats(); return cond(st) }) {
		t.Fatalf("waiting %v for %s: last stats %+v", bound, what, st)
	}
	return st
}
