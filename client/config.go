package client

import (
	"io"
	"time"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/config"
)

// Defaults used where a Config field is zero.
const (
	// DefaultNetwork is the network dialled when Config.Network is empty.
	DefaultNetwork = "tcp"
	// DefaultStallTimeout is how long no byte may move before Run gives up.
	DefaultStallTimeout = 5 * time.Second
)

// Config configures one run of the client. The zero value sends 0 bytes to
// codec.DefaultAddress; set Bytes.
type Config struct {
	// Network is "tcp" (the default), "tcp4", "tcp6" or "unix".
	Network string
	// Address is host:port for TCP (an IPv6 host in brackets, as
	// net.JoinHostPort writes it) or a socket path for "unix"; empty means
	// codec.DefaultAddress for TCP.
	Address string
	// Bytes is how many bytes to send; it is rounded up to a multiple of
	// codec.ChunkSize so that the stream is whole messages, as the original
	// rounds up to 16.
	Bytes int64
	// Duplex reads the replies while sending, from a second goroutine,
	// instead of only after sending everything: it cannot deadlock.
	Duplex bool
	// StallTimeout is how long no byte may move either way before Run stops
	// with a *StallError; 0 means DefaultStallTimeout. It also bounds the
	// connect, so that a server that never answers is not waited for longer.
	StallTimeout time.Duration
	// ChunkSize is the size of each write; 0 means codec.ChunkSize, the
	// original's 16. Larger chunks send the same stream with fewer system
	// calls, which tests use to go fast.
	ChunkSize int
	// Output receives the original's progress text; nil discards it.
	Output io.Writer
	// Plain writes the progress as whole lines, at most one every
	// PlainEvery, where the original rewrites one line with "\r": for an
	// Output that is not a terminal, where "\r" lines run together.
	Plain bool
}

// PlainEvery is how often a Plain progress line is written.
const PlainEvery = 3 * time.Second

// pkg makes the *config.Error of a client.Config value that cannot work.
const pkg config.Pkg = "client"

// withDefaults returns c with its zero fields filled in and Bytes rounded
// up, or a *config.Error for a value that cannot work: the one place where a
// Config is checked.
func (c Config) withDefaults() (Config, error) {
	var err error
	if c.Network, err = pkg.Network(c.Network); err != nil {
		return c, err
	}
	switch {
	case c.Address != "":
	case c.Network == "unix":
		return c, pkg.Errorf("Address", "address", "must be a socket path for a unix socket")
	default:
		c.Address = codec.DefaultAddress
	}
	if c.Bytes < 0 {
		return c, pkg.Errorf("Bytes", "bytes", "must not be negative, got %d", c.Bytes)
	}
	const chunk = int64(codec.ChunkSize)
	if c.Bytes > (1<<63-1)/chunk*chunk {
		return c, pkg.Errorf("Bytes", "bytes", "must be at most %d, got %d", (1<<63-1)/chunk*chunk, c.Bytes)
	}
	c.Bytes = (c.Bytes + chunk - 1) / chunk * chunk
	if c.StallTimeout < 0 {
		return c, pkg.Errorf("StallTimeout", "stall timeout", "must not be negative, got %v", c.StallTimeout)
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.ChunkSize < 0 {
		return c, pkg.Errorf("ChunkSize", "chunk size", "must not be negative, got %d", c.ChunkSize)
	}
	if c.ChunkSize == 0 {
		c.ChunkSize = codec.ChunkSize
	}
	if c.Output == nil {
		c.Output = io.Discard
	}
	return c, nil
}
