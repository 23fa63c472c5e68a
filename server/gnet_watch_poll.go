package server

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// pollWatch is the portable writeWatch, for the BSDs without EVFILT_USER:
// poll(2) over the armed descriptors, 10 ms at a time so that newly armed
// ones join, so its cost grows with the blocked connections. (Linux has
// epollWatch, darwin, FreeBSD and DragonFly kqueueWatch.)
type pollWatch struct {
	mu      sync.Mutex
	armed   map[int]struct{}
	stopped bool
	kick    chan struct{}
	pfds    []unix.PollFd
}

const pollWatchStep = 10 // milliseconds

func newPollWatch() *pollWatch {
	return &pollWatch{armed: make(map[int]struct{}), kick: make(chan struct{}, 1)}
}

func (w *pollWatch) arm(fd int, _ bool) error {
	w.mu.Lock()
	w.armed[fd] = struct{}{}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	return nil
}

func (w *pollWatch) disarm(fd int) {
	w.mu.Lock()
	delete(w.armed, fd)
	w.mu.Unlock()
}

func (w *pollWatch) wait(buf []int) ([]int, error) {
	for {
		w.mu.Lock()
		stopped := w.stopped
		w.pfds = w.pfds[:0]
		for fd := range w.armed {
			w.pfds = append(w.pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLOUT})
		}
		w.mu.Unlock()
		if stopped {
			return buf, errWatchStopped
		}
		if len(w.pfds) == 0 {
			<-w.kick
			continue
		}
		n, err := unix.Poll(w.pfds, pollWatchStep)
		if errors.Is(err, unix.EINTR) || n == 0 {
			continue
		}
		if err != nil {
			return buf, fmt.Errorf("poll: %w", err)
		}
		w.mu.Lock()
		for _, p := range w.pfds {
			if p.Revents != 0 {
				if _, ok := w.armed[int(p.Fd)]; ok {
					delete(w.armed, int(p.Fd))
					buf = append(buf, int(p.Fd))
				}
			}
		}
		w.mu.Unlock()
		if len(buf) > 0 {
			return buf, nil
		}
	}
}

func (w *pollWatch) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *pollWatch) close() {}
