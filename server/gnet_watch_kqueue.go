//go:build darwin || dragonfly || freebsd

package server

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// kqueueWatch is a writeWatch on a kqueue of its own: a one-shot
// EVFILT_WRITE per blocked socket, and an EVFILT_USER event to stop the
// wait, so that a blocked connection costs nothing until it can write.
type kqueueWatch struct {
	kq     int
	events []unix.Kevent_t
}

// stopIdent identifies the EVFILT_USER event that stops the wait.
const stopIdent = 0

func newWriteWatch() (writeWatch, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, fmt.Errorf("kqueue: %w", err)
	}
	unix.CloseOnExec(kq)
	ev := []unix.Kevent_t{{Ident: stopIdent, Filter: unix.EVFILT_USER, Flags: unix.EV_ADD}}
	if _, err := unix.Kevent(kq, ev, nil, nil); err != nil {
		unix.Close(kq)
		return nil, fmt.Errorf("kevent: %w", err)
	}
	return &kqueueWatch{kq: kq, events: make([]unix.Kevent_t, 128)}, nil
}

func (w *kqueueWatch) arm(fd int, _ bool) error {
	ev := make([]unix.Kevent_t, 1)
	unix.SetKevent(&ev[0], fd, unix.EVFILT_WRITE, unix.EV_ADD|unix.EV_ONESHOT)
	if _, err := unix.Kevent(w.kq, ev, nil, nil); err != nil {
		return fmt.Errorf("kevent: %w", err)
	}
	return nil
}

func (w *kqueueWatch) disarm(fd int) {
	// A one-shot event that fired is gone already (ENOENT).
	ev := make([]unix.Kevent_t, 1)
	unix.SetKevent(&ev[0], fd, unix.EVFILT_WRITE, unix.EV_DELETE)
	_, _ = unix.Kevent(w.kq, ev, nil, nil)
}

func (w *kqueueWatch) wait(buf []int) ([]int, error) {
	for {
		n, err := unix.Kevent(w.kq, nil, w.events, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return buf, fmt.Errorf("kevent: %w", err)
		}
		for _, ev := range w.events[:n] {
			if ev.Filter == unix.EVFILT_USER {
				return buf, errWatchStopped
			}
			buf = append(buf, int(ev.Ident))
		}
		if len(buf) > 0 {
			return buf, nil
		}
	}
}

func (w *kqueueWatch) stop() {
	// Added without EV_CLEAR, it stays triggered: every later wait returns.
	ev := []unix.Kevent_t{{Ident: stopIdent, Filter: unix.EVFILT_USER, Fflags: unix.NOTE_TRIGGER}}
	_, _ = unix.Kevent(w.kq, ev, nil, nil)
}

func (w *kqueueWatch) close() { unix.Close(w.kq) }
