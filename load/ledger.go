package load

import (
	"time"
)

// ledger is one connection's account of its traffic, the same for both
// generators: what it wrote and when, what came back and whether it was
// right. Pingpong is the case of a ledger that writes only when it is owed
// nothing, one message at a time.
type ledger struct {
	sent uint64 // bytes written
	recv uint64 // bytes back, verified
	// since is when the connection last made progress while owed bytes: its
	// first write after owing nothing, or its last read. A reply overdue
	// by Config.Timeout from it is a timeout.
	since int64
	// due is when the pacer lets the next message go.
	due     int64
	batches batchRing

	// Measured: what completed while the run was measuring.
	messages      uint64
	bytesSent     uint64
	bytesReceived uint64
}

// owed is the bytes written that have not come back yet.
func (l *ledger) owed() uint64 { return l.sent - l.recv }

// room is how many whole messages may be written now, before pacing:
// pingpong writes one when owed nothing; stream refills its window once at
// least half of it has come back, so that writes are few and large; a
// stream without a window may write a chunk while owed less than
// MaxInFlight, and the generator writes it when the socket takes more.
func (l *ledger) room(r *runState) int {
	owed := l.owed()
	if r.cfg.Mode == PingPong {
		if owed == 0 {
			return 1
		}
		return 0
	}
	if r.cfg.Window == 0 {
		if owed >= MaxInFlight {
			return 0
		}
		return r.chunk
	}
	w := uint64(r.cfg.Window)
	if owed > w/2 {
		return 0
	}
	return int((w - owed) / uint64(r.cfg.Size))
}

// next is how many messages to write now, paced, at most room, and when the
// last of them was due: 0 means wait (for bytes back, or for the pacer if
// due is later than at).
func (l *ledger) next(r *runState, at int64) (int, int64) {
	room := l.room(r)
	if room == 0 || !r.sending() {
		return 0, 0
	}
	return r.pace.take(&l.due, at, room)
}

// wrote records n messages written at at, the last of them intended for
// intended (see pacer.take). Call it just before writing, so that the reply
// cannot be read before its send time is known.
func (l *ledger) wrote(r *runState, n int, at, intended int64) {
	if l.owed() == 0 {
		l.since = at
	}
	b := uint64(n * r.cfg.Size)
	l.sent += b
	l.batches.push(l.sent, at, min(intended, at))
	if r.measuring(at) {
		l.bytesSent += b
	}
}

// received checks b, the next bytes back, at at, and records each write
// whose last byte it completes in t's histograms. It returns the messages
// it completed, and false if b is not what was owed (nothing is recorded
// then).
func (l *ledger) received(r *runState, b []byte, at int64, t *tally) (int, bool) {
	if uint64(len(b)) > l.owed() || !r.pay.check(l.recv, b) {
		return 0, false
	}
	size := uint64(r.cfg.Size)
	done := (l.recv+uint64(len(b)))/size - l.recv/size
	l.recv += uint64(len(b))
	l.since = at
	measuring := r.measuring(at)
	for l.batches.n > 0 && l.batches.oldest().end <= l.recv {
		w := l.batches.oldest()
		t.recent.add(time.Duration(at - w.intended))
		if measuring {
			record(t.hist, time.Duration(at-w.intended))
			record(t.histSent, time.Duration(at-w.at))
		}
		l.batches.pop()
	}
	if measuring {
		l.messages += done
		l.bytesReceived += uint64(len(b))
	}
	return int(done), true
}

// overdue reports whether bytes owed have made no progress for Timeout.
func (l *ledger) overdue(r *runState, at int64) bool {
	return l.owed() > 0 && at-l.since > int64(r.cfg.Timeout)
}

// streamLowat is how many bytes a stream connection without a window lets
// queue before the kernel wakes its loop. A goroutine-engine server writes
// a KiB at a time, and a loop woken for each KiB spent 10 times the CPU per
// byte it spent against the gnet engine and became the bottleneck.
const streamLowat = 16 << 10

// rcvLowat is the SO_RCVLOWAT a stream connection without a window keeps on
// its socket: streamLowat, or what it is owed if less (at least 1), so that
// the last bytes owed still wake its reader.
func (l *ledger) rcvLowat() int { return int(min(uint64(streamLowat), max(l.owed(), 1))) }

// addTo adds the measured counts to t.
func (l *ledger) addTo(t *tally) {
	t.messages += l.messages
	t.bytesSent += l.bytesSent
	t.bytesReceived += l.bytesReceived
	l.messages, l.bytesSent, l.bytesReceived = 0, 0, 0
}

// batch is one write: the stream offset just past it, when it was made and
// when its last message was meant to go.
type batch struct {
	end      uint64
	at       int64
	intended int64
}

// batchRing holds a connection's writes not yet wholly back. It is small
// and fixed: when it is full a write joins the newest batch, keeping that
// batch's earlier time, so latency is then over- rather than under-stated.
// The stream window makes that rare (a refill needs half the window back).
type batchRing struct {
	b    [8]batch
	head int
	n    int
}

func (q *batchRing) push(end uint64, at, intended int64) {
	if q.n == len(q.b) {
		q.b[(q.head+q.n-1)%len(q.b)].end = end
		return
	}
	q.b[(q.head+q.n)%len(q.b)] = batch{end: end, at: at, intended: intended}
	q.n++
}

func (q *batchRing) oldest() batch { return q.b[q.head] }

func (q *batchRing) pop() {
	q.head = (q.head + 1) % len(q.b)
	q.n--
}
