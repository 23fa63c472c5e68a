package server

import (
	"log/slog"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sentPoll is how often unreadAtStop looks whether the replies written have
// arrived before it resets a connection.
const sentPoll = 5 * time.Millisecond

// unreadAtStop, for a connection a stop ends, counts and logs the input its
// client sent that the server has not read. If there is any, the echo is
// cut short: once the replies written have arrived (by the deadline at the
// latest; a deadline passed means no wait), the connection is set to be
// reset when closed, so that its client sees an error, not a clean end. slack is what FIONREAD may count that no read
// returns (oobSlack). It reports whether the connection is to be reset.
func unreadAtStop(rc syscall.RawConn, st *counters, log *slog.Logger, remote net.Addr, slack int, deadline time.Time) bool {
	n := 0
	_ = rc.Control(func(fd uintptr) {
		if m, err := unreadBytes(int(fd)); err == nil {
			n = m
		}
	})
	if n <= slack {
		return false
	}
	// A reset drops what the send queue still holds: the replies to what
	// was read go first.
	for time.Now().Before(deadline) {
		unsent := 0
		_ = rc.Control(func(fd uintptr) { unsent, _ = unsentBytes(int(fd)) })
		if unsent == 0 {
			break
		}
		time.Sleep(sentPoll)
	}
	resetOnClose(rc)
	st.unread.Add(uint64(n))
	log.Warn("closing connection at the stop with input not read yet: reset, so that the client does not take its echo for whole",
		"remote", addrString(remote), "unread_bytes", n)
	return true
}

// discardedAtStop counts and logs the n bytes a client sent after the
// server shut down its side at a stop, read and dropped.
func discardedAtStop(st *counters, log *slog.Logger, remote net.Addr, n int64) {
	if n <= 0 {
		return
	}
	st.unread.Add(uint64(n))
	log.Warn("dropped input sent after the stop", "remote", addrString(remote), "unread_bytes", n)
}

// resetOnClose has the connection reset when it is closed: a close after
// an echo cut short must not look like a clean end.
func resetOnClose(rc syscall.RawConn) {
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	})
}

// oobSlack is how many bytes of a FIONREAD on a socket of network may be
// an out-of-band byte that no read returns: Linux queues MSG_OOB on a Unix
// socket; TCP reads urgent data inline or not at all.
func oobSlack(network string) int {
	if network == "unix" {
		return 1
	}
	return 0
}
