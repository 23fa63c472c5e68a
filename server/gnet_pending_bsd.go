//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package server

import "golang.org/x/sys/unix"

// fionread is FIONREAD, _IOR('f', 127, int), the same on every BSD.
const fionread = 0x4004667f

// unreadBytes is how many bytes wait unread in the socket's receive queue.
func unreadBytes(fd int) (int, error) { return unix.IoctlGetInt(fd, fionread) }
