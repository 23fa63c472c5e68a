package server

// Backlogged connections take turns while others wait (docs/design.md,
// "Backlogged clients take turns"): gnet reads every readable socket once
// a pass, so clients that send without reading would make each pass long
// for a light client beside them.
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

// turns is one event loop's traffic of connections that are not
// backlogged, between two checks of its sweeper.
type turns struct {
	reads, mark uint64 // reads of light connections; reads at the last check
	last        *gconn // had the last such read
	mixed       bool   // another had one since
}

// light counts gc's read, in OnTraffic, if it is not backlogged.
func (t *turns) light(gc *gconn) {
	if !gc.blocked {
		t.reads++
		if t.last != nil && t.last != gc {
			t.mixed = true
		}
		t.last = gc
	}
}

// contended reports whether a connection other than gc (nil: any) that is
// not backlogged has had traffic since the last check. A client that both
// sends and reads, alone on its loop, contends with nobody.
func (t *turns) contended(gc *gconn) bool {
	return t.reads != t.mark && (t.mixed || t.last != gc)
}

// over, in OnTraffic, counts a backlogged connection's read and reports
// whether it must now wait for its next turn.
func (t *turns) over(gc *gconn) bool {
	if !backlogged(gc) {
		gc.turnReads = 0
		return false
	}
	gc.turnReads++
	return gc.turnReads >= turnReads && t.contended(gc) && !gc.sh.stopping.Load()
}

// check, at each sweeper check, starts a new window and reports whether
// the one that ended was contended.
func (t *turns) check() bool {
	was := t.contended(nil)
	t.mark, t.last, t.mixed = t.reads, nil, false
	return was
}
