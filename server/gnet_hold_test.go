package server

import (
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// TestGnetHoldWithoutMemory: when no chunk can be mapped for a reply the
// socket will not take, the connection is closed and every byte read is
// still accounted for, the part that could not be held counted undelivered
// with the rest. Before, that part was neither sent nor counted (BytesIn >
// BytesOut + Undelivered).
//
// Not parallel: it empties the process's chunk pool and refuses to map
// more, which no other test may see (parallel tests start after it).
func TestGnetHoldWithoutMemory(t *testing.T) {
	chunks.mu.Lock()
	hot, cold := chunks.hot, chunks.cold
	chunks.hot, chunks.cold = nil, nil
	chunks.mu.Unlock()
	mapSlab = func() ([]byte, error) { return nil, unix.ENOMEM }
	// Registered before the server's, so that it runs after its stop.
	t.Cleanup(func() {
		mapSlab = mapChunkSlab
		chunks.mu.Lock()
		chunks.hot, chunks.cold = append(chunks.hot, hot...), append(chunks.cold, cold...)
		chunks.mu.Unlock()
	})

	srv, _ := startServer(t, engine.Gnet, Config{Loops: 1})
	// The server closes mid-send: the write may end in a reset.
	if err := testkit.SendOnly(dial(t, srv), neverRead, true); err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatal(err)
	}
	st := settled(t, srv)
	if st.Closed[ClosedError] != 1 || st.Undelivered == 0 || st.Memory != 0 {
		t.Errorf("after a hold without memory: %+v, want one error close, the loss counted, no chunk held", st)
	}
}
