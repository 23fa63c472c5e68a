//go:build linux

package server

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// TestGnetParkedHalfCloseFinishTimeout: a client parked at --max-memory that
// shuts down its side and reads none of its replies is cut after the finish
// timeout, as an unparked one is, over TCP and Unix sockets: it gets a
// reset, not a clean end, and both what it was not sent and what it sent
// unread are counted. Before, a parked socket was never read, its
// half-close never seen, and it stayed parked for ever. (Linux: elsewhere
// the half-close behind unread input is not seen.)
func TestGnetParkedHalfCloseFinishTimeout(t *testing.T) {
	const finish = 300 * time.Millisecond
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			parked := make(chan struct{})
			var once sync.Once
			cfg := Config{Loops: 1, MaxMemory: 64 << 10, FinishTimeout: finish, DrainTimeout: 2 * time.Second,
				park: &parkHooks{parked: func(net.Addr) { once.Do(func() { close(parked) }) }}}
			if network == "unix" {
				cfg.Network, cfg.Address = "unix", t.TempDir()+"/s"
			}
			srv, _ := startServer(t, engine.Gnet, cfg)
			c := dial(t, srv)
			size := sendUntilParked(t, srv, c, parked)
			if err := testkit.CloseWrite(c); err != nil {
				t.Fatal(err)
			}
			st := settled(t, srv)
			if st.Closed[ClosedError] != 1 || st.Undelivered == 0 || st.Parked != 0 {
				t.Errorf("after the finish timeout: %+v, want one error close, its loss counted, none parked", st)
			}
			if st.BytesIn+st.Unread != uint64(size) {
				t.Errorf("read %d + unread %d, want the %d sent", st.BytesIn, st.Unread, size)
			}
			_, err := io.Copy(io.Discard, c)
			if err == nil || errors.Is(err, io.EOF) {
				t.Errorf("the cut client read to a clean end (err %v), want a reset", err)
			}
		})
	}
}

// sendUntilParked sends on c, srv's only client, never reading, until the
// server parks it, a part at a time once the server has read the last one:
// what the server has not read then is at most a part, which its socket
// takes whole with room to spare, so that the half-close that follows
// reaches it. (Once its socket merely had the last part, the server could
// lag its socket by a MiB, its receive buffer full: the half-close stayed
// behind in the client's, and the client was never cut.) It returns the
// bytes sent.
func sendUntilParked(t *testing.T, srv *Server, c net.Conn, parked <-chan struct{}) int {
	t.Helper()
	part := make([]byte, 64<<10)
	sent := 0
	for {
		select {
		case <-parked:
			return sent
		default:
		}
		if sent > 256<<20 {
			t.Fatalf("sent %d bytes and the server never parked", sent)
		}
		n, err := c.Write(part)
		sent += n
		if err != nil {
			t.Fatal(err)
		}
		if !testkit.Poll(stallTimeout, func() bool {
			select {
			case <-parked:
				return true
			default:
				return srv.Stats().BytesIn == uint64(sent)
			}
		}) {
			t.Fatalf("the server read no more of the %d bytes sent, not parked", sent)
		}
	}
}
