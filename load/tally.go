package load

import (
	"sync/atomic"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

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
