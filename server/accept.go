package server

import (
	"errors"
	"log/slog"
	"net"
	"time"
)

// Accept back-off: after a failed accept (EMFILE, ENFILE, ...) an engine
// waits before trying again, so that it does not spin on an error that only
// a closing connection can clear, and logs at most once a second.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
	acceptLogEvery   = time.Second
)

// acceptLoop accepts from ln until ln is closed, and hands each connection
// to handle. Both engines accept here. Any other accept error, running out
// of descriptors above all, only pauses it (the client waits in the
// kernel's backlog meanwhile): a server that stops serving because too many
// clients came is what neither engine may do. stopped cuts a back-off
// short.
func acceptLoop(ln net.Listener, st *counters, log *slog.Logger, stopped <-chan struct{}, handle func(net.Conn)) {
	var (
		backoff  time.Duration
		failures int
		lastLog  time.Time
	)
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			st.acceptErrs.Add(1)
			backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
			failures++
			if now := time.Now(); now.Sub(lastLog) >= acceptLogEvery {
				log.Warn("accept failed; backing off and serving on",
					"err", err, "failures", failures, "backoff", backoff, "open", st.open.Load())
				failures, lastLog = 0, now
			}
			select {
			case <-time.After(backoff):
			case <-stopped:
			}
			continue
		}
		backoff = 0
		handle(c)
	}
}
