package server

import "golang.org/x/sys/unix"

// unreadBytes is how many bytes wait unread in the socket's receive queue.
func unreadBytes(fd int) (int, error) { return unix.IoctlGetInt(fd, unix.SIOCINQ) }

// unsentBytes is how many bytes the socket's send queue holds that the
// peer has not acknowledged yet.
func unsentBytes(fd int) (int, error) { return unix.IoctlGetInt(fd, unix.SIOCOUTQ) }
