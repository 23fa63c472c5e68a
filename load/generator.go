package load

import "net"

// generator drives the connections of one process. Its methods are called in
// order: add for each connection dialed (concurrently), then start once,
// then drain once, then stop once.
type generator interface {
	// add takes over an established connection, the i-th of this process.
	add(c net.Conn, i int) error
	// start begins traffic on every connection added.
	start()
	// drain tells every connection to send nothing more and to finish once
	// it has had back everything it is owed.
	drain()
	// stop counts whatever is still owed as a timeout, closes every
	// connection and returns once the generator has stopped.
	stop()
	// tallies are the measurements, read after stop.
	tallies() []*tally
}
