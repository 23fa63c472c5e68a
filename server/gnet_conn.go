package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// gconn is one connection's state, owned by its event loop.
type gconn struct {
	sh     *gshared
	c      gnet.Conn
	fd     int
	remote net.Addr
	waits  *writeWaits[*gconn] // the loop's sockets waiting to drain
	iov    *[maxIov][]byte     // the loop's writev scratch

	out     outChain // processed bytes the socket has not taken yet
	blocked bool     // the socket took less than offered: the watcher resumes it
	watched bool     // fd is armed on the loop's watcher
	// inq is the last FIONREAD less what was read since: while above zero
	// the next read is certain, and output can wait for it.
	inq int

	// park is the parking set's (gnet_park.go): out of gnet's loop, on a
	// duplicate of the socket.
	park struct {
		parked    bool     // in the loop's parked set
		readmits  uint64   // enrolls begun: an answer acts only on the latest
		enrolling bool     // being enrolled back into gnet's loop
		file      *os.File // the duplicate, until adopted back
		fd        int      // its descriptor
		turn      bool     // waiting its turn (gnet_turns.go), not for memory
		shutSince int64    // when its client was seen shut (sweepShut)
		shutOut   int      // what it held then
	}
	turnReads int // reads this turn while backlogged (gnet_turns.go)

	processed int64
	heldNow   int64 // what Stats.Buffered counts for this connection
	last      int64 // unix nanoseconds of the last traffic either way

	closed bool
	reason CloseReason // set when the server decides to close
	err    error

	prev, next *gconn // the loop's list of open connections
}

// ownAddr returns a that the engine may keep past OnClose: gnet pools the
// bytes of a TCP address's zone when it releases the connection.
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

// batchMax is the most output a connection holds back to batch its writes.
const batchMax = 32 << 10

// read processes buf and sends it back. A full read may have left more in
// the socket: its output then waits for the next read, to go in one write.
func (gc *gconn) read(buf []byte) error {
	gc.sh.st.bytesIn.Add(uint64(len(buf)))
	gc.touch()
	gc.process(buf)
	gc.inq = max(gc.inq-len(buf), 0)
	mode := sendNow
	if len(buf) >= gc.sh.readCap {
		mode = sendLater
	}
	return gc.send(buf, mode)
}

// process uppercases p in place, in ReadSize steps as the original, counting each.
func (gc *gconn) process(p []byte) {
	cfg := gc.sh.cfg
	for len(p) > 0 {
		step := p[:min(len(p), cfg.ReadSize)]
		codec.Upper(step)
		p = p[len(step):]
		gc.processed += int64(len(step))
		gc.sh.st.events.Add(1)
		if h := cfg.Hooks.Progress; h != nil {
			h(gc.remote, gc.processed)
		}
	}
}

// send writes p as mode says, holding what the socket does not take (p is
// gnet's buffer: copied, never kept). Only a fatal write error is returned.
func (gc *gconn) send(p []byte, mode sendMode) error {
	switch {
	case gc.blocked:
		return gc.hold(p)
	case mode == sendLater && gc.out.n+len(p) <= batchMax && gc.moreWaits():
		return gc.hold(p) // the next read is certain, and sends
	case gc.out.n > 0:
		if err := gc.hold(p); err != nil {
			return err
		}
		return gc.flush()
	}
	n, err := gc.write(p)
	if err != nil {
		_ = gc.hold(p[n:]) // so that the failure counts it undelivered
		return err
	}
	if n == len(p) {
		return nil
	}
	if err := gc.hold(p[n:]); err != nil {
		return err
	}
	return gc.flush()
}

// moreWaits reports whether more input is known to wait in the socket,
// asking FIONREAD only once gc.inq is spent: a FIONREAD a read is costly.
func (gc *gconn) moreWaits() bool {
	if gc.inq == 0 {
		if n, err := unreadBytes(gc.fd); err == nil && n > 0 {
			gc.inq = n
		}
	}
	return gc.inq > gc.sh.oobSlack
}

// hold keeps p in gc.out; what it cannot hold is counted lost here.
func (gc *gconn) hold(p []byte) error {
	unheld, err := gc.out.add(p, &gc.sh.st.memory)
	if err != nil {
		gc.lost(int64(unheld), "cannot hold output", err)
		return fmt.Errorf("hold output: %w", err)
	}
	return nil
}

// flush writes held output until it is gone or the socket is full.
func (gc *gconn) flush() error {
	for gc.out.n > 0 && !gc.blocked {
		n, offered, err := gc.out.writeTo(gc.fd, gc.iov[:], &gc.sh.st.memory)
		if err := gc.wrote(n, offered, err); err != nil {
			return err
		}
	}
	return nil
}

// write is one non-blocking write of p to the socket.
func (gc *gconn) write(p []byte) (int, error) {
	for {
		n, err := unix.Write(gc.fd, p)
		if n < 0 {
			n = 0
		}
		if errors.Is(err, unix.EINTR) && n == 0 {
			continue
		}
		return n, gc.wrote(n, len(p), err)
	}
}

// wrote accounts for a write of n of want bytes. A full socket is no
// error: the connection blocks until the watcher sees it writable.
func (gc *gconn) wrote(n, want int, err error) error {
	if n > 0 {
		gc.sh.st.bytesOut.Add(uint64(n))
		gc.touch()
	}
	switch {
	case err == nil && n == want, errors.Is(err, unix.EINTR):
		return nil
	case err == nil, errors.Is(err, unix.EAGAIN):
		gc.blocked = true
		gc.sh.st.writeBlocks.Add(1)
		return gc.watch()
	default:
		return fmt.Errorf("write: %w", err)
	}
}

// watch arms gc's socket on the loop's watcher: a blocked connection costs
// nothing until its socket drains.
func (gc *gconn) watch() error {
	if err := gc.waits.arm(gc.fd, gc.watched, gc); err != nil {
		return err
	}
	gc.watched = true
	return nil
}

// unwatch disarms gc's socket, before it is closed.
func (gc *gconn) unwatch() {
	if gc.watched {
		gc.waits.disarm(gc.fd)
		gc.watched = false
	}
}

// overBudget closes a connection that holds more than Config.MaxBuffer
// although its socket takes no more, and reports whether it did. Output
// held back only to batch writes is flushed first: it does not count.
func (gc *gconn) overBudget() bool {
	budget := gc.sh.cfg.MaxBuffer
	if budget == NoLimit || int64(gc.out.n) <= budget {
		return false
	}
	if !gc.blocked {
		if err := gc.flush(); err != nil {
			gc.fail(err)
			return true
		}
		if int64(gc.out.n) <= budget {
			return false
		}
	}
	gc.reason = ClosedBudget
	gc.lost(int64(gc.out.n), "over the memory budget: the client does not read its replies as fast as it sends", nil,
		"max_buffer", budget)
	return true
}

// fail closes a connection whose write failed (a reset, a broken pipe).
func (gc *gconn) fail(err error) gnet.Action {
	gc.reason, gc.err = ClosedError, err
	if held := int64(gc.out.n); held > 0 {
		gc.lost(held, "write failed", err)
	}
	return gnet.Close
}

// held updates Stats.Buffered with what gc holds now.
func (gc *gconn) held() {
	now := int64(gc.out.n)
	if d := now - gc.heldNow; d != 0 {
		gc.sh.st.buffered.Add(d)
		gc.heldNow = now
	}
}

// touch records traffic for the idle sweep; free without an idle timeout.
func (gc *gconn) touch() {
	if gc.sh.cfg.IdleTimeout > 0 {
		gc.last = time.Now().UnixNano()
	}
}

// lost counts and logs bytes read from the client that will never go back.
func (gc *gconn) lost(n int64, why string, err error, attrs ...any) {
	gc.sh.st.undelivered.Add(uint64(n))
	attrs = append(attrs, "remote", addrString(gc.remote), "undelivered_bytes", n)
	if err != nil {
		attrs = append(attrs, "err", err.Error())
	}
	gc.sh.log.Warn("closing connection: "+why, attrs...)
}

// done finishes the connection's accounting.
func (gc *gconn) done(r CloseReason, err error) {
	gc.sh.st.buffered.Add(-gc.heldNow)
	gc.heldNow = 0
	gc.out.release(&gc.sh.st.memory)
	gc.sh.st.finish(r)
	if h := gc.sh.cfg.Hooks.Close; h != nil {
		h(gc.remote, gc.processed, r, err)
	}
}
