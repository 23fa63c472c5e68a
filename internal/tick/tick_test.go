package tick

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestEvery: f runs again and again until stop, and never after stop has
// returned; a second stop returns at once.
func TestEvery(t *testing.T) {
	calls, stop := fired(3)
	stop()
	after := calls.Load()
	if after < 3 {
		t.Fatalf("%d calls before stop, want at least 3", after)
	}
	// Another ticker of the same period, started after stop returned,
	// fires several times: had the stopped one been running still, it
	// would have called f meanwhile.
	_, stopOther := fired(5)
	stopOther()
	if got := calls.Load(); got != after {
		t.Fatalf("f ran %d times after stop returned", got-after)
	}
	stop()
}

// fired starts a ticker of 1ms that counts its calls, and returns the
// count and its stop once it has been called n times.
func fired(n int64) (*atomic.Int64, func()) {
	calls := new(atomic.Int64)
	reached := make(chan struct{})
	stop := Every(time.Millisecond, func() {
		if calls.Add(1) == n {
			close(reached)
		}
	})
	<-reached
	return calls, stop
}
