//go:build !linux

package server

import "golang.org/x/sys/unix"

// releasePages lets the system take a free chunk's pages back (the BSDs
// and macOS keep MADV_DONTNEED pages resident).
const releasePages = unix.MADV_FREE
