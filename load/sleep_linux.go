package load

import (
	"syscall"
	"time"
)

// preciseSleep sleeps for d in the kernel (nanosleep), which wakes within
// tens of microseconds where a Go timer under a millisecond may wait for the
// runtime's next whole-millisecond poll.
func preciseSleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
