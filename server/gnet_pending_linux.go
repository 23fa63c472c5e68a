package server

import "golang.org/x/sys/unix"

// unreadBytes is how many bytes wait unread in the socket's receive queue.
func unreadBytes(fd int) (int, error) { return unix.IoctlGetInt(fd, unix.SIOCINQ) }
