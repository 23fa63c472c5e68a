package server

// connList is an event loop's open connections, for the idle sweep: a
// list through the connections themselves, so that none costs a timer.
type connList struct{ head *gconn }

func (l *connList) link(gc *gconn) {
	gc.next = l.head
	if l.head != nil {
		l.head.prev = gc
	}
	l.head = gc
}

func (l *connList) unlink(gc *gconn) {
	if gc.prev != nil {
		gc.prev.next = gc.next
	} else if l.head == gc {
		l.head = gc.next
	}
	if gc.next != nil {
		gc.next.prev = gc.prev
	}
	gc.prev, gc.next = nil, nil
}
