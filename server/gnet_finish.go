package server

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// finisher completes a connection's echo after OnClose on Go's poller, so
// that gnet's loop never blocks and its close drops nothing. It owns gc.
type finisher struct {
	gc     *gconn
	f      *os.File
	reason CloseReason
}

// finishAfterClose, in OnClose, hands gc's unsent output and a duplicate of its
// socket to a finisher: gnet closes its own descriptor right after OnClose
// (TestGnetAssumesOnCloseBeforeFdClose).
func finishAfterClose(gc *gconn, c gnet.Conn, r CloseReason) {
	fd, err := c.Dup()
	if err != nil {
		if gc.out.n > 0 {
			gc.lost(int64(gc.out.n), "cannot duplicate the socket to finish the echo", err)
		}
		gc.done(ClosedError, err)
		return
	}
	// Dup shares the O_NONBLOCK socket, so os.NewFile puts it on Go's
	// poller; File.Fd would make it blocking under gnet's loop.
	finishFile(gc, os.NewFile(uintptr(fd), "upcase-gnet-finisher"), r)
}

func finishFile(gc *gconn, f *os.File, r CloseReason) {
	fn := &finisher{gc: gc, f: f, reason: r}
	gc.sh.fin.start(f, fn.run)
}

func (fn *finisher) run() {
	gc := fn.gc
	sh := gc.sh
	defer fn.f.Close()
	rc, rcErr := fn.f.SyscallConn()
	stop := fn.reason == ClosedDrain && rcErr == nil
	if err := fn.write(); err != nil {
		gc.lost(int64(gc.out.n), "could not finish the echo", err)
		// A reset, so that the client cannot take the echo cut short for whole.
		if rcErr == nil && (!stop || !unreadAtStop(rc, sh.st, sh.log, gc.remote, sh.oobSlack, time.Now())) {
			resetOnClose(rc)
		}
		gc.done(ClosedError, err)
		return
	}
	if stop && unreadAtStop(rc, sh.st, sh.log, gc.remote, sh.oobSlack, sh.fin.drainBy(sh.cfg.DrainTimeout)) {
		gc.done(fn.reason, nil)
		return
	}
	// EOF after the last byte, then a lingering close: closing with input
	// unread would reset the connection under a reply not read yet.
	if rcErr == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_WR) })
	}
	sh.fin.setDeadline(fn.f.SetReadDeadline, time.Now().Add(sh.cfg.DrainTimeout))
	var sink [4096]byte
	var dropped int64
	for {
		n, err := fn.f.Read(sink[:])
		dropped += int64(n)
		if err != nil {
			break
		}
	}
	if fn.reason == ClosedDrain {
		discardedAtStop(sh.st, sh.log, gc.remote, dropped)
	}
	gc.done(fn.reason, nil)
}

// write sends the held output, freeing each chunk once sent, until a write
// fails or stalls for the finish patience; what is left unsent stays held.
func (fn *finisher) write() error {
	gc := fn.gc
	sh := gc.sh
	patience := sh.finishPatience()
	for gc.out.n > 0 {
		sh.fin.setDeadline(fn.f.SetWriteDeadline, time.Now().Add(patience))
		n, err := fn.f.Write(gc.out.bufs[0][gc.out.off:])
		gc.out.consume(n, &sh.st.memory)
		sh.st.bytesOut.Add(uint64(n))
		gc.held()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if sh.fin.stopped() {
					return fmt.Errorf("the server stopped and the drain timeout passed: %w", err)
				}
				return fmt.Errorf("the client read none of its replies for %v: %w", patience, err)
			}
			return err
		}
	}
	return nil
}
