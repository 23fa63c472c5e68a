//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package server

import "golang.org/x/sys/unix"

// fionread is FIONREAD, _IOR('f', 127, int), the same on every BSD.
const fionread = 0x4004667f

// unreadBytes is how many bytes wait unread in the socket's receive queue.
func unreadBytes(fd int) (int, error) { return unix.IoctlGetInt(fd, fionread) }

// unsentBytes would be how many bytes the socket's send queue holds that
// the peer has not acknowledged yet; the BSDs name it differently each
// (FIONWRITE, SO_NWRITE), so it says none: a reset at a stop there does not
// wait for the replies already written to arrive.
func unsentBytes(int) (int, error) { return 0, nil }
