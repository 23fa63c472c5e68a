package compare

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/upcase-gnet/upcase-gnet/load"
)

// Mode is what the connections of a series do: one of load's modes as it
// is, or a kind of series compare makes of them.
type Mode string

// load's modes, as series.
const (
	// PingPong: each connection writes one message and waits for its whole
	// reply before the next, as fast as it can (load.PingPong).
	PingPong = Mode(load.PingPong)
	// Stream: each connection writes whenever the socket takes more and
	// reads concurrently, with no window (load.Stream, Window 0): what
	// common stream benchmarks do.
	Stream = Mode(load.Stream)
	// Slow: the series' connections each send SlowBytes and then read
	// nothing (load.Slow), and one more connection, measured, plays
	// pingpong beside them; the series measures what the stuck ones cost
	// the server and the one that is not.
	Slow = Mode(load.Slow)
)

// The kinds of series compare makes of load's modes.
const (
	// Window: stream with at most the comparison's window of bytes
	// written and not yet had back per connection, so that each
	// connection waits for its replies once the window is full.
	Window Mode = "window"
	// Paced: pingpong at the comparison's rate of messages a second per
	// connection, the connections' sends spread evenly in time.
	Paced Mode = "paced"
	// Idle: the connections are opened and held, and send nothing; the
	// series measures what a held connection costs the server in memory.
	Idle Mode = "idle"
	// Starve: the series' connections are heavy senders, each sending
	// SlowBytes and reading nothing (load.Slow), and one light pingpong
	// client beside them is measured twice: over the intake, while the
	// server is still taking the heavy senders' bytes in, and after it,
	// once they have all been taken or the senders are stuck (see
	// runStarve). Where Slow measures the light client once the heavy ones
	// are stuck, Starve measures whether their intake starves it.
	Starve Mode = "starve"
)

// Modes are the modes a series may have, in the order the help lists them.
var Modes = []Mode{PingPong, Stream, Window, Paced, Slow, Starve, Idle}

// SlowBytes is what each connection of a slow series sends before it stops:
// more than the socket buffers and the server's memory budget hold, so
// that every slow connection is stuck with bytes owed to it.
const SlowBytes = 8 << 20

// DefaultSlowSettle is how long the slow connections of a slow series have
// to send what the server will take before the measured connection's
// warm-up starts: the series measures the server once they are stuck. The
// table's "slow: last byte taken" row says whether it was long enough.
const DefaultSlowSettle = 2 * time.Second

// StarveLead is how long a starve series' heavy senders send before its
// light client is measured: the light client connects as their traffic
// starts and warms up for this long.
const StarveLead = 500 * time.Millisecond

// StarveStall is how long a starve series' heavy senders must write nothing
// for their intake to be over though some have bytes left: they are stuck,
// as on a server that stops reading a client that does not read. Shorter
// would mistake a pause for the end: half a second with no write completed
// early in the gnet engine's intake of 300 x 8 MiB, and pauses of over a
// second once the kernel's TCP memory (tcp_mem) is under pressure from what
// 300 unread clients leave in socket buffers, when it drops segments and the
// senders wait out their retransmission back-off. It is also how far past
// the last byte taken the light client's intake phase may reach where the
// senders get stuck.
const StarveStall = 3 * time.Second

// starveIntakeLimit bounds a starve series' wait for the intake to end:
// past it the run fails, as its second phase could not be measured.
const starveIntakeLimit = 90 * time.Second

// slowHold is how long the slow connections hold on after the measured
// connection's measured time, so that they are still there however late
// the measured load started.
const slowHold = 3 * time.Second

// Series is one load run's shape, the same for both engines: a mode and a
// number of connections. Its name is "MODE-CONNS", for example
// "pingpong-1000".
type Series struct {
	Mode  Mode `json:"mode"`
	Conns int  `json:"conns"`
}

// Name is the series' name, "MODE-CONNS".
func (s Series) Name() string { return fmt.Sprintf("%s-%d", s.Mode, s.Conns) }

// String is Name.
func (s Series) String() string { return s.Name() }

// DefaultSeries is what compare runs unless told otherwise: pingpong over
// four orders of magnitude of connections; saturating stream at one and a
// hundred, and windowed at a hundred; 10,000 paced connections; 300 slow
// readers beside one measured client; and 10,000 idle connections for
// memory.
var DefaultSeries = []Series{
	{PingPong, 1}, {PingPong, 100}, {PingPong, 1000}, {PingPong, 10000},
	{Stream, 1}, {Stream, 100},
	{Window, 100},
	{Paced, 10000},
	{Slow, 300},
	{Idle, 10000},
}

// ParseSeries reads a comma-separated list of series names ("pingpong-100,
// stream-1,idle-10000"). "default" stands for DefaultSeries.
func ParseSeries(list string) ([]Series, error) {
	var out []Series
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if f == "default" {
			out = append(out, DefaultSeries...)
			continue
		}
		s, err := parseOne(f)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("compare: no series given")
	}
	return out, nil
}

// modeList is the modes as the error messages list them.
func modeList() string {
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func parseOne(name string) (Series, error) {
	mode, n, ok := strings.Cut(name, "-")
	bad := func(why string) (Series, error) {
		return Series{}, fmt.Errorf("compare: unknown series %q: %s (want MODE-CONNS with MODE %s, e.g. pingpong-1000)", name, why, modeList())
	}
	if !ok {
		return bad("no connection count")
	}
	if !slices.Contains(Modes, Mode(mode)) {
		return bad(fmt.Sprintf("unknown mode %q", mode))
	}
	conns, err := strconv.Atoi(n)
	if err != nil || conns < 1 {
		return bad(fmt.Sprintf("connection count %q is not a positive number", n))
	}
	return Series{Mode(mode), conns}, nil
}
