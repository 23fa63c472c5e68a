// Package engine names the two ways upcase-gnet runs many connections. The
// server comes in both (server.Config.Engine) and so does the load generator
// (load.Config.Generator), and compare runs one against the other.
//
// It also names the two minimal reference servers of package floor,
// BareGnet and BareGoroutine, which serve can run (ParseServe) and the
// benchmarks measure beside the engines. They are not engines: All and
// Parse leave them out.
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

	// BareGnet is the minimal gnet server of package floor (floor.Gnet),
	// the floor the Gnet engine is measured against. Only serve runs it.
	BareGnet Name = "bare-gnet"
	// BareGoroutine is the minimal goroutine-per-connection server of
	// package floor (floor.Goroutine), the floor of the Goroutine engine.
	// Only serve runs it.
	BareGoroutine Name = "bare-goroutine"
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

// Floors returns the two minimal reference servers, each after the engine
// it is the floor of: BareGnet, BareGoroutine.
func Floors() []Name { return []Name{BareGnet, BareGoroutine} }

// IsFloor says whether n names one of the minimal reference servers.
func IsFloor(n Name) bool { return n == BareGnet || n == BareGoroutine }

// ParseServe is Parse for what serve can run: either engine, or either
// minimal reference server (Floors).
func ParseServe(name string) (Name, error) {
	if n := Name(name); IsFloor(n) {
		return n, nil
	}
	if n, err := Parse(name); err == nil {
		return n, nil
	}
	return "", fmt.Errorf("unknown engine %q (want %q, %q, %q or %q)", name, Gnet, Goroutine, BareGnet, BareGoroutine)
}
