//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package server

import "golang.org/x/sys/unix"

const fionread = 0x4004667f // FIONREAD, _IOR('f', 127, int), the same on every BSD

func unreadBytes(fd int) (int, error) { return unix.IoctlGetInt(fd, fionread) }
func unsentBytes(int) (int, error)    { return 0, nil } // each BSD names it differently: a stop does not wait for replies to arrive
