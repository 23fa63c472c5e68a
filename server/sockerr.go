package server

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// socketError returns the socket's pending error (SO_ERROR), such as
// ECONNRESET after the peer reset the connection, or nil.
func socketError(fd int) error {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil || n == 0 {
		return nil
	}
	return syscall.Errno(n)
}
