package load

import (
	"bytes"
	"math/bits"
	"net"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// What the driver (runLocal) and the generator of one process share: the
// run's state and clock, the generator's contract, and its tallies.

// Phases as runState.phase holds them.
const (
	phaseConnect int32 = iota
	phaseWarmup
	phaseRun
	phaseDrain
)

// runState is the state one process's generator shares with the driver.
type runState struct {
	cfg  *Config
	pay  *payload
	pace pacer
	// chunk is the messages a stream connection without a window writes
	// at once.
	chunk  int
	phase  atomic.Int32
	errors errorCounts

	// live counts connections taken over that have not finished (drained or
	// failed), plus one held by the driver until traffic starts; finished
	// is closed when it reaches zero.
	live     atomic.Int64
	finished chan struct{}
	once     sync.Once

	// windowFrom and windowTo, when windowTo is set (Config.StartAt), are
	// the measured time on now()'s clock. What completes in it is measured
	// whenever the driver wakes to change phase: a generator host short of
	// CPU wakes it late (50-160 ms was seen here under load), and shards'
	// windows must agree as well as their clocks do, not their schedulers.
	windowFrom, windowTo atomic.Int64
}

func newRun(cfg *Config) *runState {
	r := &runState{
		cfg:      cfg,
		pay:      newPayload(cfg.Size, max(cfg.Window, StreamChunk)),
		pace:     newPacer(cfg.Rate),
		chunk:    max(StreamChunk/cfg.Size, 1),
		finished: make(chan struct{}),
	}
	r.live.Store(1)
	return r
}

// measuring reports whether what completes at at is measured.
func (r *runState) measuring(at int64) bool {
	ph := r.phase.Load()
	if to := r.windowTo.Load(); to != 0 {
		return (ph == phaseWarmup || ph == phaseRun) && at >= r.windowFrom.Load() && at < to
	}
	return ph == phaseRun
}

// unwindowed reports whether connections stream without a window.
func (r *runState) unwindowed() bool { return r.cfg.Mode == Stream && r.cfg.Window == 0 }

// sending reports whether connections may send new messages.
func (r *runState) sending() bool { return r.phase.Load() < phaseDrain }

// finish is called once for each connection taken over, when it has drained
// or failed.
func (r *runState) finish() {
	if r.live.Add(-1) == 0 {
		r.once.Do(func() { close(r.finished) })
	}
}

// fail counts an error of the given kind.
func (r *runState) fail(kind string) { r.errors.add(kind) }

// generator drives the connections of one process. Its methods are called in
// order: add for each connection dialed (concurrently), then start once,
// then drain once, then stop once.
type generator interface {
	// add takes over an established connection, the i-th of this process.
	add(c net.Conn, i int) error
	// start begins traffic on every connection added.
	start()
	// drain tells every connection to send nothing more and to finish once
	// it has had back everything it is owed.
	drain()
	// stop counts whatever is still owed as a timeout, closes every
	// connection and returns once the generator has stopped.
	stop()
	// tallies are the measurements, read after stop.
	tallies() []*tally
}

// tally is what one event loop, or one tallyShard of the goroutine
// generator's connections, measured. Its plain fields belong to one
// goroutine at a time (an event loop, or whoever holds the tallyShard's
// lock); messagesSeen and recent are read by the progress reporter.
type tally struct {
	hist          *hdr.Histogram // from the intended send time
	histSent      *hdr.Histogram // from the actual send
	messages      uint64         // completed in the measured time
	bytesSent     uint64         // written in the measured time
	bytesReceived uint64         // verified in the measured time
	// messagesSeen counts every completed message, warm-up included, for
	// progress.
	messagesSeen atomic.Uint64
	// recent counts every latency, warm-up included, for progress's
	// RecentP99, which takes them.
	recent latencyCounts
	_      [64]byte // keep neighbouring tallies off this cache line
}

func newTally() *tally { return &tally{hist: newHistogram(), histSent: newHistogram()} }

// epoch anchors now, so that times are plain monotonic nanoseconds.
var epoch = time.Now()

// now is monotonic nanoseconds since epoch.
func now() int64 { return int64(time.Since(epoch)) }

// payload is what every connection sends and expects back. Its buffers are
// read-only once made, so all connections share one.
//
// A connection's byte stream is its messages back to back, each the same
// Size bytes, so the byte at stream offset k is message[k%Size] and the reply
// byte expected there is Upper(message)[k%Size]: checking a reply needs no
// record of what was sent, only how far the reply has got.
type payload struct {
	size int
	// out is the message repeated to hold at least one window: any run of
	// whole messages a connection writes at once is out[:n*size].
	out []byte
	// want is Upper(out) with one more message, so that any chunk starting
	// at a message offset below size compares against one slice of it.
	want []byte
}

// newPayload makes the payload for messages of size bytes written at most
// window bytes at a time.
func newPayload(size, window int) *payload {
	msg := message(size)
	n := (max(window, size) + size - 1) / size // messages in out
	out := bytes.Repeat(msg, n)
	want := codec.Upper(bytes.Repeat(msg, n+1))
	return &payload{size: size, out: out, want: want}
}

// message is codec.Message repeated or cut to size bytes.
func message(size int) []byte {
	m := bytes.Repeat([]byte(codec.Message), size/len(codec.Message)+1)
	return m[:size]
}

// messages is n whole messages to write.
func (p *payload) messages(n int) []byte { return p.out[:n*p.size] }

// check reports whether b is the reply expected at stream offset off.
func (p *payload) check(off uint64, b []byte) bool {
	o := int(off % uint64(p.size))
	step := len(p.want) - p.size // the most one comparison can cover from any o
	for len(b) > 0 {
		n := min(len(b), step)
		if !bytes.Equal(b[:n], p.want[o:o+n]) {
			return false
		}
		b = b[n:]
		o = (o + n) % p.size
	}
	return true
}

// Progress.RecentP99 comes from counts of latencies in buckets an eighth of
// a power of two wide: coarse beside Result's HDR histograms, but a bucket
// is one atomic add, so that a connection's owner can count as replies come
// back while the progress reporter takes the counts, without a lock.
const (
	subBucketBits  = 3
	latencyBuckets = (64 - subBucketBits + 1) << subBucketBits
)

// latencyCounts counts latencies by bucket (bucketOf).
type latencyCounts [latencyBuckets]atomic.Uint64

// add counts one latency.
func (c *latencyCounts) add(d time.Duration) { c[bucketOf(int64(d))].Add(1) }

// takeInto adds the counts to sum and sets them to zero.
func (c *latencyCounts) takeInto(sum *[latencyBuckets]uint64) {
	for i := range c {
		if n := c[i].Swap(0); n > 0 {
			sum[i] += n
		}
	}
}

// bucketOf is the bucket of ns nanoseconds: the values below 8 each have
// their own, and each power of two above is cut into eight.
func bucketOf(ns int64) int {
	if ns < 1<<subBucketBits {
		return int(max(ns, 0))
	}
	e := bits.Len64(uint64(ns)) - 1 // ns is in [2^e, 2^(e+1))
	sub := int(ns>>(e-subBucketBits)) & (1<<subBucketBits - 1)
	return (e-subBucketBits+1)<<subBucketBits | sub
}

// bucketTop is the highest value of bucket b, in nanoseconds.
func bucketTop(b int) int64 {
	if b < 1<<subBucketBits {
		return int64(b)
	}
	e := b>>subBucketBits + subBucketBits - 1
	sub := int64(b & (1<<subBucketBits - 1))
	width := int64(1) << (e - subBucketBits)
	return (1<<subBucketBits+sub)*width + width - 1
}
