package testkit

import (
	"context"
	"testing"
	"time"
)

// Service is the lifecycle that the server and the metrics endpoint share:
// started with a context, stopped by cancelling it, Done closed once it has
// stopped and Wait saying how.
type Service interface {
	Done() <-chan struct{}
	Wait() error
}

// Start starts a service for the test: start is called with a context that
// the test's end cancels, after which the test waits at most stopBound for
// the service to be done and fails if it is not, or if Wait reports an
// error. The cancel is returned for tests of the stop itself; a failed
// start fails the test.
func Start[S Service](t testing.TB, stopBound time.Duration, start func(context.Context) (S, error)) (S, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := start(ctx)
	if err != nil {
		cancel()
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.Done():
			if err := s.Wait(); err != nil {
				t.Errorf("Wait after stop: %v", err)
			}
		case <-time.After(stopBound):
			t.Errorf("still running %v after its stop", stopBound)
		}
	})
	return s, cancel
}
