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

// fdsPerLoop is what one gnet event loop holds: gnet's poller and its
// wake-up descriptor, and the engine's writability watcher and its own
// (gnet_watch_linux.go).
const fdsPerLoop = 4

// gnetMaxLoops is the most event loops the open-file limit allows: their
// descriptors may take at most half of what DefaultMaxConns leaves.
func gnetMaxLoops() int {
	return max(DefaultMaxConns()/(2*fdsPerLoop)-1, 1)
}

// gnetMaxConns is DefaultMaxConns less what loops event loops hold, and one
// loop more: gnet's acceptor loop with the listener nobody reaches (gnet.go,
// run).
func gnetMaxConns(loops int) int {
	return max(DefaultMaxConns()-fdsPerLoop*(loops+1), 1)
}
