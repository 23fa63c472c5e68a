package server

import (
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/config"
	"github.com/upcase-gnet/upcase-gnet/engine"
)

// Defaults used where a Config field is zero.
const (
	// DefaultMaxBuffer is the per-connection memory budget.
	DefaultMaxBuffer = 64 << 20
	// DefaultDrainTimeout bounds a graceful stop.
	DefaultDrainTimeout = 5 * time.Second
	// DefaultUnixMode lets only the server's own user connect to its unix
	// socket.
	DefaultUnixMode os.FileMode = 0o600
	// MaxReadSize bounds Config.ReadSize.
	MaxReadSize = 1 << 20
	// NoLimit as Config.MaxBuffer or Config.MaxMemory switches that bound off.
	NoLimit = -1
)

// Config configures a server. The zero value serves the gnet engine on
// codec.DefaultAddress with the original's 1024-byte reads.
type Config struct {
	// Network is "tcp" (the default), "tcp4", "tcp6" or "unix".
	Network string
	// Address is host:port for TCP (port 0 picks a free port; the bound
	// address is Server.Addr) or a socket path for "unix".
	Address string
	// UnixMode is the permissions of a unix socket file, set before any
	// client can connect, whatever the umask; 0 means DefaultUnixMode.
	UnixMode os.FileMode
	// Engine selects the engine; empty means engine.Gnet.
	Engine engine.Name
	// Loops is the number of gnet event loops; 0 means one per CPU.
	Loops int
	// ReadSize is the most bytes processed per read event; 0 means
	// codec.MaxRead, the original's 1024.
	ReadSize int
	// MaxBuffer bounds the replies one connection may hold that its socket
	// would not take, as its client does not read them (input is never
	// held: it is uppercased into replies as it is read); a connection over
	// it is closed and logged. 0 means DefaultMaxBuffer, NoLimit means no
	// bound. The goroutine engine never holds more than ReadSize, so only
	// the gnet engine can reach it.
	MaxBuffer int64
	// MaxMemory bounds the buffer memory all connections hold together
	// (Stats.Memory). Past it, the gnet engine stops reading from each
	// connection whose socket takes no more output, until the total falls
	// to seven eighths of the bound: those clients block, as with the
	// original, and the server stops growing; clients that read go on being
	// served. 0 means DefaultMaxMemory(), NoLimit means no bound. The
	// goroutine engine holds at most ReadSize per connection and ignores it.
	MaxMemory int64
	// MaxConns bounds the connections open at once; a connection past it is
	// closed at once, counted and logged. 0 means DefaultMaxConns(), less
	// the descriptors of the event loops on the gnet engine.
	MaxConns int
	// IdleTimeout closes a connection with no traffic either way for that
	// long; 0 means never.
	IdleTimeout time.Duration
	// WriteTimeout, on the goroutine engine, closes a connection whose write
	// has not completed in that long: the original's deadlock becomes a
	// logged close. 0 means never, the faithful behaviour.
	WriteTimeout time.Duration
	// DrainTimeout bounds a graceful stop: after the context given to Start
	// is cancelled, data already read goes back out for at most this long.
	// 0 means DefaultDrainTimeout.
	DrainTimeout time.Duration
	// FinishTimeout, on the gnet engine, bounds the echo that goes on after
	// a client shut down its sending side: a client that reads none of its
	// replies for this long is closed and the rest counted as undelivered,
	// so that it cannot hold a connection slot, a descriptor and its data
	// for ever. A client parked at MaxMemory is cut the same way once its
	// half-close reaches the server's socket (Linux). 0 means DrainTimeout.
	// (The goroutine engine never reads past a blocked write, so it has no
	// such echo to finish.)
	FinishTimeout time.Duration
	// Logger receives the server's log lines; nil discards them.
	Logger *slog.Logger
	// Hooks, where set, are told of each connection's progress.
	Hooks Hooks

	// park lets a test stand in for a loaded machine's scheduling in the
	// gnet engine's parking (gnet_park.go); nil outside tests.
	park *parkHooks
}

// Hooks are optional per-connection callbacks, for progress output like the
// original's. They run on the engine's own goroutines (the gnet event loop
// included), so they must be quick and safe for concurrent use.
type Hooks struct {
	// Open is called when a connection is accepted and admitted.
	Open func(remote net.Addr)
	// Progress is called after each processed read with the connection's
	// running total of bytes processed.
	Progress func(remote net.Addr, processed int64)
	// Close is called once when a connection is finished, with its total
	// bytes processed, why it closed and the error, if any.
	Close func(remote net.Addr, processed int64, reason CloseReason, err error)
}

// parkHooks let a test stand in for a loaded machine's scheduling in the
// enroll of a parked connection (Config.park).
type parkHooks struct {
	// parked runs on the loop when gnet has let go of the connection
	// from remote, parked.
	parked func(remote net.Addr)
	// enrolling runs on the loop when its enroll is about to begin.
	enrolling func(remote net.Addr)
	// enrolled runs in the goroutine that got the enroll's result instead
	// of queue, which hands the result to the loop: it must call queue
	// and return its error.
	enrolled func(remote net.Addr, queue func() error) error
	// dropEnroll, when it reports true, stands in for gnet dropping the
	// enroll's task behind its shutdown: the enroll is not made, and no
	// answer comes.
	dropEnroll func(remote net.Addr) bool
}

// pkg makes the *config.Error of a server.Config value that cannot work.
const pkg config.Pkg = "server"

// withDefaults returns c with its zero fields filled in, or a *config.Error
// for a value that cannot work: the one place where a Config is checked.
func (c Config) withDefaults() (Config, error) {
	var err error
	if c.Network, err = pkg.Network(c.Network); err != nil {
		return c, err
	}
	if c.Address == "" {
		c.Address = codec.DefaultAddress
	}
	if c.UnixMode == 0 {
		c.UnixMode = DefaultUnixMode
	}
	if c.UnixMode&^os.ModePerm != 0 {
		return c, pkg.Errorf("UnixMode", "unix socket mode", "%#o has more than permission bits (0777)", uint32(c.UnixMode))
	}
	if c.Engine == "" {
		c.Engine = engine.Gnet
	}
	if _, err := engine.Parse(string(c.Engine)); err != nil {
		return c, pkg.Errorf("Engine", "engine", "must name an engine: %v", err)
	}
	if c.Loops < 0 {
		return c, pkg.Errorf("Loops", "loops", "must not be negative, got %d", c.Loops)
	}
	if c.ReadSize == 0 {
		c.ReadSize = codec.MaxRead
	}
	if c.ReadSize < 1 || c.ReadSize > MaxReadSize {
		return c, pkg.Errorf("ReadSize", "read size", "must be 1 byte to %s, got %s", config.FormatSize(MaxReadSize), config.FormatSize(int64(c.ReadSize)))
	}
	switch {
	case c.MaxBuffer == 0:
		c.MaxBuffer = DefaultMaxBuffer
	case c.MaxBuffer < 0:
		c.MaxBuffer = NoLimit
	case c.MaxBuffer < int64(c.ReadSize):
		return c, pkg.Errorf("MaxBuffer", "max buffer", "%d is below the read size %d", c.MaxBuffer, c.ReadSize)
	}
	switch {
	case c.MaxMemory == 0:
		c.MaxMemory = DefaultMaxMemory()
	case c.MaxMemory < 0:
		c.MaxMemory = NoLimit
	case c.MaxMemory < chunkSize:
		return c, pkg.Errorf("MaxMemory", "max memory", "%d is below one %d-byte chunk", c.MaxMemory, chunkSize)
	}
	if c.MaxConns < 0 {
		return c, pkg.Errorf("MaxConns", "max conns", "must not be negative, got %d", c.MaxConns)
	}
	if err := pkg.NoNegative(
		config.Duration{Field: "IdleTimeout", Name: "idle timeout", Value: c.IdleTimeout},
		config.Duration{Field: "WriteTimeout", Name: "write timeout", Value: c.WriteTimeout},
		config.Duration{Field: "DrainTimeout", Name: "drain timeout", Value: c.DrainTimeout},
		config.Duration{Field: "FinishTimeout", Name: "finish timeout", Value: c.FinishTimeout},
	); err != nil {
		return c, err
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.FinishTimeout == 0 {
		c.FinishTimeout = c.DrainTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
