package testkit

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
)

// A Handler is how a Peer treats each connection: well (Upper) or in one
// known wrong way (Flipper, Closer, Resetter, Mute, or a test's own). It
// returns when it is done with the connection, which Peer then closes.
type Handler func(ctx context.Context, c *net.TCPConn)

// Peer serves handle on each connection of a TCP listener on a free
// loopback port until the test ends, and returns its address: a server
// that misbehaves in one known way, for the tests of the clients. When the
// test ends, the handlers' context is cancelled and their connections are
// closed, which ends handlers that block on either, and the test waits for
// every handler to return.
func Peer(t testing.TB, handle Handler) string {
	t.Helper()
	ln := Listen(t)
	ctx, cancel := context.WithCancel(context.Background())
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
				handle(ctx, c.(*net.TCPConn))
			})
		}
	})
	t.Cleanup(func() {
		cancel()
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

// Listen is a TCP listener on a free loopback port, closed when the test
// ends: a busy address, or one whose connections nobody accepts unless the
// test does.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// ClosedPort is a loopback address on which nothing listens: a free port
// bound and released at once, so that connecting there is refused.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln := Listen(t)
	_ = ln.Close()
	return ln.Addr().String()
}
