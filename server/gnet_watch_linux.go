package server

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// epollWatch is a writeWatch on an epoll instance of its own: one-shot
// EPOLLOUT per blocked socket, and an eventfd to stop the wait.
type epollWatch struct {
	epfd, evfd int
	events     []unix.EpollEvent
}

func newWriteWatch() (writeWatch, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	return &epollWatch{epfd: epfd, evfd: evfd, events: make([]unix.EpollEvent, 128)}, nil
}

func (w *epollWatch) arm(fd int, registered bool) error {
	// EPOLLOUT fires once a third of the send buffer is free, not for
	// every byte the client reads.
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: int32(fd)}
	op := unix.EPOLL_CTL_ADD
	if registered {
		op = unix.EPOLL_CTL_MOD
	}
	err := unix.EpollCtl(w.epfd, op, fd, &ev)
	switch {
	case errors.Is(err, unix.EEXIST):
		err = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
	case errors.Is(err, unix.ENOENT):
		err = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	}
	if err != nil {
		return fmt.Errorf("watch writability: %w", err)
	}
	return nil
}

func (w *epollWatch) disarm(fd int) {
	_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, fd, nil)
}

func (w *epollWatch) wait(buf []int) ([]int, error) {
	for {
		n, err := unix.EpollWait(w.epfd, w.events, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return buf, fmt.Errorf("epoll_wait: %w", err)
		}
		for _, ev := range w.events[:n] {
			if int(ev.Fd) == w.evfd {
				return buf, errWatchStopped
			}
			buf = append(buf, int(ev.Fd))
		}
		if len(buf) > 0 {
			return buf, nil
		}
	}
}

func (w *epollWatch) stop() {
	one := [8]byte{1}
	_, _ = unix.Write(w.evfd, one[:])
}

func (w *epollWatch) close() {
	unix.Close(w.epfd)
	unix.Close(w.evfd)
}
