package load

import (
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// A peer is how a test server treats each connection.
type peer func(c *net.TCPConn)

// upper is the well-behaved server: every byte back uppercased, in order.
func upper(c *net.TCPConn) { echo(c) }

// echo sends back every byte of c uppercased, in order, until c ends.
func echo(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(codec.Upper(buf[:n])); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// flipper uppercases like upper but flips one bit of its first reply.
func flipper(c *net.TCPConn) {
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return
	}
	out := codec.Upper(buf[:n])
	out[0] ^= 0x01
	if _, err := c.Write(out); err != nil {
		return
	}
	upper(c)
}

// closer reads the first bytes and ends its side without a reply. It goes
// on reading, so that closing with unread bytes does not turn its EOF into
// a reset.
func closer(c *net.TCPConn) {
	buf := make([]byte, 4096)
	if _, err := c.Read(buf); err != nil {
		return
	}
	_ = c.CloseWrite()
	mute(c)
}

// resetter reads the first bytes and resets the connection.
func resetter(c *net.TCPConn) {
	buf := make([]byte, 4096)
	_, _ = c.Read(buf)
	_ = c.SetLinger(0)
}

// mute reads everything and never replies.
func mute(c *net.TCPConn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// startPeer serves p on 127.0.0.1 on a free port until the test ends and
// returns the address.
func startPeer(t *testing.T, p peer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					_ = c.Close()
				}()
				p(c.(*net.TCPConn))
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// closedPort is an address on which nothing listens: a free port bound and
// released at once.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
