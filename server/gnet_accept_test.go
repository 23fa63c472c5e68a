package server

import (
	"bytes"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// TestGnetAcceptWhileLoopBusy: the gnet engine accepts a burst of new
// connections while its event loop is held busy, as many as it lets be in
// flight to the loop, instead of waiting for the loop to open each one
// before it accepts the next, and serves them all once the loop is free. The loop is held by a client whose progress
// hook blocks on it: the extreme of a loop busy with other connections.
func TestGnetAcceptWhileLoopBusy(t *testing.T) {
	t.Parallel()
	const burst = 200
	var (
		holder  atomic.Value // the holding client's address
		holding = make(chan struct{})
		release = make(chan struct{})
		once    sync.Once
	)
	hold := func(remote net.Addr, _ int64) {
		if a, _ := holder.Load().(string); a == "" || remote.String() != a {
			return
		}
		once.Do(func() {
			close(holding)
			select {
			case <-release:
			case <-time.After(stallTimeout):
			}
		})
	}
	srv, _ := startServer(t, engine.Gnet, Config{Loops: 1, Hooks: Hooks{Progress: hold}})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()

	h := dial(t, srv)
	holder.Store(h.LocalAddr().String())
	if _, err := h.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-holding:
	case <-time.After(stallTimeout):
		t.Fatal("the holding client's read never reached the loop")
	}

	conns := make([]net.Conn, burst)
	for i := range conns {
		conns[i] = dial(t, srv)
	}
	// The accept goroutine takes in as many as may be in flight to the
	// loop while it runs nothing (one at a time before), the rest as the
	// loop opens them.
	inFlight := min(burst, maxEnrolling)
	waitStats(t, srv, "the burst accepted while the loop is held", func(s Stats) bool { return s.Accepted >= uint64(inFlight)+1 })
	releaseOnce()

	msg := []byte("capitalize this!")
	want := bytes.ToUpper(msg)
	var wg sync.WaitGroup
	errs := make(chan error, burst)
	for _, c := range conns {
		wg.Go(func() {
			_ = c.SetDeadline(time.Now().Add(stallTimeout))
			if _, err := c.Write(msg); err != nil {
				errs <- err
				return
			}
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c, got); err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got, want) {
				errs <- &mismatch{got: got, want: want}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := make([]byte, 1)
	_ = h.SetReadDeadline(time.Now().Add(stallTimeout))
	if _, err := io.ReadFull(h, got); err != nil || string(got) != "X" {
		t.Errorf("holding client: got %q, %v", got, err)
	}
}

// mismatch is a reply that is not the uppercase of what was sent.
type mismatch struct{ got, want []byte }

func (m *mismatch) Error() string { return "reply " + string(m.got) + ", want " + string(m.want) }
