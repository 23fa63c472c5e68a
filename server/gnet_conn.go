package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// gconn is the gnet engine's state of one connection. Every field is owned
// by the connection's event loop.
type gconn struct {
	c      gnet.Conn
	fd     int
	remote net.Addr
	loop   *loop

	out     outChain // processed bytes the socket has not taken yet
	blocked bool     // the socket took less than offered: the watcher resumes it
	watched bool     // fd is registered with the loop's writability watcher
	// inq is how many bytes are known to wait unread in the socket (the
	// last FIONREAD less what was read since): while it is above zero the
	// next read is certain, and output can wait for it without asking.
	inq int

	// Parked (gnet_park.go): out of gnet's loop, on a duplicate of the
	// socket, not read until memory frees.
	parked   bool
	resuming bool     // being enrolled back into gnet's loop
	enrolls  uint64   // enrolls begun: a result acts only on the latest
	parkFile *os.File // the duplicate, from park until adopt
	parkRaw  int      // its descriptor
	// turn: parked to wait its turn as a backlogged connection
	// (gnet_turns.go), not for memory; turnReads counts its reads
	// this turn.
	turn      bool
	turnReads int
	// shutSince: when a parked connection's client was first seen to have
	// shut down its side, or last took replies since; shutOut is what it
	// held then (gnet_parkfinish.go).
	shutSince int64
	shutOut   int

	processed int64
	heldNow   int64 // what Stats.Buffered counts for this connection
	last      int64 // unix nanoseconds of the last traffic either way

	closed bool
	reason CloseReason // set when the server decides to close
	err    error

	prev, next *gconn // the loop's list of open connections
}

// ownAddr returns a that the engine may keep past OnClose: gnet v2.9.7
// hands the bytes of a TCP address's zone (an IPv6 link-local peer's
// interface) to a pool of its own when it releases the connection
// (conn.release), so a zone is copied. An address without one is kept as
// it is, at no cost.
func ownAddr(a net.Addr) net.Addr {
	if t, ok := a.(*net.TCPAddr); ok && t.Zone != "" {
		return &net.TCPAddr{IP: slices.Clone(t.IP), Port: t.Port, Zone: strings.Clone(t.Zone)}
	}
	return a
}

// sendMode says when output goes to the socket.
type sendMode int

const (
	sendNow   sendMode = iota // write at once
	sendLater                 // hold, to send the output of several reads in one write
)

// process uppercases p in place, in Config.ReadSize steps as the original
// processes its reads, counting each step.
func (e *gnetEngine) process(gc *gconn, p []byte) {
	for len(p) > 0 {
		step := p[:min(len(p), e.cfg.ReadSize)]
		codec.Upper(step)
		p = p[len(step):]
		gc.processed += int64(len(step))
		e.st.events.Add(1)
		if h := e.cfg.Hooks.Progress; h != nil {
			h(gc.remote, gc.processed)
		}
	}
}

// send hands processed bytes to the socket as mode says, keeping in gc.out
// what it does not take (p is gnet's read buffer: it is copied, never
// kept). Only a fatal write error is returned.
func (e *gnetEngine) send(gc *gconn, p []byte, mode sendMode) error {
	switch {
	case gc.blocked:
		// The watcher resumes the connection once the socket drains.
		return e.hold(gc, p)
	case mode == sendLater && gc.out.n+len(p) <= batchMax && e.moreWaits(gc):
		// The next read is certain, and its OnTraffic sends.
		return e.hold(gc, p)
	case gc.out.n > 0:
		if err := e.hold(gc, p); err != nil {
			return err
		}
		return e.flush(gc)
	}
	n, err := e.write(gc, p)
	if err != nil {
		// Held, so that the failure counts it as undelivered.
		_ = e.hold(gc, p[n:])
		return err
	}
	if n == len(p) {
		return nil
	}
	if err := e.hold(gc, p[n:]); err != nil {
		return err
	}
	return e.flush(gc) // returns at once when blocked
}

// moreWaits reports whether more input is known to wait in gc's socket:
// gc.inq, the last FIONREAD less what was read since, or a FIONREAD now
// when that is spent. A busy stream asks once per that many bytes read, not
// once a read (a FIONREAD a read was 8% of the engine's CPU). On a Unix
// socket FIONREAD also counts an out-of-band byte, which no read returns:
// there one byte more than was read is no promise of a read.
func (e *gnetEngine) moreWaits(gc *gconn) bool {
	if gc.inq == 0 {
		if n, err := unreadBytes(gc.fd); err == nil && n > 0 {
			gc.inq = n
		}
	}
	return gc.inq > e.oobSlack
}

// oobSlack is how many bytes of a FIONREAD on a socket of network may be
// an out-of-band byte that no read returns: one on a Unix socket (Linux
// 5.15 and later queue MSG_OOB there), none on TCP, which reads urgent
// data inline or not at all.
func oobSlack(network string) int {
	if network == "unix" {
		return 1
	}
	return 0
}

// hold keeps p in gc.out.
func (e *gnetEngine) hold(gc *gconn, p []byte) error {
	unheld, err := gc.out.add(p, &e.st.memory)
	if err != nil {
		// What is held goes out or is counted with the connection; the
		// rest is lost here.
		e.lost(gc, int64(unheld), "cannot hold output", err)
		return fmt.Errorf("hold output: %w", err)
	}
	return nil
}

// flush writes held output until it is gone or the socket is full.
func (e *gnetEngine) flush(gc *gconn) error {
	for gc.out.n > 0 && !gc.blocked {
		n, offered, err := gc.out.writeTo(gc.fd, gc.loop.iov[:], &e.st.memory)
		if err := e.wrote(gc, n, offered, err); err != nil {
			return err
		}
	}
	return nil
}

// write is one non-blocking write of p to the socket.
func (e *gnetEngine) write(gc *gconn, p []byte) (int, error) {
	for {
		n, err := unix.Write(gc.fd, p)
		if n < 0 {
			n = 0
		}
		if errors.Is(err, unix.EINTR) && n == 0 {
			continue
		}
		return n, e.wrote(gc, n, len(p), err)
	}
}

// wrote accounts for a write of n of want bytes. A full socket buffer is
// not an error: the connection is blocked until the loop's watcher sees
// the socket writable again. Only a fatal error is returned.
func (e *gnetEngine) wrote(gc *gconn, n, want int, err error) error {
	if n > 0 {
		e.st.bytesOut.Add(uint64(n))
		e.touch(gc)
	}
	switch {
	case err == nil && n == want, errors.Is(err, unix.EINTR):
		return nil
	case err == nil, errors.Is(err, unix.EAGAIN):
		gc.blocked = true
		e.st.writeBlocks.Add(1)
		return gc.loop.watchWritable(gc)
	default:
		return fmt.Errorf("write: %w", err)
	}
}

// overBudget closes a connection that holds more than Config.MaxBuffer
// although its socket takes no more, logging the reason and the size. Output
// held back only to batch writes does not count: it is flushed first. It
// reports whether it closed the connection.
func (e *gnetEngine) overBudget(gc *gconn) bool {
	if e.cfg.MaxBuffer == NoLimit || int64(gc.out.n) <= e.cfg.MaxBuffer {
		return false
	}
	if !gc.blocked {
		if err := e.flush(gc); err != nil {
			e.fail(gc, err)
			return true
		}
		if int64(gc.out.n) <= e.cfg.MaxBuffer {
			return false
		}
	}
	gc.reason = ClosedBudget
	e.lost(gc, int64(gc.out.n), "over the memory budget: the client does not read its replies as fast as it sends", nil,
		"max_buffer", e.cfg.MaxBuffer)
	return true
}

// fail closes a connection whose write failed (a reset, a broken pipe).
func (e *gnetEngine) fail(gc *gconn, err error) gnet.Action {
	gc.reason, gc.err = ClosedError, err
	if held := int64(gc.out.n); held > 0 {
		e.lost(gc, held, "write failed", err)
	}
	return gnet.Close
}

// held updates Stats.Buffered with what gc holds now.
func (e *gnetEngine) held(gc *gconn) {
	now := int64(gc.out.n)
	if d := now - gc.heldNow; d != 0 {
		e.st.buffered.Add(d)
		gc.heldNow = now
	}
}

// lost counts and logs bytes read from a client that will never go back.
func (e *gnetEngine) lost(gc *gconn, n int64, why string, err error, attrs ...any) {
	e.st.undelivered.Add(uint64(n))
	attrs = append(attrs, "remote", addrString(gc.remote), "undelivered_bytes", n)
	if err != nil {
		attrs = append(attrs, "err", err.Error())
	}
	e.log.Warn("closing connection: "+why, attrs...)
}

// done finishes a connection's accounting.
func (e *gnetEngine) done(gc *gconn, r CloseReason, err error) {
	e.st.buffered.Add(-gc.heldNow)
	gc.heldNow = 0
	gc.out.release(&e.st.memory)
	e.st.finish(r)
	if h := e.cfg.Hooks.Close; h != nil {
		h(gc.remote, gc.processed, r, err)
	}
}
