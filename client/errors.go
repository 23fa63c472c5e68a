package client

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/config"
)

// ErrExtraData is returned, wrapped, when the server sends back more bytes
// than it was sent: an uppercase echo never adds any.
var ErrExtraData = errors.New("client: the server sent back more bytes than it was sent")

// StallError is returned when no byte moved either way for the stall
// timeout. Its message explains, in plain words, why the transfer is stuck.
type StallError struct {
	// Timeout is how long nothing moved.
	Timeout time.Duration
	// Total is the bytes the run meant to send; Sent and Received are how
	// many had gone out and come back when it stalled.
	Total, Sent, Received int64
	// Duplex says the client was reading while it sent.
	Duplex bool
	// ClosedWrite says the client had sent everything and shut down its
	// sending side: it was only waiting for the server.
	ClosedWrite bool
	// Queues are the client socket's queued byte counts when it stalled;
	// nil where the system does not tell them.
	Queues *SocketQueues
}

// SocketQueues are the bytes a socket's kernel buffers hold: on Linux, from
// the SIOCINQ and SIOCOUTQ ioctls.
type SocketQueues struct {
	// Unread is the bytes received and waiting for this process to read
	// them (SIOCINQ).
	Unread int
	// Unsent is the bytes written by this process that the peer has not yet
	// taken (SIOCOUTQ): for TCP, not yet acknowledged.
	Unsent int
}

// Error explains the stall over a few lines: what moved, which side is
// blocked on which buffer, and what avoids it.
func (e *StallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: stalled: no byte moved either way for %v, after sending %d of %d bytes and receiving %d back.\n",
		e.Timeout, e.Sent, e.Total, e.Received)
	switch {
	case e.ClosedWrite:
		fmt.Fprintf(&b, "This client has sent everything, shut down its sending side and is waiting to read the rest, "+
			"but the server stopped sending: it still owes %d bytes and has neither sent them nor closed the connection.\n",
			e.Total-e.Received)
	case e.Duplex:
		b.WriteString("This client was reading all along (--duplex), so its receive buffer is not what holds things up: " +
			"the server stopped both reading what this client sends and sending anything back.\n")
	default:
		b.WriteString("This is the deadlock of the original example. The server is blocked writing its uppercase replies " +
			"into this client's receive buffer, which is full because this client reads nothing until it has sent everything; " +
			"and this client is blocked writing into the server's receive buffer, which is full because the server " +
			"stopped reading while its own write is blocked. Neither side can move.\n")
	}
	if q := e.Queues; q != nil {
		fmt.Fprintf(&b, "This client's socket holds %d bytes received but not yet read (SIOCINQ) "+
			"and %d bytes sent but not yet taken by the server (SIOCOUTQ).\n", q.Unread, q.Unsent)
	}
	switch {
	case e.Duplex || e.ClosedWrite:
		b.WriteString("This is not the buffer deadlock that --duplex avoids: the server itself stopped.")
	default:
		b.WriteString("Run with --duplex to read the replies while sending: that avoids the deadlock.")
	}
	return b.String()
}

// MismatchError is returned when a byte comes back other than the uppercase
// of the byte sent at that offset.
type MismatchError struct {
	// Offset is the wrong byte's offset in the stream, from 0.
	Offset int64
	// Want is the byte expected there and Got the byte received.
	Want, Got byte
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("client: wrong byte at offset %d: got %#02x %s, want %#02x %s",
		e.Offset, e.Got, pyQuote([]byte{e.Got}), e.Want, pyQuote([]byte{e.Want}))
}

// ShortError is returned when the server closes the connection before
// sending back everything it was sent.
type ShortError struct {
	// Total is the bytes the run meant to send; Sent the bytes it had sent
	// and Received the bytes it got back before the end of the stream.
	Total, Sent, Received int64
}

func (e *ShortError) Error() string {
	return fmt.Sprintf("client: the server closed the connection after sending back %d of the %d bytes it was sent (%d to send in all)",
		e.Received, e.Sent, e.Total)
}

// serverDefaultMaxBuffer is serve's default --max-buffer
// (server.DefaultMaxBuffer, which this package does not import: the client
// talks to any server), for CutOffError's advice.
const serverDefaultMaxBuffer = 64 << 20

// CutOffError is returned when the server closes the connection on a
// sequential client (Config.Duplex unset) with a reset or a broken pipe,
// while it sends or while it reads the replies it did not read while
// sending. Against this project's server that is most likely the budget of
// serve --max-buffer: the gnet engine holds what a client does not read,
// up to that much, and cuts off a client that sends more. Its message says
// so, and what to try, in one line.
type CutOffError struct {
	// Total is the bytes the run meant to send; Sent and Received are how
	// many had gone out and come back when the server closed.
	Total, Sent, Received int64
	// Receiving says the client had sent everything and was reading.
	Receiving bool
	// Err is the error the socket returned, a reset or a broken pipe.
	Err error
}

func (e *CutOffError) Error() string {
	what := fmt.Sprintf("without reading a reply yet (%v)", errnoText(e.Err))
	if e.Receiving {
		what = fmt.Sprintf("and read %d of the replies (%v)", e.Received, errnoText(e.Err))
	}
	return fmt.Sprintf("client: the server closed the connection after this client had sent %d of %d bytes (%s) %s: "+
		"most likely a sequential client that sends more than the server will hold for it (serve --max-buffer, %s by default) is cut off; "+
		"try --duplex, or a larger --max-buffer on the server",
		e.Sent, e.Total, mibText(e.Sent), what, config.FormatSize(serverDefaultMaxBuffer))
}

// Unwrap returns the socket's error, so that errors.Is finds
// syscall.ECONNRESET or syscall.EPIPE.
func (e *CutOffError) Unwrap() error { return e.Err }

// errnoText is the system's words for err ("connection reset by peer")
// without the addresses a *net.OpError adds.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// mibText writes n bytes in MiB, the unit of --max-buffer's default, to
// the nearest one.
func mibText(n int64) string {
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// isCutOff reports whether err is the server closing the connection while
// this client still had bytes to send or read: a reset, or a write after
// one.
func isCutOff(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// pyQuote quotes b between single quotes, escaping what is not printable,
// as the original's Python prints bytes.
func pyQuote(b []byte) string {
	q := strconv.QuoteToASCII(string(b))
	return "'" + q[1:len(q)-1] + "'"
}
