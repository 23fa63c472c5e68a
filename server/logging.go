package server

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The server logs events that can come by the thousand (refusals, parking,
// failed enrolls) without flooding its log: a type here lets their lines
// through at most once a second.

// countedLog lets a repeated log line through at most once a second, the
// first at once, each line carrying the count of events since the last one.
type countedLog struct {
	mu      sync.Mutex
	last    time.Time
	pending uint64
}

// note counts one event and reports whether a line may go out now, with the
// events it stands for (this one included).
func (l *countedLog) note() (n uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending++
	now := time.Now()
	if now.Sub(l.last) < time.Second {
		return 0, false
	}
	n = l.pending
	l.pending, l.last = 0, now
	return n, true
}

// everySecond lets a repeated log line through at most once a second.
type everySecond struct{ last atomic.Int64 }

// allow reports whether a line may go out now.
func (l *everySecond) allow() bool {
	now := time.Now().UnixNano()
	last := l.last.Load()
	return now-last >= int64(time.Second) && l.last.CompareAndSwap(last, now)
}

// refusalLog logs refused connections without flooding: the first refusal
// at once, then one line a second with the count since the last line.
type refusalLog struct{ lines countedLog }

// refused counts a refused connection from remote and logs it unless a line
// went out less than a second ago.
func (r *refusalLog) refused(log *slog.Logger, remote net.Addr, max int) {
	if n, ok := r.lines.note(); ok {
		log.Warn("connection refused: max-conns open", "max_conns", max, "refused", n, "last_remote", addrString(remote))
	}
}

// parkLog logs connections parked past max-memory without flooding: the
// first at once, then one line a second with the count since the last line.
type parkLog struct{ lines countedLog }

// parked counts a parked connection and logs it unless a line went out less
// than a second ago.
func (p *parkLog) parked(log *slog.Logger, maxMemory, memory, parkedNow int64) {
	if n, ok := p.lines.note(); ok {
		log.Warn("max-memory reached: stopped reading from clients whose sockets take no more replies, until memory frees",
			"max_memory", maxMemory, "memory", memory, "parked_now", parkedNow, "parked_since_last_line", n)
	}
}

// addrString is a nil-safe net.Addr.String.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
