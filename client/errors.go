package client

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
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

// pyQuote quotes b between single quotes, escaping what is not printable,
// as the original's Python prints bytes.
func pyQuote(b []byte) string {
	q := strconv.QuoteToASCII(string(b))
	return "'" + q[1:len(q)-1] + "'"
}
