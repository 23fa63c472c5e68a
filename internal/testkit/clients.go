package testkit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// The clients of the tests that are more than a dial: one that reads
// slowly from the start, one that never reads, a half-close, a reset, and
// the ping that proves a connection is served.

// SmallReceive is a dialer whose connections get a receive buffer of
// rcvbuf bytes, set before the handshake, so that the window the client
// offers is small from the start: the slow readers, and clients
// that never read whose bytes the kernel must not absorb instead of the
// server (loopback sockets autotune to megabytes).
func SmallReceive(rcvbuf int, timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
		}); err != nil {
			return err
		}
		return serr
	}}
}

// Ping writes msg and reads exactly its uppercase back, within bound,
// leaving the connection open.
func Ping(c net.Conn, msg []byte, bound time.Duration) error {
	c.SetDeadline(time.Now().Add(bound))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("ping write: %w", err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("ping read: %w", err)
	}
	if want := codec.Upper(bytes.Clone(msg)); !bytes.Equal(got, want) {
		return fmt.Errorf("reply %q, want %q", got, want)
	}
	return nil
}

// Dial connects to addr within 10s and closes the connection when the test
// ends, before a server started earlier in the test stops (cleanups run
// last registered first).
func Dial(t testing.TB, addr net.Addr) net.Conn {
	t.Helper()
	c, err := net.DialTimeout(addr.Network(), addr.String(), 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// CloseWrite is codec.CloseWrite, beside Reset and SendOnly, the other ends
// a test client can give its connection.
var CloseWrite = codec.CloseWrite

// Reset closes a TCP connection with a reset instead of a FIN (SO_LINGER
// 0), whatever is still in flight either way.
func Reset(c net.Conn) error {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return fmt.Errorf("%T cannot be reset", c)
	}
	return errors.Join(tc.SetLinger(0), tc.Close())
}

// SendOnly writes size bytes to c and, when halfClose is set, shuts down
// its sending side; it never reads a byte of the replies.
func SendOnly(c net.Conn, size int, halfClose bool) error {
	if _, err := c.Write(bytes.Repeat([]byte("never read me. "), size/15+1)[:size]); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if halfClose {
		return CloseWrite(c)
	}
	return nil
}
