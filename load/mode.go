package load

import "fmt"

// Mode is how each connection talks to the server.
type Mode string

const (
	// PingPong writes one message and waits for its whole reply before the
	// next, like the blocking client.
	PingPong Mode = "pingpong"
	// Stream writes continuously and reads concurrently: whenever the
	// socket takes more (Config.Window 0), or with at most Config.Window
	// bytes unacknowledged per connection.
	Stream Mode = "stream"
	// Slow connections each write Config.SlowBytes with a receive buffer
	// of SlowRecvBuffer, read nothing, and hold the connection until the
	// run ends: the clients a server must not let pile up its memory or
	// starve the others. Result.Slow says how much the server took. It
	// always runs on goroutines, whatever Config.Generator says.
	Slow Mode = "slow"
)

// ParseMode turns a name into a Mode.
func ParseMode(name string) (Mode, error) {
	switch m := Mode(name); m {
	case PingPong, Stream, Slow:
		return m, nil
	}
	return "", fmt.Errorf("load: unknown mode %q (want %q, %q or %q)", name, PingPong, Stream, Slow)
}
