package server

import "errors"

// writeWatch tells an event loop when sockets whose buffers were full can
// take more, which gnet v2.9.7 never does: without it, a blocked connection
// would have to be retried on a timer, a syscall per blocked connection per
// tick for as long as its client does not read. Each loop has its own,
// waited on by one goroutine.
type writeWatch interface {
	// arm reports fd once, the next time it is writable. registered says
	// that fd was armed before and not disarmed since.
	arm(fd int, registered bool) error
	// disarm forgets fd; call it before fd is closed.
	disarm(fd int)
	// wait blocks until some armed descriptors are writable and appends
	// them to buf, or returns errWatchStopped once stop was called.
	wait(buf []int) ([]int, error)
	// stop makes wait return errWatchStopped, now and from then on. Any
	// goroutine may call it, more than once.
	stop()
	// close frees the watcher once wait has returned for good.
	close()
}

var errWatchStopped = errors.New("writability watcher stopped")
