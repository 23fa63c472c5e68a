package load

import (
	"time"
)

// pacer spaces the messages of each connection Config.Rate a second apart.
// It keeps no state per connection but the time the connection's next
// message is due, so the gnet generator can pace thousands of connections
// from one ticker per event loop instead of a timer per connection.
//
// It is a fixed schedule, as wrk2's: each message moves a connection's due
// time on by one interval, whenever it actually goes. A connection that
// falls behind (a slow reply) sends what it owes as soon as it may, and each
// message's latency is taken from its place in the schedule, so a stalled
// server shows in the latency instead of in fewer messages sent
// (coordinated omission).
type pacer struct {
	interval int64 // nanoseconds between messages; 0 means no cap
}

func newPacer(rate float64) pacer {
	if rate <= 0 {
		return pacer{}
	}
	return pacer{interval: max(int64(float64(time.Second)/rate), 1)}
}

// capped reports whether there is a rate cap at all.
func (p pacer) capped() bool { return p.interval > 0 }

// take returns how many of want messages may go at at, at most want, and
// the time the last of them was due; it moves *due on past them. Uncapped,
// every message is due at once.
func (p pacer) take(due *int64, at int64, want int) (n int, intended int64) {
	if p.interval == 0 {
		return want, at
	}
	if at < *due || want <= 0 {
		return 0, 0
	}
	n = int(min((at-*due)/p.interval+1, int64(want)))
	*due += int64(n) * p.interval
	return n, *due - p.interval
}

// first is connection i's first due time after start: spread evenly over
// one interval so that the connections of a run do not all fire at once.
func (p pacer) first(start int64, i int) int64 {
	if p.interval == 0 {
		return start
	}
	// Fibonacci hashing spreads consecutive indices over the interval.
	return start + int64((uint64(i)*0x9E3779B97F4A7C15>>11)%uint64(p.interval))
}

// paceTick is how often an event loop of the gnet generator sends what has
// come due: every connection has its own phase (first), and a tick releases
// only what fell due since the last, so no burst is larger than what is due
// within a millisecond. (Ticks of a quarter interval, up to 20 ms, released
// 400 messages at once at 2,000 connections x 10/s and measured mostly the
// generator's own queue: p50 6.9 ms against 0.29 ms.)
const paceTick = time.Millisecond

// tick is how often an event loop looks for connections that are due:
// paceTick, 0 when there is no cap.
func (p pacer) tick() time.Duration {
	if p.interval == 0 {
		return 0
	}
	return paceTick
}

// onGrid is t rounded up to a multiple of paceTick, when there is a cap.
func (p pacer) onGrid(t int64) int64 {
	if p.interval == 0 {
		return t
	}
	return ceilTo(t, int64(paceTick))
}

// ceilTo is t rounded up to a multiple of step.
func ceilTo(t, step int64) int64 {
	if r := t % step; r != 0 {
		return t - r + step
	}
	return t
}

// wheel holds connections until they are due, in slots one tick wide: a
// timing wheel, so that holding or releasing a connection costs the same
// whatever their number (a list walked every tick cost a cache miss per
// connection per tick: 1.7 µs a message at 10,000 connections and 3
// messages a second). A connection due further ahead than the wheel turns
// comes up early and is simply held again.
type wheel[T any] struct {
	tick  int64 // nanoseconds a slot
	slots [][]T
	next  int64 // the absolute slot index to release next
}

// newWheel makes a wheel of slots tick wide covering about span.
func newWheel[T any](tick, span time.Duration, start int64) *wheel[T] {
	n := min(int(span/tick)+2, 4096)
	return &wheel[T]{tick: int64(tick), slots: make([][]T, n), next: start / int64(tick)}
}

// hold keeps x until due, or until the next release if due has passed: in
// the slot of the first tick at or after due, so that it is released as soon
// as it is due and not a tick before.
func (w *wheel[T]) hold(x T, due int64) {
	i := max(ceilTo(due, w.tick)/w.tick, w.next)
	s := &w.slots[i%int64(len(w.slots))]
	*s = append(*s, x)
}

// release calls f for everything held in the slots up to at. What f holds
// again goes into a later slot.
func (w *wheel[T]) release(at int64, f func(T)) {
	for w.next <= at/w.tick {
		s := &w.slots[w.next%int64(len(w.slots))]
		w.next++
		xs := *s
		*s = nil
		for _, x := range xs {
			f(x)
		}
		if len(*s) == 0 { // nothing held again here: keep the array
			clear(xs)
			*s = xs[:0]
		}
	}
}
