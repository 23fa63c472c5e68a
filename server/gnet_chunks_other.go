//go:build !linux

package server

import "golang.org/x/sys/unix"

const releasePages = unix.MADV_FREE // MADV_DONTNEED pages stay resident here
