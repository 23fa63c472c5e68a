package server

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
)

// enroller hands the connections the server accepts itself to gnet's event
// loops (Engine.Register): gnet gets no listener, since its own accept
// ends the whole engine on EMFILE (docs/design.md, "Never dies of EMFILE").
type enroller struct {
	sh       *gshared
	eng      gnet.Engine // set in OnBoot, before the first enroll
	refusals refusalLog
	warns    everySecond

	// Connections handed to gnet and not yet opened.
	inflight atomic.Int64
	freed    chan struct{}
	pending  chan pendingEnroll // gnet's answers, for collect
	collects sync.WaitGroup
}

// Enrollment states: a connection handed to gnet is opened by OnOpen, or
// abandoned by enroll when gnet will not open it; whichever comes first
// owns its accounting.
const (
	enrollPending int32 = iota
	enrollOpened
	enrollAbandoned
)

// enrollment travels with a connection into gnet, as the context OnOpen
// finds on it.
type enrollment struct {
	state atomic.Int32
	slot  bool // it holds a slot, which its owner gives back
}

// A connection in flight to gnet holds a duplicate descriptor and one of
// gnet's pool goroutines until its loop registers it: up to maxEnrolling
// may, within what Config.MaxConns leaves of the descriptors (enrollFloor
// always may), so that a burst is opened within a pass of each loop.
const (
	maxEnrolling = 128
	enrollFloor  = 16
)

func newEnroller(sh *gshared) *enroller {
	return &enroller{sh: sh, freed: make(chan struct{}, 1), pending: make(chan pendingEnroll, pendingMax)}
}

// slot waits until one more connection may be in flight to gnet and takes
// its slot; false means gnet has stopped.
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

// free gives back a slot taken by slot.
func (en *enroller) free() {
	en.inflight.Add(-1)
	select {
	case en.freed <- struct{}{}:
	default:
	}
}

// enroll admits c and hands it to an event loop, or closes it at once when
// Config.MaxConns are open. It returns as soon as gnet has the connection:
// collect reads gnet's answer. Only the accept goroutine calls it, as
// gnet's round-robin balancer wants.
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
		// gnet's enroll would panic on it, in a goroutine of its own.
		c.Close()
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

// pendingEnroll is a connection handed to gnet whose answer is not read
// yet.
type pendingEnroll struct {
	tok    *enrollment
	remote net.Addr
	res    <-chan gnet.RegisteredResult
}

// pendingMax bounds the answers waiting for collect; a full queue holds up
// the accept goroutine until gnet has answered.
const pendingMax = 4096

// collect reads gnet's answers, which come only once OnOpen has run
// (TestGnetAssumesEnrollAnswersAfterOpen), in order: one goroutine for all,
// until enroll's queue is closed.
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

// notEnrolled accounts for a connection admitted that gnet did not open,
// unless OnOpen did open it.
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

// opened claims an enrolled connection for OnOpen and gives back its slot.
// False means enroll abandoned it already.
func (en *enroller) opened(c gnet.Conn) bool {
	tok, _ := c.Context().(*enrollment)
	if tok == nil || !tok.state.CompareAndSwap(enrollPending, enrollOpened) {
		return false
	}
	en.free()
	return true
}
