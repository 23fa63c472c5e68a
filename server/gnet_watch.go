package server

import "errors"

// writeWatch reports full sockets once they can take more, which gnet never does.
type writeWatch interface {
	arm(fd int, registered bool) error // reports fd once; registered: armed before
	disarm(fd int)
	wait(buf []int) ([]int, error)
	stop() // from any goroutine: wait returns errWatchStopped from then on
	close()
}

var errWatchStopped = errors.New("writability watcher stopped")
