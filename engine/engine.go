// Package engine names the two ways upcase-gnet runs many connections. The
// server comes in both (server.Config.Engine) and so does the load generator
// (load.Config.Generator), and compare runs one against the other.
package engine

import "fmt"

// Name names an engine.
type Name string

const (
	// Gnet runs every connection from gnet v2's event loops: a few
	// goroutines, one per loop, each waiting on epoll or kqueue.
	Gnet Name = "gnet"
	// Goroutine runs each connection from its own goroutine with blocking
	// reads and writes on Go's net package, as the original example does.
	Goroutine Name = "goroutine"
)

// All returns both engines, in the order compare runs them and divides
// their figures (the first over the second).
func All() []Name { return []Name{Gnet, Goroutine} }

// Parse turns a name into a Name; what names neither engine is an error.
func Parse(name string) (Name, error) {
	switch n := Name(name); n {
	case Gnet, Goroutine:
		return n, nil
	}
	return "", fmt.Errorf("unknown engine %q (want %q or %q)", name, Gnet, Goroutine)
}
