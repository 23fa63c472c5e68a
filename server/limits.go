package server

import (
	"syscall"
)

// fdReserve is how many descriptors DefaultMaxConns leaves for everything
// that is not a client connection: listeners, pollers, event fds, log files,
// the metrics endpoint, and the transient duplicates of finishing
// connections.
const fdReserve = 128

// DefaultMaxConns is the open-file limit of this process less a reserve, so
// that accepting a connection never fails for want of a descriptor. (Go
// raises the soft limit to the hard limit at start-up.)
func DefaultMaxConns() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<24 {
		return 1 << 16
	}
	if n := int(rl.Cur) - fdReserve; n > 0 {
		return n
	}
	return 1
}
