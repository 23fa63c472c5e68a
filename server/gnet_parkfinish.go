package server

import (
	"fmt"
	"os"
	"time"
)

// A parked connection is not read, so its client's half-close, behind the
// input parking left unread, never reaches the finisher that bounds the
// rest of the echo by Config.FinishTimeout. The sweeper looks instead: once
// the client has shut down its side (peerShutWrite) and taken none of its
// replies for the finish timeout, the connection is cut as a finisher cuts
// one, and its unread input is counted with it.

// finishCheckEvery is how often the sweeper looks at parked connections for
// the finish timeout: a quarter of it, between 10 ms and a second.
func finishCheckEvery(patience time.Duration) time.Duration {
	return min(max(patience/4, 10*time.Millisecond), time.Second)
}

// finishPatience is how long a client that shut down its side may take none
// of its replies: the finish timeout, or the idle timeout when shorter.
func (e *gnetEngine) finishPatience() time.Duration {
	p := e.cfg.FinishTimeout
	if e.cfg.IdleTimeout > 0 {
		p = min(p, e.cfg.IdleTimeout)
	}
	return p
}

// finishParkedSweep, on the loop, cuts the parked connections whose clients
// shut down their side and took none of their replies for the patience.
func (l *loop) finishParkedSweep() {
	patience := l.e.finishPatience()
	now := time.Now().UnixNano()
	for gc := range l.parked {
		if gc.turn || l.e.stopping.Load() {
			continue
		}
		if !peerShutWrite(gc.fd) {
			gc.shutSince = 0
			continue
		}
		if gc.shutSince == 0 || gc.out.n < gc.shutOut {
			gc.shutSince, gc.shutOut = now, gc.out.n
			continue
		}
		if time.Duration(now-gc.shutSince) >= patience {
			l.cutParked(gc, patience)
		}
	}
}

// cutParked ends a parked connection whose client took none of its replies
// for patience after shutting down its side: a reset, so that the client
// cannot take the echo it has for whole, and both what it was not sent and
// what it sent unread are counted and logged.
func (l *loop) cutParked(gc *gconn, patience time.Duration) {
	unread := 0
	if n, err := unreadBytes(gc.fd); err == nil && n > l.e.oobSlack {
		unread = n
	}
	if rc, err := gc.parkFile.SyscallConn(); err == nil {
		resetOnClose(rc)
	}
	l.e.st.unread.Add(uint64(unread))
	err := fmt.Errorf("the client shut down its side and read none of its replies for %v: %w", patience, os.ErrDeadlineExceeded)
	l.closeParked(gc, ClosedError, err, "could not finish the echo", "unread_bytes", unread)
}
