package load

import (
	"syscall"
	"time"
)

// cpuTime is the user and system CPU this process has used so far, every
// thread included: the generator's own cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// epoch anchors now, so that times are plain monotonic nanoseconds.
var epoch = time.Now()

// now is monotonic nanoseconds since epoch.
func now() int64 { return int64(time.Since(epoch)) }
