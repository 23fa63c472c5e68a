package compare

import "time"

// procSample is one reading of a process from the operating system.
type procSample struct {
	RSS     int64         // resident set now, bytes
	PeakRSS int64         // highest resident set so far, bytes
	CPU     time.Duration // user+system time so far
}
