package server

// writeWaits is one loop's watcher and what each armed socket belongs to.
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

func (w *writeWaits[T]) arm(fd int, registered bool, v T) error {
	if err := w.watch.arm(fd, registered); err != nil {
		return err
	}
	w.waiting[fd] = v
	return nil
}

func (w *writeWaits[T]) disarm(fd int) {
	w.watch.disarm(fd)
	delete(w.waiting, fd)
}

func (w *writeWaits[T]) at(fd int) T { return w.waiting[fd] }

// resumed forgets fd, reported writable: it is no longer armed.
func (w *writeWaits[T]) resumed(fd int) { delete(w.waiting, fd) }
