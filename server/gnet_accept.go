package server

import (
	"context"
	"errors"
	"net"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
)

// The gnet engine accepts its connections itself, from a Go listener, and
// hands each admitted one to an event loop (Engine.Register, which enrolls
// a duplicate of the socket and closes ours). gnet is given no listener at
// all, because gnet v2.9.7 shuts its whole engine down when its own accept
// fails (acceptor_unix.go returns ErrAcceptSocket on EMFILE), and where it
// runs without SO_REUSEPORT (unix sockets, macOS, FreeBSD) it accepts until
// EAGAIN before any OnOpen could refuse a connection: no admission limit
// could keep it below the open-file limit. The accept loop shared with the
// goroutine engine backs off on EMFILE and serves on, and refuses a
// connection past Config.MaxConns before gnet ever sees it.

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
	// slot: it holds a slot of enrollSlot, which whichever of OnOpen and
	// notEnrolled owns the connection gives back.
	slot bool
}

// Connections handed to gnet and not yet opened each hold a duplicate
// descriptor and one of gnet's pool goroutines until their loop runs the
// registration. The accept goroutine does not wait for that while fewer
// than maxEnrolling are in flight and the descriptors that Config.MaxConns
// leaves cover one more duplicate (enrollFloor always may, within
// fdReserve): a burst of new connections is opened within a pass of each
// loop, not one connection a pass. Each slot costs a pool goroutine's
// stack, which gnet keeps for 10 s after the burst: maxEnrolling trades
// that memory against how fast a burst is taken in.
const (
	maxEnrolling = 128
	enrollFloor  = 16
)

// enrollSlot waits until one more connection may be in flight to gnet and
// takes its slot; false means gnet has stopped.
func (e *gnetEngine) enrollSlot() bool {
	for {
		n := e.inflight.Load()
		spare := int64(e.cfg.MaxConns) - e.st.open.Load()
		if n < maxEnrolling && n < max(enrollFloor, spare) {
			e.inflight.Add(1)
			return true
		}
		select {
		case <-e.enrollFreed:
		case <-e.ran:
			return false
		}
	}
}

// enrollDone gives back a slot taken by enrollSlot.
func (e *gnetEngine) enrollDone() {
	e.inflight.Add(-1)
	select {
	case e.enrollFreed <- struct{}{}:
	default:
	}
}

// enroll admits c and hands it to an event loop, or closes it at once when
// Config.MaxConns are open. It returns as soon as gnet has the connection;
// collectEnrolls reads gnet's answer and accounts for a connection gnet
// did not open. gnet's round-robin balancer is only ever used from the
// accept goroutine, which alone calls enroll.
func (e *gnetEngine) enroll(c net.Conn) {
	if !e.st.admit(e.cfg.MaxConns) {
		c.Close()
		e.refusals.refused(e.log, c.RemoteAddr(), e.cfg.MaxConns)
		return
	}
	remote := c.RemoteAddr()
	tok := new(enrollment)
	if remote == nil {
		// gnet's enroll would panic on it, in a goroutine of its own.
		c.Close()
		e.notEnrolled(tok, remote, errNoPeer)
		return
	}
	if !e.enrollSlot() {
		c.Close()
		e.notEnrolled(tok, remote, errGnetStopped)
		return
	}
	tok.slot = true
	res, err := e.eng.Register(gnet.NewNetConnContext(gnet.NewContext(context.Background(), tok), c))
	if err != nil {
		c.Close()
		e.notEnrolled(tok, remote, err)
		return
	}
	// gnet closes c itself from here on.
	e.pending <- pendingEnroll{tok, remote, res}
}

// pendingEnroll is a connection handed to gnet whose answer is not read
// yet.
type pendingEnroll struct {
	tok    *enrollment
	remote net.Addr
	res    <-chan gnet.RegisteredResult
}

// pendingMax bounds the answers waiting for collectEnrolls; a full queue
// holds up the accept goroutine until gnet has answered.
const pendingMax = 4096

// collectEnrolls reads gnet's answers, which come only once OnOpen has run
// (TestGnetAssumesEnrollAnswersAfterOpen), in the order the connections were
// handed over, one goroutine for all of them (a goroutine each would cost
// its stack and its descriptor for good), until enroll's queue is closed.
func (e *gnetEngine) collectEnrolls() {
	for p := range e.pending {
		select {
		case r := <-p.res:
			// A Conn without an error can still mean gnet could not poll
			// it (register0 closes it and reports nothing): OnOpen says.
			e.notEnrolled(p.tok, p.remote, r.Err)
		case <-e.ran:
			e.notEnrolled(p.tok, p.remote, errGnetStopped)
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
func (e *gnetEngine) notEnrolled(tok *enrollment, remote net.Addr, err error) {
	if !tok.state.CompareAndSwap(enrollPending, enrollAbandoned) {
		return // opened: its OnClose accounts for it
	}
	if tok.slot {
		e.enrollDone()
	}
	e.st.acceptErrs.Add(1)
	e.st.finish(ClosedError)
	if err == nil {
		err = errNotPolled
	}
	if e.enrollLog.allow() {
		e.log.Warn("closing connection: gnet could not take it", "remote", addrString(remote), "err", err.Error())
	}
}

// opened claims an enrolled connection for OnOpen and gives back its slot:
// a loop that has opened it needs nothing more from the accept goroutine.
// False means enroll abandoned it already.
func (e *gnetEngine) opened(c gnet.Conn) bool {
	tok, _ := c.Context().(*enrollment)
	if tok == nil || !tok.state.CompareAndSwap(enrollPending, enrollOpened) {
		return false
	}
	e.enrollDone()
	return true
}
