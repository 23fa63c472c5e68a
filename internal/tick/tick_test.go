package tick

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestEvery: f runs again and again until stop, and never after stop has
// returned; a second stop returns at once.
func TestEvery(t *testing.T) {
	var calls atomic.Int64
	reached := make(chan struct{})
	stop := Every(time.Millisecond, func() {
		if calls.Add(1) == 3 {
			close(reached)
		}
	})
	<-reached
	stop()
	after := calls.Load()
	if after < 3 {
		t.Fatalf("%d calls before stop, want at least 3", after)
	}
	// Another ticker of the same period, started after stop returned,
	// fires several times: had the stopped one been running still, it
	// would have called f meanwhile.
	var other atomic.Int64
	seen := make(chan struct{})
	stopOther := Every(time.Millisecond, func() {
		if other.Add(1) == 5 {
			close(seen)
		}
	})
	<-seen
	stopOther()
	if got := calls.Load(); got != after {
		t.Fatalf("f ran %d times after stop returned", got-after)
	}
	stop()
}
