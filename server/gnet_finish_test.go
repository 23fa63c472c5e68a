package server

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// neverReader sends size bytes to srv, shuts down its sending side when
// halfClose is set, and never reads a byte. It is closed when the test ends.
func neverReader(t *testing.T, srv *Server, size int, halfClose bool) net.Conn {
	t.Helper()
	c := dial(t, srv)
	if err := testkit.SendOnly(c, size, halfClose); err != nil {
		t.Fatal(err)
	}
	return c
}

// neverRead is more than the loopback socket buffers hold, so that the
// server is left holding output for a client that never reads.
const neverRead = 16 << 20

// runningFinishers is how many finishers the gnet engine runs now.
func (e *gnetEngine) runningFinishers() int {
	e.fin.mu.Lock()
	defer e.fin.mu.Unlock()
	return len(e.fin.running)
}

// TestGnetStopsByItself stops gnet from inside, as a failing event loop
// would, while one client that shut down its side and never reads holds a
// finisher and another, open, never reads its replies. The server must not
// become a zombie: it is done within the drain timeout, says the engine
// stopped by itself, and every byte read went back or is counted
// undelivered, the open client's included.
func TestGnetStopsByItself(t *testing.T) {
	t.Parallel()
	const drain = time.Second
	logger, logs := testkit.NewLogger(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// No finish timeout: only the stop may bound the finisher.
	srv, err := Start(ctx, Config{Address: "127.0.0.1:0", DrainTimeout: drain, FinishTimeout: time.Hour, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	e := srv.eng.(*gnetEngine)
	neverReader(t, srv, neverRead, true)
	neverReader(t, srv, neverRead, false)
	waitStats(t, srv, "both streams read", func(s Stats) bool { return s.BytesIn == 2*neverRead })
	waitStats(t, srv, "a finisher for the half-closed client", func(Stats) bool { return e.runningFinishers() == 1 })

	stopped := time.Now()
	stopCtx, stopCancel := context.WithCancel(context.Background())
	defer stopCancel()
	go func() { _ = e.eng.Stop(stopCtx) }() // not a graceful stop of ours: gnet stops by itself

	select {
	case <-srv.Done():
	case <-time.After(drain + 15*time.Second): // generous for a loaded machine; a finisher left unbounded would take an hour
		t.Fatalf("server still running %v after gnet stopped (drain timeout %v): %+v", time.Since(stopped), drain, srv.Stats())
	}
	if err := srv.Wait(); err == nil || !strings.Contains(err.Error(), "stopped by itself") {
		t.Errorf("Wait = %v, want an error saying gnet stopped by itself", err)
	}
	st := srv.Stats()
	accounted(t, st)
	if st.Open != 0 || st.Undelivered == 0 {
		t.Errorf("after the stop: %d open, %d undelivered: want none open and the loss counted", st.Open, st.Undelivered)
	}
	if !strings.Contains(logs.String(), "stopping by itself") {
		t.Errorf("no log line says the engine stopped by itself:\n%s", logs)
	}
}

// TestGnetFinishTimeout: a client that shuts down its side and never reads
// is cut after the finish timeout, which defaults to the drain timeout,
// with its loss counted; without a deadline it would hold its connection
// slot, a descriptor and its data for ever.
func TestGnetFinishTimeout(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{DrainTimeout: 500 * time.Millisecond},
		{DrainTimeout: time.Hour, FinishTimeout: 500 * time.Millisecond},
	} {
		srv, _ := startServer(t, engine.Gnet, cfg)
		if got, want := srv.Config().FinishTimeout, 500*time.Millisecond; got != want {
			t.Errorf("FinishTimeout = %v, want %v", got, want)
		}
		c := neverReader(t, srv, neverRead, true)
		st := settled(t, srv)
		if st.Closed[ClosedError] != 1 || st.Undelivered == 0 {
			t.Errorf("after the finish timeout: %+v, want one error close and the loss counted", st)
		}
		if _, err := io.Copy(io.Discard, c); err == nil {
			t.Error("the cut client read to a clean end, want a reset")
		}
	}
}
