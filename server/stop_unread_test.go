package server

import (
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// TestStopWithInputUnread: a stop ends a connection whose client has sent
// input the server has not read yet with a reset, once the replies to what
// it read have arrived, counted and logged as unread at stop, so that the
// client sees an error and never takes the echo it got for whole (issue
// 16, item 4). The gnet engine has the input waiting because the client is
// parked past MaxMemory, the goroutine engine because its write to a client
// that does not read blocks, as the original's.
func TestStopWithInputUnread(t *testing.T) {
	// Not parallel: its clients fill socket buffers by the MiB, which
	// the kernel's TCP memory shares with the memory tests beside it.
	for _, e := range engine.All() {
		t.Run(string(e), func(t *testing.T) {
			cfg := Config{DrainTimeout: 500 * time.Millisecond, FinishTimeout: time.Minute}
			if e == engine.Gnet {
				cfg.MaxMemory = 256 << 10
			}
			srv, stop := startServer(t, e, cfg)
			c := dialSmallReceive(t, srv, 4096)
			p := randomPayload(32 << 20)
			var client sync.WaitGroup
			defer client.Wait()
			defer c.Close()
			wrote := writeInBackground(&client, c, p)
			waitStats(t, srv, "the server no longer reading the client", func(s Stats) bool {
				if e == engine.Gnet {
					return s.Parked == 1
				}
				return s.Buffered > 0 && s.BytesIn > s.BytesOut
			})
			stop()
			select {
			case <-srv.Done():
			case <-time.After(stallTimeout):
				t.Fatal("the server did not stop")
			}
			// The reset reaches whichever of the client's reader and writer
			// meets it first (a socket says ECONNRESET once, then EOF): the
			// client as a whole must see an error.
			got, rerr := readAll(c, p, stallTimeout, nil)
			werr := <-wrote
			if rerr == nil && !errors.Is(werr, syscall.ECONNRESET) && !errors.Is(werr, syscall.EPIPE) {
				t.Errorf("the client read %d of the %d bytes it sent and then a clean end, and its writes ended with %v: want a reset", got, p.Size, werr)
			}
			if rerr != nil && !errors.Is(rerr, syscall.ECONNRESET) {
				t.Errorf("the client's read ended with %v, want a reset", rerr)
			}
			if st := srv.Stats(); st.Unread == 0 {
				t.Errorf("Unread 0 with input left unread: %+v", st)
			}
		})
	}
}
