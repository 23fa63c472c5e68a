package compare

import (
	"fmt"
	"strconv"
	"strings"
)

// Mode is what the connections of a series do.
type Mode string

const (
	// PingPong: each connection writes one message and waits for its whole
	// reply before the next.
	PingPong Mode = "pingpong"
	// Stream: each connection writes continuously and reads concurrently.
	Stream Mode = "stream"
	// Idle: the connections are opened and held, and send nothing; the
	// series measures what a held connection costs the server in memory.
	Idle Mode = "idle"
)

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
// four orders of magnitude of connections, stream at one and a hundred, and
// 10,000 idle connections for memory.
var DefaultSeries = []Series{
	{PingPong, 1}, {PingPong, 100}, {PingPong, 1000}, {PingPong, 10000},
	{Stream, 1}, {Stream, 100},
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

func parseOne(name string) (Series, error) {
	mode, n, ok := strings.Cut(name, "-")
	bad := func(why string) (Series, error) {
		return Series{}, fmt.Errorf("compare: unknown series %q: %s (want MODE-CONNS with MODE pingpong, stream or idle, e.g. pingpong-1000)", name, why)
	}
	if !ok {
		return bad("no connection count")
	}
	switch Mode(mode) {
	case PingPong, Stream, Idle:
	default:
		return bad(fmt.Sprintf("unknown mode %q", mode))
	}
	conns, err := strconv.Atoi(n)
	if err != nil || conns < 1 {
		return bad(fmt.Sprintf("connection count %q is not a positive number", n))
	}
	return Series{Mode(mode), conns}, nil
}
