package server

import "golang.org/x/sys/unix"

// releasePages gives a free chunk's pages back at once: on Linux the
// resident size drops when madvise returns.
const releasePages = unix.MADV_DONTNEED
