package server

// writeWaits is one event loop's sockets that wait to drain: armed on the
// loop's writability watcher, each with what it belongs to (a connection).
// It knows nothing of connections, so that a connection can arm itself.
type writeWaits[T any] struct {
	watch   writeWatch
	waiting map[int]T
}

func newWriteWaits[T any]() (*writeWaits[T], error) {
	w, err := newWriteWatch()
	if err != nil {
		return nil, err
	}
	return &writeWaits[T]{watch: w, waiting: make(map[int]T)}, nil
}

// arm has the watcher report fd once it can take more; registered says
// that fd was armed before and not disarmed since.
func (w *writeWaits[T]) arm(fd int, registered bool, v T) error {
	if err := w.watch.arm(fd, registered); err != nil {
		return err
	}
	w.waiting[fd] = v
	return nil
}

// disarm forgets fd, before it is closed.
func (w *writeWaits[T]) disarm(fd int) {
	w.watch.disarm(fd)
	delete(w.waiting, fd)
}

// at returns what fd belongs to, or the zero T.
func (w *writeWaits[T]) at(fd int) T { return w.waiting[fd] }

// resumed forgets fd, reported writable: it is no longer armed.
func (w *writeWaits[T]) resumed(fd int) { delete(w.waiting, fd) }
