package server

import "golang.org/x/sys/unix"

// peerShutWrite reports whether the peer of socket fd has shut down its
// sending side, whatever input still waits unread before its end: POLLRDHUP
// is set once a TCP FIN is taken in order, or a Unix peer shuts down.
func peerShutWrite(fd int) bool {
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
	n, err := unix.Poll(p, 0)
	return err == nil && n == 1 && p[0].Revents&(unix.POLLRDHUP|unix.POLLHUP) != 0
}
