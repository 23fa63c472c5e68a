//go:build linux

package client

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketQueues reads how many bytes c's kernel buffers hold in each
// direction. In the deadlock both are large: that is the evidence that
// each side is waiting on a full buffer, not on a slow peer.
func socketQueues(c net.Conn) (SocketQueues, bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return SocketQueues{}, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return SocketQueues{}, false
	}
	var q SocketQueues
	var inErr, outErr error
	if err := raw.Control(func(fd uintptr) {
		q.Unread, inErr = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
		q.Unsent, outErr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	}); err != nil || inErr != nil || outErr != nil {
		return SocketQueues{}, false
	}
	return q, true
}
