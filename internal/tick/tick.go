// Package tick calls a function at a steady pace from a goroutine of its own
// until told to stop: the loop behind load's progress reports and compare's
// samplers.
package tick

import (
	"sync"
	"time"
)

// Every calls f every period, first one period from now, until stop is
// called. stop returns once f is no longer running and will not run again;
// calling it more than once is fine.
func Every(period time.Duration, f func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				f()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		<-done
	}
}
