package server

import (
	"fmt"
	"os"
	"time"
)

// finishCheckEvery is how often the sweeper looks for parked connections
// past the finish patience: a quarter of it, within bounds.
func finishCheckEvery(patience time.Duration) time.Duration {
	return min(max(patience/4, 10*time.Millisecond), time.Second)
}

// sweepShut cuts parked connections whose clients shut down their side and
// read nothing for the finish patience: no finisher sees a half-close unread.
func (p *parking) sweepShut() {
	patience := p.sh.finishPatience()
	now := time.Now().UnixNano()
	for gc := range p.set {
		if gc.park.turn || p.sh.stopping.Load() {
			continue
		}
		if !peerShutWrite(gc.fd) {
			gc.park.shutSince = 0
			continue
		}
		if gc.park.shutSince == 0 || gc.out.n < gc.park.shutOut {
			gc.park.shutSince, gc.park.shutOut = now, gc.out.n
			continue
		}
		if time.Duration(now-gc.park.shutSince) >= patience {
			p.cut(gc, patience)
		}
	}
}

// cut resets gc, as a finisher does, so that its client cannot take the
// echo for whole, counting what it was not sent and what it sent unread.
func (p *parking) cut(gc *gconn, patience time.Duration) {
	unread := 0
	if n, err := unreadBytes(gc.fd); err == nil && n > p.sh.oobSlack {
		unread = n
	}
	if rc, err := gc.park.file.SyscallConn(); err == nil {
		resetOnClose(rc)
	}
	p.sh.st.unread.Add(uint64(unread))
	err := fmt.Errorf("the client shut down its side and read none of its replies for %v: %w", patience, os.ErrDeadlineExceeded)
	p.closeConn(gc, ClosedError, err, "could not finish the echo", "unread_bytes", unread)
}
