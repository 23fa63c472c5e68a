package load

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
)

// The kinds of error counted in Result.Errors. Each ends the connection it
// happened on, so a connection counts at most one.
const (
	// ErrMismatch: a byte back is not the uppercase of the byte sent, or
	// more bytes came back than were sent.
	ErrMismatch = "mismatch"
	// ErrShort: the server closed the connection before the whole reply.
	ErrShort = "short"
	// ErrClosed: the server closed the connection while it owed nothing.
	ErrClosed = "closed"
	// ErrReset: the connection was reset (or the write found it broken).
	ErrReset = "reset"
	// ErrTimeout: bytes owed did not come back within Config.Timeout (or
	// before the drain after the measured time ended).
	ErrTimeout = "timeout"
	// ErrOther: any other read or write error.
	ErrOther = "other"
)

var errorKinds = [...]string{ErrMismatch, ErrShort, ErrClosed, ErrReset, ErrTimeout, ErrOther}

// errorCounts counts errors by kind, from any goroutine.
type errorCounts [len(errorKinds)]atomic.Uint64

func (e *errorCounts) add(kind string) {
	for i, k := range errorKinds {
		if k == kind {
			e[i].Add(1)
			return
		}
	}
	e[len(e)-1].Add(1)
}

// total is the errors counted so far.
func (e *errorCounts) total() uint64 {
	var n uint64
	for i := range e {
		n += e[i].Load()
	}
	return n
}

// snapshot is the non-zero counts by kind; never nil, so JSON shows {}.
func (e *errorCounts) snapshot() map[string]uint64 {
	m := make(map[string]uint64)
	for i, k := range errorKinds {
		if n := e[i].Load(); n > 0 {
			m[k] = n
		}
	}
	return m
}

// classify names the kind of a read or write error; owed says whether the
// server owed bytes when it happened.
func classify(err error, owed bool) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if owed {
			return ErrShort
		}
		return ErrClosed
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return ErrReset
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	}
	return ErrOther
}

// The reasons a dial fails, in Result.ConnectFailed.
const (
	DialRefused     = "refused"        // ECONNREFUSED: nothing listening, or its backlog full
	DialTimeout     = "timeout"        // no answer within Config.DialTimeout
	DialNoPorts     = "no_local_ports" // EADDRNOTAVAIL: the source address ran out of ports
	DialNoFiles     = "no_files"       // EMFILE/ENFILE: this process ran out of descriptors
	DialReset       = "reset"          // reset during the handshake
	DialUnreachable = "unreachable"    // no route, network down
	DialCancelled   = "cancelled"      // the run was cancelled
	DialOther       = "other"
)

// errCancelled marks dials that the run's cancellation stopped.
var errCancelled = errors.New("load: cancelled")

// classifyDial names the reason a dial failed.
func classifyDial(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return DialRefused
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return DialNoPorts
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return DialNoFiles
	case errors.Is(err, syscall.ECONNRESET):
		return DialReset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETDOWN):
		return DialUnreachable
	case errors.Is(err, errCancelled):
		return DialCancelled
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return DialTimeout
	}
	return DialOther
}
