package server

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// admit takes a connection slot, or counts a refusal and returns false when
// max connections are open already.
func (c *counters) admit(max int) bool {
	if c.open.Add(1) > int64(max) {
		c.open.Add(-1)
		c.refused.Add(1)
		return false
	}
	c.accepted.Add(1)
	return true
}

// finish gives back a slot taken by admit and counts why it closed.
func (c *counters) finish(r CloseReason) {
	c.open.Add(-1)
	c.close(r)
}

// refusalLog logs refused connections without flooding: the first refusal
// at once, then one line a second with the count since the last line.
type refusalLog struct {
	mu      sync.Mutex
	last    time.Time
	pending uint64
}

func (r *refusalLog) refused(log *slog.Logger, remote net.Addr, max int) {
	r.mu.Lock()
	r.pending++
	now := time.Now()
	if now.Sub(r.last) < time.Second {
		r.mu.Unlock()
		return
	}
	n := r.pending
	r.pending, r.last = 0, now
	r.mu.Unlock()
	log.Warn("connection refused: max-conns open", "max_conns", max, "refused", n, "last_remote", addrString(remote))
}

// addrString is a nil-safe net.Addr.String.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
