package server

import "github.com/panjf2000/gnet/v2"

// Backlogged connections take turns while others wait (README, "Backlogged
// clients take turns"): gnet reads every readable socket once a pass, so
// hundreds of clients that send without reading would make every pass long
// for a light client beside them. While another connection on the loop has
// traffic, a backlogged one leaves the loop after turnReads reads, parked
// (gnet_park.go) but not counted as parked, and the sweeper hands
// turnsPerCheck back every unparkCheck; with no other traffic for a check,
// all are read at gnet's pace. Read less often, never refused.
const (
	// backlogAt is what a connection whose socket takes no more must hold
	// to be backlogged.
	backlogAt = 256 << 10
	// turnReads is a backlogged connection's reads per turn.
	turnReads = 32
	// turnsPerCheck is how many waiting connections one check hands back
	// while the loop is contended.
	turnsPerCheck = 2
)

// backlogged reports whether gc's client sends without reading its
// replies: its socket takes no more and it holds backlogAt or more.
func backlogged(gc *gconn) bool {
	return gc.blocked && gc.out.n >= backlogAt
}

// light counts traffic of a connection that is not backlogged, in
// OnTraffic, before it is processed, and which connections had it.
func (l *loop) light(gc *gconn) {
	if !gc.blocked {
		l.lightReads++
		if l.lightConn != nil && l.lightConn != gc {
			l.lightMixed = true
		}
		l.lightConn = gc
	}
}

// contended reports whether a connection other than gc that is not
// backlogged has had traffic on the loop since the sweeper's last check
// (gc nil: any connection). A client that both sends and reads, alone on
// its loop, is backlogged and light by turns: it contends with nobody.
func (l *loop) contended(gc *gconn) bool {
	return l.lightReads != l.lightMark && (l.lightMixed || l.lightConn != gc)
}

// turnOver, in OnTraffic, counts a backlogged connection's read and
// reports whether it must now wait for its next turn.
func (l *loop) turnOver(gc *gconn) bool {
	if !backlogged(gc) {
		gc.turnReads = 0
		return false
	}
	gc.turnReads++
	return gc.turnReads >= turnReads && l.contended(gc) && !l.e.stopping.Load()
}

// waitTurn, in OnTraffic, takes a backlogged connection out of gnet's
// loop until the sweeper hands it back (unparkReady).
func (e *gnetEngine) waitTurn(gc *gconn) gnet.Action {
	if gc.leaveLoop() != nil {
		// Out of descriptors for a moment: it is read on at gnet's pace.
		return gnet.None
	}
	gc.turn = true
	e.turnWaits.Add(1)
	return gnet.Close
}

// markChecked, on the loop at each sweeper check, starts a new window for
// contended and reports whether the one that ended was.
func (l *loop) markChecked() bool {
	was := l.contended(nil)
	l.lightMark, l.lightConn, l.lightMixed = l.lightReads, nil, false
	return was
}
