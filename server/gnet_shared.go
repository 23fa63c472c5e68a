package server

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// gshared is what the gnet engine's parts share: each connection carries it,
// as net/http's conn carries its *Server.
type gshared struct {
	cfg      *Config
	st       *counters
	log      *slog.Logger
	readCap  int // gnet's read buffer, and the most one OnTraffic gets
	oobSlack int // what FIONREAD may count that no read returns

	stopping atomic.Bool   // a graceful stop has begun
	ran      chan struct{} // closed when gnet.Run has returned

	fin      finishers
	awaiting sync.WaitGroup // readmits waiting for gnet's answer (parking.await)
	// unanswered: readmits gnet has not answered; a stop waits for them, as
	// gnet drops the enrolls behind its shutdown and their sockets stay open.
	unanswered sync.WaitGroup
	parkLog    parkLog
	turnWaits  atomic.Int64 // backlogged connections sent to wait their turn
}

func newShared(cfg *Config, st *counters) *gshared {
	return &gshared{
		cfg:      cfg,
		st:       st,
		log:      cfg.Logger.With("engine", string(engine.Gnet)),
		readCap:  gnetReadCap(cfg.ReadSize),
		oobSlack: oobSlack(cfg.Network),
		ran:      make(chan struct{}),
	}
}

// gnetReadCap is gnet's read buffer for a read size, rounded up as gnet does
// (TestGnetAssumesReadCap): small, so that streams cannot starve a light client.
func gnetReadCap(readSize int) int {
	c := 1024
	for c < readSize {
		c <<= 1
	}
	return c
}

// finishPatience is how long a client that shut down its side may read nothing.
func (sh *gshared) finishPatience() time.Duration {
	p := sh.cfg.FinishTimeout
	if sh.cfg.IdleTimeout > 0 {
		p = min(p, sh.cfg.IdleTimeout)
	}
	return p
}

func (sh *gshared) memoryOver() bool {
	return sh.cfg.MaxMemory != NoLimit && sh.st.memory.Load() > sh.cfg.MaxMemory
}

// memoryLow is an eighth below the bound, so that parked connections do not flap.
func (sh *gshared) memoryLow() bool {
	return sh.cfg.MaxMemory == NoLimit || sh.st.memory.Load() <= sh.cfg.MaxMemory/8*7
}
