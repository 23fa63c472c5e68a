package server

import (
	"sync/atomic"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// Stats is a snapshot of a server's counters. Counters only grow; Open and
// Buffered are gauges.
type Stats struct {
	Engine engine.Name `json:"engine"`
	// Open is the connections open now, including those finishing their
	// echo after the client shut down its side.
	Open int64 `json:"open"`
	// Accepted counts connections admitted; Refused those closed at once
	// because MaxConns were open.
	Accepted uint64 `json:"accepted"`
	Refused  uint64 `json:"refused"`
	// Closed counts finished connections by reason (ClosedRefused excluded).
	Closed map[CloseReason]uint64 `json:"closed"`
	// BytesIn counts bytes read from clients, BytesOut bytes written back.
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
	// Buffered is the bytes held now: input read but not processed, output
	// processed but not sent.
	Buffered int64 `json:"buffered"`
	// Memory is the buffer memory held for those bytes (the gnet engine's
	// chunks in use, a multiple of their size): what Config.MaxMemory
	// bounds. The goroutine engine's per-connection read buffers are not
	// counted.
	Memory int64 `json:"memory"`
	// Parked is the connections not read for now because the server holds
	// Config.MaxMemory (the gnet engine; they are counted in Open).
	Parked int64 `json:"parked"`
	// WriteBlocks counts writes that met a full socket buffer, each one
	// leaving the connection blocked until its socket drains.
	WriteBlocks uint64 `json:"write_blocks"`
	// Undelivered counts bytes read from clients that never went back,
	// each loss logged with its reason (a reset, the budget, the drain
	// deadline).
	Undelivered uint64 `json:"undelivered"`
	// Unread counts bytes clients sent that the server never read because
	// their connection ended first, each logged: at a stop, a connection
	// with input waiting is reset, so that its client does not take the
	// echo it had for whole, and what a client sends after the server shut
	// down its side is read and dropped; a parked client cut by the finish
	// timeout is reset with its input unread.
	Unread uint64 `json:"unread"`
	// Events counts read events processed (OnTraffic calls that processed
	// bytes, or reads on the goroutine engine).
	Events uint64 `json:"events"`
	// AcceptErrors counts accepts that failed (running out of descriptors
	// above all): the engine backs off and serves on, and the client waits
	// in the kernel's backlog meanwhile, neither admitted nor refused. On
	// the gnet engine it also counts connections gnet could not take once
	// admitted (closed and counted as errors).
	AcceptErrors uint64 `json:"accept_errors"`
}

// counters is the live, concurrency-safe form of Stats, shared by both
// engines.
type counters struct {
	engine      engine.Name
	open        atomic.Int64
	accepted    atomic.Uint64
	refused     atomic.Uint64
	closed      [len(closeReasons)]atomic.Uint64
	bytesIn     atomic.Uint64
	bytesOut    atomic.Uint64
	buffered    atomic.Int64
	memory      atomic.Int64
	writeBlocks atomic.Uint64
	parked      atomic.Int64
	undelivered atomic.Uint64
	unread      atomic.Uint64
	events      atomic.Uint64
	acceptErrs  atomic.Uint64
}

func newCounters(e engine.Name) *counters { return &counters{engine: e} }

// close counts a finished connection.
func (c *counters) close(r CloseReason) {
	for i, cr := range closeReasons {
		if cr == r {
			c.closed[i].Add(1)
			return
		}
	}
}

// admit takes a connection slot, or counts a refusal and returns false when
// max connections are open already.
func (c *counters) admit(max int) bool {
	if c.open.Add(1) > int64(max) {
		c.open.Add(-1)
		c.refused.Add(1)
		return false
	}
	c.accepted.Add(1)
	return true
}

// finish counts why a connection closed and gives back the slot admit
// took, in that order: snapshot reads Open first, so that a snapshot with
// no connection open counts every one closed.
func (c *counters) finish(r CloseReason) {
	c.close(r)
	c.open.Add(-1)
}

// snapshot returns the counters as Stats.
func (c *counters) snapshot() Stats {
	st := Stats{
		Engine:       c.engine,
		Open:         c.open.Load(),
		Accepted:     c.accepted.Load(),
		Refused:      c.refused.Load(),
		Closed:       make(map[CloseReason]uint64, len(closeReasons)),
		BytesIn:      c.bytesIn.Load(),
		BytesOut:     c.bytesOut.Load(),
		Buffered:     c.buffered.Load(),
		Memory:       c.memory.Load(),
		WriteBlocks:  c.writeBlocks.Load(),
		Parked:       c.parked.Load(),
		Undelivered:  c.undelivered.Load(),
		Unread:       c.unread.Load(),
		Events:       c.events.Load(),
		AcceptErrors: c.acceptErrs.Load(),
	}
	for i, r := range closeReasons {
		st.Closed[r] = c.closed[i].Load()
	}
	return st
}
