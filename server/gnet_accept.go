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
type enrollment struct{ state atomic.Int32 }

// enroll admits c and hands it to an event loop, or closes it at once when
// Config.MaxConns are open. It waits until the loop has opened it, so at
// most one duplicate descriptor is in flight, and gnet's round-robin
// balancer is only ever used from this one goroutine.
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
	res, err := e.eng.Register(gnet.NewNetConnContext(gnet.NewContext(context.Background(), tok), c))
	if err != nil {
		c.Close()
		e.notEnrolled(tok, remote, err)
		return
	}
	// gnet closes c itself from here on.
	select {
	case r := <-res:
		// A Conn without an error can still mean gnet could not poll it
		// (register0 closes it and reports nothing): OnOpen says.
		e.notEnrolled(tok, remote, r.Err)
	case <-e.ran:
		e.notEnrolled(tok, remote, errGnetStopped)
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
	e.st.acceptErrs.Add(1)
	e.st.finish(ClosedError)
	if err == nil {
		err = errNotPolled
	}
	if e.enrollLog.allow() {
		e.log.Warn("closing connection: gnet could not take it", "remote", addrString(remote), "err", err.Error())
	}
}

// opened claims an enrolled connection for OnOpen; false means enroll
// abandoned it already.
func opened(c gnet.Conn) bool {
	tok, _ := c.Context().(*enrollment)
	return tok != nil && tok.state.CompareAndSwap(enrollPending, enrollOpened)
}
