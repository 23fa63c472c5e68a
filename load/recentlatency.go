package load

import (
	"math/bits"
	"sync/atomic"
	"time"
)

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

// recentLatency keeps the counts of the last second of progress intervals,
// for Progress.RecentP99: one slot an interval, the oldest replaced by the
// newest.
type recentLatency struct {
	slots [time.Second / progressEvery][latencyBuckets]uint64
	next  int
}

// p99 takes the counts of ts into the newest slot and returns the p99 of
// the last second in microseconds, to the top of its bucket; 0 if no
// latency was counted in it.
func (r *recentLatency) p99(ts []*tally) float64 {
	slot := &r.slots[r.next]
	r.next = (r.next + 1) % len(r.slots)
	*slot = [latencyBuckets]uint64{}
	for _, t := range ts {
		t.recent.takeInto(slot)
	}
	var sum [latencyBuckets]uint64
	var total uint64
	for i := range r.slots {
		for b, n := range r.slots[i] {
			sum[b] += n
			total += n
		}
	}
	if total == 0 {
		return 0
	}
	rank := total - total/100 // the count at or below the p99, at least 1
	var seen uint64
	for b, n := range sum {
		if seen += n; seen >= rank {
			return float64(bucketTop(b)) / 1e3
		}
	}
	return float64(bucketTop(latencyBuckets-1)) / 1e3
}
