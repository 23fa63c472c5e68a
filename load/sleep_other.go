//go:build !linux

package load

import "time"

// preciseSleep is time.Sleep where nanosleep is not wired up here.
func preciseSleep(d time.Duration) { time.Sleep(d) }
