package main

// The process-level half of the fault suite (the in-process half is
// server/faults_test.go): faults whose effect is on a whole process, its
// memory, its signals and its open-file limit, against `upcase-gnet serve`
// run as a child. Each asserts what a user cares about: the server keeps
// serving, nothing is lost that should not be, and resources come back.
// Each fault has its file: budget_test.go, stop_test.go, flood_test.go and
// emfile_test.go; their clients are in stream_test.go and their view of the
// child's metrics in scrape_test.go.
//
// The child is built without -race: its memory is what is measured, and
// the race detector multiplies it.

import (
	"testing"
	"time"
)

// faultBound bounds every wait of this suite: a stuck server fails the test
// instead of hanging it.
const faultBound = 20 * time.Second

// TestFaults runs every process-level fault against each engine, in
// parallel, with the binary built once without -race.
func TestFaults(t *testing.T) {
	bin := linuxChild(t, "thousands of connections")
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			for _, fault := range []struct {
				name string
				run  func(t *testing.T, bin, engine string)
			}{
				{"never-reading clients over the budget", testBudgetHogs},              // budget_test.go
				{"SIGTERM while 1000 clients stream", testStopWhileStreaming},          // stop_test.go
				{"flood past the open-file limit", testFlood},                          // flood_test.go
				{"flood with max-conns above the open-file limit", testFloodOverLimit}, // flood_test.go
			} {
				t.Run(fault.name, func(t *testing.T) {
					t.Parallel()
					fault.run(t, bin, engine)
				})
			}
		})
	}
}
