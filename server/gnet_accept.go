package server

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
)

// enroller hands the connections the server accepts itself to gnet's loops:
// gnet's own accept ends the engine on EMFILE (docs/design.md, "Never dies of EMFILE").
type enroller struct {
	sh       *gshared
	eng      gnet.Engine // set in OnBoot, before the first enroll
	refusals refusalLog
	warns    everySecond

	inflight atomic.Int64 // handed to gnet, not opened yet
	freed    chan struct{}
	pending  chan pendingEnroll // gnet's answers, for collect
	collects sync.WaitGroup
}

// Enrollment states: whichever of OnOpen and an abandoning enroll comes
// first owns the connection's accounting.
const (
	enrollPending int32 = iota
	enrollOpened
	enrollAbandoned
)

// enrollment is the context OnOpen finds on a connection enrolled.
type enrollment struct {
	state atomic.Int32
	slot  bool // it holds a slot, which its owner gives back
}

// Up to maxEnrolling in flight, each holding a descriptor, within what
// MaxConns leaves (enrollFloor always): a burst opens in a pass of each loop.
const (
	maxEnrolling = 128
	enrollFloor  = 16
)

func newEnroller(sh *gshared) *enroller {
	return &enroller{sh: sh, freed: make(chan struct{}, 1), pending: make(chan pendingEnroll, pendingMax)}
}

// slot waits for a slot in flight; false means gnet has stopped.
func (en *enroller) slot() bool {
	for {
		n := en.inflight.Load()
		spare := int64(en.sh.cfg.MaxConns) - en.sh.st.open.Load()
		if n < maxEnrolling && n < max(enrollFloor, spare) {
			en.inflight.Add(1)
			return true
		}
		select {
		case <-en.freed:
		case <-en.sh.ran:
			return false
		}
	}
}

func (en *enroller) free() {
	en.inflight.Add(-1)
	select {
	case en.freed <- struct{}{}:
	default:
	}
}

// enroll admits c and hands it to gnet, or refuses it past MaxConns; collect
// reads gnet's answer. Only the accept goroutine uses gnet's balancer.
func (en *enroller) enroll(c net.Conn) {
	cfg := en.sh.cfg
	if !en.sh.st.admit(cfg.MaxConns) {
		c.Close()
		en.refusals.refused(en.sh.log, c.RemoteAddr(), cfg.MaxConns)
		return
	}
	remote := c.RemoteAddr()
	tok := new(enrollment)
	if remote == nil {
		c.Close() // gnet's enroll would panic on it, in a goroutine of its own
		en.notEnrolled(tok, remote, errNoPeer)
		return
	}
	if !en.slot() {
		c.Close()
		en.notEnrolled(tok, remote, errGnetStopped)
		return
	}
	tok.slot = true
	res, err := en.eng.Register(gnet.NewNetConnContext(gnet.NewContext(context.Background(), tok), c))
	if err != nil {
		c.Close()
		en.notEnrolled(tok, remote, err)
		return
	}
	en.pending <- pendingEnroll{tok, remote, res} // gnet closes c from here on
}

// pendingEnroll is a connection handed to gnet, its answer not read yet.
type pendingEnroll struct {
	tok    *enrollment
	remote net.Addr
	res    <-chan gnet.RegisteredResult
}

// pendingMax bounds the answers waiting: a full queue holds up accepting.
const pendingMax = 4096

// collect reads gnet's answers, which come after OnOpen
// (TestGnetAssumesEnrollAnswersAfterOpen): one goroutine for all.
func (en *enroller) collect() {
	for p := range en.pending {
		select {
		case r := <-p.res:
			// No error can still mean gnet could not poll it: OnOpen says.
			en.notEnrolled(p.tok, p.remote, r.Err)
		case <-en.sh.ran:
			en.notEnrolled(p.tok, p.remote, errGnetStopped)
		}
	}
}

// Why gnet did not open a connection handed to it.
var (
	errGnetStopped = errors.New("the gnet engine stopped")
	errNotPolled   = errors.New("gnet could not add it to its poller")
	errNoPeer      = errors.New("the connection has no peer address")
)

// notEnrolled accounts for an admitted connection gnet did not open.
func (en *enroller) notEnrolled(tok *enrollment, remote net.Addr, err error) {
	if !tok.state.CompareAndSwap(enrollPending, enrollAbandoned) {
		return // opened: its OnClose accounts for it
	}
	if tok.slot {
		en.free()
	}
	en.sh.st.acceptErrs.Add(1)
	en.sh.st.finish(ClosedError)
	if err == nil {
		err = errNotPolled
	}
	if en.warns.allow() {
		en.sh.log.Warn("closing connection: gnet could not take it", "remote", addrString(remote), "err", err.Error())
	}
}

// opened claims an enrolled connection for OnOpen; false: enroll abandoned it.
func (en *enroller) opened(c gnet.Conn) bool {
	tok, _ := c.Context().(*enrollment)
	if tok == nil || !tok.state.CompareAndSwap(enrollPending, enrollOpened) {
		return false
	}
	en.free()
	return true
}
