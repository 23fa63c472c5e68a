package server

import "golang.org/x/sys/unix"

const releasePages = unix.MADV_DONTNEED // the resident size drops at once
