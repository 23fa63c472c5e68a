package server

// Backlogged connections take turns (docs/design.md, "Backlogged clients take turns").
const (
	backlogAt     = 256 << 10 // held by a blocked connection to be backlogged
	readsPerTurn  = 32
	turnsPerCheck = 2 // turns one sweeper check hands back while the loop is contended
)

func backlogged(gc *gconn) bool {
	return gc.blocked && gc.out.n >= backlogAt
}

// turns is one loop's light traffic (not backlogged) since its sweeper's last check.
type turns struct {
	reads, mark uint64 // reads of light connections; reads at the last check
	last        *gconn // had the last such read
	mixed       bool   // another had one since
}

func (t *turns) light(gc *gconn) {
	if !gc.blocked {
		t.reads++
		if t.last != nil && t.last != gc {
			t.mixed = true
		}
		t.last = gc
	}
}

// contended reports whether a connection other than gc (nil: any) had light traffic: a
// client alone on its loop, backlogged and light by turns, contends with nobody.
func (t *turns) contended(gc *gconn) bool {
	return t.reads != t.mark && (t.mixed || t.last != gc)
}

// over, in OnTraffic, counts a backlogged read and reports whether the turn is over.
func (t *turns) over(gc *gconn) bool {
	if !backlogged(gc) {
		gc.turnReads = 0
		return false
	}
	gc.turnReads++
	return gc.turnReads >= readsPerTurn && t.contended(gc) && !gc.sh.stopping.Load()
}

// check starts a new window and reports whether the last one was contended.
func (t *turns) check() bool {
	was := t.contended(nil)
	t.mark, t.last, t.mixed = t.reads, nil, false
	return was
}
