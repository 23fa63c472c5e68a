package testkit

import (
	"testing"
	"time"
)

// Poll calls cond every 5ms until it holds or bound has passed, and says
// whether it held. Counters and logs move on other goroutines or in other
// processes after the effect a test saw: Poll waits for them, bounded, so
// that a stuck server fails the test instead of hanging it.
func Poll(bound time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// WaitFor polls check, which says what is still wrong or "", for at most
// bound, and fails the test with the last wrong, naming what it waited for.
func WaitFor(t testing.TB, bound time.Duration, what string, check func() string) {
	t.Helper()
	var wrong string
	if !Poll(bound, func() bool { wrong = check(); return wrong == "" }) {
		t.Fatalf("waiting %v for %s: %s", bound, what, wrong)
	}
}
