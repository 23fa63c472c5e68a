package load

import (
	"testing"
	"time"
)

func TestPacerTake(t *testing.T) {
	t.Parallel()
	p := newPacer(1000) // one message a millisecond
	ms := int64(time.Millisecond)
	due := int64(0)
	if got, at := p.take(&due, 0, 5); got != 1 || at != 0 {
		t.Errorf("at the due time: take = %d, %d; want 1, 0", got, at)
	}
	if got, _ := p.take(&due, ms/2, 5); got != 0 {
		t.Errorf("before the next due time: take = %d, want 0", got)
	}
	// Far behind schedule, a connection sends what it owes, each message
	// still due at its place in the schedule.
	if got, at := p.take(&due, 100*ms, 5); got != 5 || at != 5*ms {
		t.Errorf("behind: take = %d, last due %d; want 5, %d", got, at, 5*ms)
	}
	if got, want := due, 6*ms; got != want {
		t.Errorf("due = %d, want %d", got, want)
	}
	if got, at := newPacer(0).take(&due, 42, 7); got != 7 || at != 42 {
		t.Errorf("uncapped: take = %d, %d; want 7, 42", got, at)
	}
	// First due times spread over one interval.
	seen := map[int64]bool{}
	for i := range 100 {
		f := p.first(5*ms, i)
		if f < 5*ms || f >= 6*ms {
			t.Fatalf("first(%d) = %d, outside [5ms, 6ms)", i, f)
		}
		seen[f/(ms/10)] = true
	}
	if len(seen) < 8 {
		t.Errorf("first due times fall in %d of 10 tenths of the interval, want spread", len(seen))
	}
}

func TestWheel(t *testing.T) {
	t.Parallel()
	const tick = int64(time.Millisecond)
	w := newWheel[int64](time.Millisecond, 10*time.Millisecond, 0)
	// Each item is its own due time; one is far beyond the wheel's span.
	items := []int64{0, 3 * tick / 2, 5 * tick, 9 * tick, 500 * tick}
	for _, due := range items {
		w.hold(due, due)
	}
	released := map[int64]int64{}
	for now := int64(0); now <= 600*tick; now += tick / 3 {
		w.release(now, func(due int64) {
			if due > now {
				w.hold(due, due) // not yet: as the generator does
				return
			}
			if _, dup := released[due]; dup {
				t.Errorf("item %d released twice", due)
			}
			released[due] = now
		})
	}
	for _, due := range items {
		at, ok := released[due]
		switch {
		case !ok:
			t.Errorf("item due at %d never released", due)
		case at < due || at > due+tick:
			t.Errorf("item due at %d released at %d, want within a tick after", due, at)
		}
	}
}

// TestEvenPacing simulates the gnet generator's pacing of 2,000 pingpong
// connections at 10 messages/s each: every connection its own phase, and
// no tick releasing much more than the 20 messages due in a millisecond
// (the ticks of a quarter interval released 400 at once).
func TestEvenPacing(t *testing.T) {
	t.Parallel()
	const conns, rate = 2000, 10
	p := newPacer(rate)
	tick := int64(p.tick())
	if tick != int64(time.Millisecond) {
		t.Fatalf("tick = %v, want 1ms", time.Duration(tick))
	}
	start := int64(5 * time.Second) // anywhere on the clock
	w := newWheel[int](p.tick(), time.Duration(p.interval), start)
	due := make([]int64, conns)
	phases := map[int64]int{}
	for i := range due {
		due[i] = p.first(start, i)
		phases[due[i]]++
		w.hold(i, due[i])
	}
	if len(phases) < conns*99/100 {
		t.Errorf("%d distinct phases among %d connections, want one each", len(phases), conns)
	}
	perTick := float64(conns) * rate * float64(tick) / 1e9 // 20
	most, sent := 0, 0
	for at := start; at < start+int64(2*time.Second); at += tick {
		n := 0
		w.release(at, func(i int) {
			k, intended := p.take(&due[i], at, 1)
			if k != 1 {
				t.Fatalf("connection %d released at %d before its due time %d", i, at, due[i])
			}
			if late := at - p.onGrid(intended); late != 0 {
				t.Fatalf("connection %d sent %d ns after its tick", i, late)
			}
			n++
			w.hold(i, due[i]) // the reply is back at once: hold for the next
		})
		most, sent = max(most, n), sent+n
	}
	if want := conns * rate * 2; sent < want-conns || sent > want+conns {
		t.Errorf("%d messages in 2 s, want about %d", sent, want)
	}
	if float64(most) > 2.5*perTick {
		t.Errorf("a tick released %d messages, want about the %.0f due in one", most, perTick)
	}
	t.Logf("at most %d messages a tick, %.0f due a tick on average", most, perTick)
}
