package server

import (
	"context"
	"net"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// Server is a running server. Start makes one.
type Server struct {
	cfg   Config
	addr  net.Addr
	stats *counters
	eng   waiter // for tests that stop an engine from inside
	done  chan struct{}
	err   error
}

// waiter is what each engine's start function hands back: it serves until
// ctx is cancelled, then drains for at most cfg.DrainTimeout.
type waiter interface {
	// wait blocks until the engine has stopped and drained.
	wait() error
}

// Start binds cfg's address and serves it in the background until ctx is
// cancelled, then stops gracefully: it stops accepting, lets data already
// read go back out for at most cfg.DrainTimeout, and closes everything. It
// returns once the address accepts connections, or a *config.Error for a
// value of cfg that cannot work, or the bind error.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, stats: newCounters(cfg.Engine), done: make(chan struct{})}
	var eng waiter
	switch cfg.Engine {
	case engine.Gnet:
		eng, s.addr, err = startGnet(ctx, &s.cfg, s.stats)
	case engine.Goroutine:
		eng, s.addr, err = startGoroutine(ctx, &s.cfg, s.stats)
	}
	if err != nil {
		return nil, err
	}
	s.eng = eng
	go func() {
		s.err = eng.wait()
		close(s.done)
	}()
	return s, nil
}

// Addr is the address the server is bound to, with the real port when the
// configured port was 0.
func (s *Server) Addr() net.Addr { return s.addr }

// Config is the configuration in force, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Done is closed once the server has stopped and drained.
func (s *Server) Done() <-chan struct{} { return s.done }

// Wait blocks until the server has stopped and drained, and returns the
// error that stopped it, if it was not the cancelled context.
func (s *Server) Wait() error {
	<-s.done
	return s.err
}
