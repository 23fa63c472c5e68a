package server

import (
	"errors"
	"fmt"
	"net"
	"sync"

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

	in      int    // bytes in gnet's inbound buffer after our last look
	out     []byte // processed bytes the socket has not taken yet
	blocked bool   // the last write met a full socket buffer
	queued  bool   // on loop.pending
	flushAt bool   // an end-of-pass flush is queued

	processed int64
	heldNow   int64 // what Stats.Buffered counts for this connection
	last      int64 // unix nanoseconds of the last traffic either way

	closed bool
	reason CloseReason // set when the server decides to close
	err    error

	prev, next *gconn // the loop's list of open connections
}

// outPool recycles output buffers, so an idle connection holds none.
var outPool = sync.Pool{New: func() any { b := make([]byte, 0, highWater+codec.MaxRead); return &b }}

// sendMode says when process hands its output to the socket.
type sendMode int

const (
	sendNow      sendMode = iota // write at once
	sendPassEnd                  // write at the end of this poll pass
	sendByCaller                 // only queue; the caller flushes
)

// process uppercases at most limit buffered input bytes and sends them as
// mode says.
func (e *gnetEngine) process(gc *gconn, limit int, mode sendMode) error {
	n := min(gc.c.InboundBuffered(), limit)
	if n == 0 {
		return nil
	}
	buf, err := gc.c.Peek(n)
	if err != nil {
		return fmt.Errorf("peek: %w", err)
	}
	codec.Upper(buf) // in place: gnet's buffer is discarded right after
	switch {
	case mode == sendNow || mode == sendPassEnd && len(gc.out)+n >= highWater:
		err = e.send(gc, buf)
	case mode == sendPassEnd:
		gc.queue(buf)
		gc.loop.flushLater(gc)
	default:
		gc.queue(buf)
	}
	_, _ = gc.c.Discard(n)
	gc.in = gc.c.InboundBuffered()
	gc.processed += int64(n)
	e.st.events.Add(1)
	if h := e.cfg.Hooks.Progress; h != nil {
		h(gc.remote, gc.processed)
	}
	return err
}

// queue appends p to the connection's pending output.
func (gc *gconn) queue(p []byte) {
	if gc.out == nil {
		gc.out = (*outPool.Get().(*[]byte))[:0]
	}
	gc.out = append(gc.out, p...)
}

// send writes p after any pending output, keeping what the socket does not
// take. Only a fatal write error is returned.
func (e *gnetEngine) send(gc *gconn, p []byte) error {
	if len(gc.out) > 0 || gc.blocked {
		gc.queue(p)
		return e.flush(gc)
	}
	n, err := e.write(gc, p)
	if n < len(p) {
		gc.queue(p[n:])
	}
	return err
}

// flush writes pending output until it is gone or the socket is full.
func (e *gnetEngine) flush(gc *gconn) error {
	for len(gc.out) > 0 {
		n, err := e.write(gc, gc.out)
		gc.out = gc.out[:copy(gc.out, gc.out[n:])]
		if err != nil || gc.blocked {
			return err
		}
	}
	gc.releaseOut()
	return nil
}

// releaseOut gives the output buffer back to the pool.
func (gc *gconn) releaseOut() {
	if gc.out != nil {
		b := gc.out[:0]
		outPool.Put(&b)
		gc.out = nil
	}
}

// write is one non-blocking write to the socket. A full socket buffer is
// not an error: it marks the connection blocked and puts it on the
// sweeper's list, since gnet will not say when the socket drains.
func (e *gnetEngine) write(gc *gconn, p []byte) (int, error) {
	for {
		n, err := unix.Write(gc.fd, p)
		if n > 0 {
			e.st.bytesOut.Add(uint64(n))
			e.touch(gc)
		} else {
			n = 0
		}
		switch {
		case err == nil:
			gc.blocked = n < len(p)
			if gc.blocked {
				gc.loop.enqueue(gc)
			}
			return n, nil
		case errors.Is(err, unix.EINTR):
			if n > 0 {
				return n, nil
			}
		case errors.Is(err, unix.EAGAIN):
			gc.blocked = true
			gc.loop.enqueue(gc)
			return n, nil
		default:
			return n, fmt.Errorf("write: %w", err)
		}
	}
}

// overBudget closes a connection that holds more than Config.MaxBuffer,
// logging the reason and the size. It reports whether it did.
func (e *gnetEngine) overBudget(gc *gconn) bool {
	held := int64(gc.in) + int64(len(gc.out))
	if e.cfg.MaxBuffer == NoLimit || held <= e.cfg.MaxBuffer {
		return false
	}
	gc.reason = ClosedBudget
	e.lost(gc, held, "over the memory budget: the client sends without reading", nil,
		"max_buffer", e.cfg.MaxBuffer)
	return true
}

// fail closes a connection whose write failed (a reset, a broken pipe).
func (e *gnetEngine) fail(gc *gconn, err error) gnet.Action {
	gc.reason, gc.err = ClosedError, err
	if held := int64(gc.in) + int64(len(gc.out)); held > 0 {
		e.lost(gc, held, "write failed", err)
	}
	return gnet.Close
}

// held updates Stats.Buffered with what gc holds now.
func (e *gnetEngine) held(gc *gconn) {
	now := int64(gc.in) + int64(len(gc.out))
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
	gc.releaseOut()
	e.st.finish(r)
	if h := e.cfg.Hooks.Close; h != nil {
		h(gc.remote, gc.processed, r, err)
	}
}
