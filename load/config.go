package load

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/config"
	"github.com/upcase-gnet/upcase-gnet/engine"
)

// DefaultGenerator is the generator that spent less CPU per message when
// both were measured against the goroutine engine here (2 shared cores,
// server and generator pinned to one each, pingpong of 16 bytes, medians of
// three A/B runs): 8.5 against 10.2 µs a message at 100 connections, 12.5
// against 12.5 at 10,000, with 39 MB against 95 MB of memory (42 against
// 174 MB in stream mode).
const DefaultGenerator = engine.Gnet

// Defaults used where a Config field is zero.
const (
	DefaultConns         = 1000
	DefaultDuration      = 10 * time.Second
	DefaultSize          = codec.ChunkSize
	DefaultDialsInFlight = 256
	// StreamChunk is the most a stream connection without a window writes
	// at once.
	StreamChunk = 64 << 10
	// MaxInFlight bounds the bytes a stream connection without a window has
	// written but not yet had back. Without it the kernel's buffers, grown
	// to megabytes a connection, held more at the end of a 100-connection
	// run against the goroutine engine than the drain verified in seconds;
	// a megabyte is still a thousand reads queued at the server, which
	// never waits for the generator.
	MaxInFlight         = 1 << 20
	DefaultTimeout      = 10 * time.Second
	DefaultDialTimeout  = 10 * time.Second
	DefaultDrainTimeout = 2 * time.Second
	DefaultSlowBytes    = 8 << 20

	// MaxSlowBytes bounds Config.SlowBytes.
	MaxSlowBytes = 1 << 30

	// MaxSize bounds Config.Size and Config.Window.
	MaxSize = 16 << 20
	// MaxWorkers bounds Config.Workers, set or automatic: every worker is a
	// process, and a typo must not fork thousands of them.
	MaxWorkers = 64
)

// Config configures a load run. The zero value drives 1000 pingpong
// connections of 16-byte messages at codec.DefaultAddress for 10 seconds with the
// default generator.
type Config struct {
	// Network is "tcp" (the default), "tcp4", "tcp6" or "unix".
	Network string `json:"network"`
	// Address is host:port for TCP or the socket path for "unix".
	Address string `json:"address"`
	// Conns is the number of connections; 0 means DefaultConns.
	Conns int `json:"conns"`
	// ConnectRate bounds new connections per second; 0 means as fast as
	// the server accepts, with at most DialsInFlight dials in flight.
	ConnectRate float64 `json:"connect_rate_per_s"`
	// DialsInFlight bounds concurrent dials; 0 means DefaultDialsInFlight.
	DialsInFlight int `json:"dials_in_flight"`
	// DialTimeout bounds one dial; 0 means DefaultDialTimeout.
	DialTimeout time.Duration `json:"dial_timeout_ns"`
	// Duration is the measured time; 0 means DefaultDuration.
	Duration time.Duration `json:"duration_ns"`
	// Warmup is traffic before the measured time that is not measured.
	Warmup time.Duration `json:"warmup_ns"`
	// Mode is PingPong (the default), Stream or Slow.
	Mode Mode `json:"mode"`
	// Size is the bytes per message; 0 means DefaultSize, the 16 bytes of
	// codec.Message. A message is codec.Message repeated or cut to Size.
	Size int `json:"size_bytes"`
	// Rate caps messages per second per connection; 0 means no cap.
	Rate float64 `json:"rate_per_s"`
	// Window bounds the bytes a stream connection has written but not yet
	// had back, refilled once half of it is back; 0 means no window: write
	// whenever the socket takes more, what common stream benchmarks do, up
	// to MaxInFlight. It is raised to Size if smaller, and at most MaxSize.
	Window int `json:"window_bytes"`
	// SlowBytes is what each Slow connection sends; 0 means
	// DefaultSlowBytes.
	SlowBytes int64 `json:"slow_send_bytes"`
	// Timeout is how long a connection may wait for bytes it is owed
	// before the wait counts as a "timeout" error; 0 means DefaultTimeout.
	Timeout time.Duration `json:"timeout_ns"`
	// DrainTimeout bounds the wait, after the measured time, for replies
	// still owed while none comes back; 0 means DefaultDrainTimeout. While
	// replies keep coming the wait goes on, for at most Timeout more: a
	// stream without a window may have megabytes a connection in flight.
	DrainTimeout time.Duration `json:"drain_timeout_ns"`
	// Generator selects the generator; empty means DefaultGenerator.
	Generator engine.Name `json:"generator"`
	// Loops is the gnet generator's event loops; 0 means one per CPU.
	Loops int `json:"loops"`
	// SourceAddrs are the local addresses connections are spread over,
	// round robin; empty means automatic: the kernel's choice, or, past
	// PortsPerSource connections to an IPv4 loopback server, as many
	// 127.0.0.x addresses as needed.
	SourceAddrs []netip.Addr `json:"source_addrs"`
	// Workers is the number of processes that generate the load; 0 means
	// automatic: this process alone while it can hold Conns open files,
	// otherwise as many worker processes as needed. More than one needs
	// WorkerCommand.
	Workers int `json:"workers"`
	// WorkerCommand makes the command of one worker process, which must
	// call ServeWorker with its standard input and output. Run sets the
	// command's Stdin, Stdout and Stderr.
	WorkerCommand WorkerCommand `json:"-"`
	// Progress, if set, is called about five times a second from a
	// goroutine of Run while connecting and running.
	Progress func(Progress) `json:"-"`
	// Shard, if set, narrows the run to one shard's part of Conns and
	// ConnectRate; Result.Shard names it.
	Shard Shard `json:"-"`
	// StartAt, if set, is the wall-clock time at which the measured window
	// starts, so that shards on several hosts measure the same time: the
	// run dials first, waits, warms up for Warmup just before StartAt, and
	// measures what completes from StartAt to StartAt+Duration on this
	// host's clock, however late a busy process wakes to change phase. A
	// run not connected by StartAt measures from when it is, and says so
	// in Result.Late and Result.StartSkew; one not connected by
	// StartAt+Duration has nothing left to measure, and Run returns an
	// error. A StartAt that has already passed when Run is called is a
	// *config.Error: the window would have begun before the run.
	StartAt time.Time `json:"start_at,omitzero"`

	// shard is Shard once applied: withDefaults narrows Conns only once,
	// and worker processes are sent the narrowed Config without it.
	shard Shard
	// firstConn is the index of this process's first connection among all
	// workers', so that source addresses go round robin over all of them.
	firstConn int
	// inWorker is set in a worker process's Config: its parent checked
	// StartAt when its Run began, and may since have spent part of the time
	// left starting the worker, so a StartAt passed by now is late, not
	// wrong.
	inWorker bool
}

// WorkerCommand makes the command of one worker process: typically this same
// binary with a hidden flag that makes it call ServeWorker with its standard
// input and output. Run sets the command's Stdin, Stdout and Stderr.
type WorkerCommand func() *exec.Cmd

// pkg makes the *config.Error of a load.Config value that cannot work.
const pkg config.Pkg = "load"

// withDefaults returns c with its zero fields filled in, or an error for a
// value that cannot work: a *config.Error when one field's value is wrong
// whatever the others hold. It is the one place a Config is checked.
func (c Config) withDefaults() (Config, error) {
	var err error
	if c.Network, err = pkg.Network(c.Network); err != nil {
		return c, err
	}
	switch c.Network {
	case "tcp", "tcp4", "tcp6":
		if c.Address == "" {
			c.Address = codec.DefaultAddress
		}
		if _, _, err := net.SplitHostPort(c.Address); err != nil {
			return c, fmt.Errorf("load: address %q: %w", c.Address, err)
		}
	case "unix":
		if c.Address == "" {
			return c, fmt.Errorf("load: a unix socket needs a path")
		}
		if len(c.SourceAddrs) > 0 {
			return c, pkg.Errorf("SourceAddrs", "source addresses", "cannot be used with a unix socket")
		}
	}
	if c.Conns == 0 {
		c.Conns = DefaultConns
	}
	if c.Conns < 0 {
		return c, pkg.Errorf("Conns", "conns", "must be positive, got %d", c.Conns)
	}
	if err := c.applyShard(); err != nil {
		return c, err
	}
	if !(c.ConnectRate >= 0) || math.IsInf(c.ConnectRate, 0) { // NaN fails >= too
		return c, pkg.Errorf("ConnectRate", "connect rate", "must be a number from 0 up, got %g", c.ConnectRate)
	}
	if c.DialsInFlight == 0 {
		c.DialsInFlight = DefaultDialsInFlight
	}
	if c.DialsInFlight < 0 {
		return c, pkg.Errorf("DialsInFlight", "dials in flight", "must be positive, got %d", c.DialsInFlight)
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if !c.StartAt.IsZero() && !c.inWorker {
		if ago := time.Since(c.StartAt); ago >= 0 {
			return c, pkg.Errorf("StartAt", "start time", "%s is %v in the past: the measured window would have begun before the test",
				c.StartAt.UTC().Format(time.RFC3339Nano), ago.Round(time.Millisecond))
		}
	}
	if err := pkg.NoNegative(
		config.Duration{Field: "Duration", Name: "duration", Value: c.Duration},
		config.Duration{Field: "Warmup", Name: "warmup", Value: c.Warmup},
		config.Duration{Field: "Timeout", Name: "timeout", Value: c.Timeout},
		config.Duration{Field: "DialTimeout", Name: "dial timeout", Value: c.DialTimeout},
		config.Duration{Field: "DrainTimeout", Name: "drain timeout", Value: c.DrainTimeout},
	); err != nil {
		return c, err
	}
	if c.Mode == "" {
		c.Mode = PingPong
	}
	if _, err := ParseMode(string(c.Mode)); err != nil {
		return c, err
	}
	if c.Size == 0 {
		c.Size = DefaultSize
	}
	if c.Size < 1 || c.Size > MaxSize {
		return c, pkg.Errorf("Size", "size", "must be 1 byte to %s, got %s", config.FormatSize(MaxSize), config.FormatSize(int64(c.Size)))
	}
	if !(c.Rate >= 0) || math.IsInf(c.Rate, 0) {
		return c, pkg.Errorf("Rate", "rate", "must be a number from 0 up, got %g", c.Rate)
	}
	if c.Window < 0 || c.Window > MaxSize {
		return c, pkg.Errorf("Window", "window", "must be 0 to %s, got %s", config.FormatSize(MaxSize), config.FormatSize(int64(c.Window)))
	}
	if c.Window > 0 {
		c.Window = max(c.Window, c.Size)
	}
	if c.SlowBytes == 0 {
		c.SlowBytes = DefaultSlowBytes
	}
	if c.SlowBytes < 0 || c.SlowBytes > MaxSlowBytes {
		return c, pkg.Errorf("SlowBytes", "slow bytes", "must be 1 byte to %s, got %s", config.FormatSize(MaxSlowBytes), config.FormatSize(c.SlowBytes))
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.Generator == "" {
		c.Generator = DefaultGenerator
	}
	if _, err := engine.Parse(string(c.Generator)); err != nil {
		return c, pkg.Errorf("Generator", "generator", "must name an engine: %v", err)
	}
	if c.Mode == Slow {
		c.Generator = engine.Goroutine
	}
	if c.Loops < 0 {
		return c, pkg.Errorf("Loops", "loops", "must not be negative, got %d", c.Loops)
	}
	if c.Workers < 0 {
		return c, pkg.Errorf("Workers", "workers", "must not be negative, got %d", c.Workers)
	}
	if c.Workers > MaxWorkers {
		return c, pkg.Errorf("Workers", "workers", "must be at most %d, got %d", MaxWorkers, c.Workers)
	}
	if per := ConnsPerProcess(c.DialsInFlight); c.Workers == 0 && c.Conns > MaxWorkers*per {
		return c, fmt.Errorf("load: %d connections need more than %d workers of %d connections each", c.Conns, MaxWorkers, per)
	}
	if len(c.SourceAddrs) == 0 {
		addrs, err := autoSourceAddrs(c.Network, c.Address, c.Conns)
		if err != nil {
			return c, err
		}
		c.SourceAddrs = addrs
	}
	return c, nil
}

// applyShard narrows c, a whole test's configuration, to Shard's part, and
// moves Shard to shard so that it is applied once.
func (c *Config) applyShard() error {
	s := c.Shard
	if s.IsZero() {
		return nil
	}
	if err := s.validate(); err != nil {
		return fmt.Errorf("load: shard: %w", err)
	}
	if c.Conns < s.Count {
		return pkg.Errorf("Conns", "conns", "%d over %d shards: each shard needs at least one connection", c.Conns, s.Count)
	}
	c.firstConn, c.Conns = s.share(c.Conns)
	c.ConnectRate /= float64(s.Count)
	c.shard, c.Shard = s, Shard{}
	return nil
}

// streamWindow is Result.Window: the stream window, 0 in other modes.
func (c *Config) streamWindow() int {
	if c.Mode != Stream {
		return 0
	}
	return c.Window
}

// target is the Result's description of where the load went.
func (c *Config) target() string { return c.Network + " " + c.Address }

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

// fdReserve is the descriptors a process keeps for what is not a
// connection: pollers, event fds, pipes, the binary, standard streams.
const fdReserve = 256

// ConnsPerProcess is how many connections one process can hold within its
// open-file limit, leaving room for dialsInFlight dials in flight (the gnet
// generator holds two descriptors of a connection while it takes it over).
func ConnsPerProcess(dialsInFlight int) int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<24 {
		return 1 << 20
	}
	return max(int(rl.Cur)-fdReserve-2*dialsInFlight, 1)
}

// The bounds of automatic source addressing.
const (
	// PortsPerSource is how many connections automatic source addressing
	// puts on one source address towards one server port: the ephemeral
	// range here (32768-60999) holds about 28,000, less a margin for
	// sockets still in TIME_WAIT from earlier runs.
	PortsPerSource = 25000
	// MaxSourceAddrs is how many 127.0.0.x source addresses automatic
	// source addressing may use (127.0.0.1 to 127.0.0.254).
	MaxSourceAddrs = 254
)

// autoSourceAddrs is nil (the kernel's choice) up to PortsPerSource
// connections; past it, towards an IPv4 loopback server, it is the first
// 127.0.0.x addresses that hold conns at PortsPerSource each.
func autoSourceAddrs(network, address string, conns int) ([]netip.Addr, error) {
	if network == "unix" || conns <= PortsPerSource {
		return nil, nil
	}
	host, _, _ := net.SplitHostPort(address)
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().Is4() || !ip.IsLoopback() {
		return nil, fmt.Errorf("load: %d connections to one server port need more than one source address; "+
			"automatic source addresses (127.0.0.x) only reach an IPv4 loopback server, give them with source addresses", conns)
	}
	n := (conns + PortsPerSource - 1) / PortsPerSource
	if n > MaxSourceAddrs {
		return nil, fmt.Errorf("load: %d connections need %d source addresses, more than the %d of 127.0.0.1-254", conns, n, MaxSourceAddrs)
	}
	return LoopbackSourceAddrs(n), nil
}

// LoopbackSourceAddrs is 127.0.0.1 to 127.0.0.n.
func LoopbackSourceAddrs(n int) []netip.Addr {
	addrs := make([]netip.Addr, n)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 1)})
	}
	return addrs
}

// ParseSourceAddrs reads a count (0 = automatic, N = 127.0.0.1 to
// 127.0.0.N) or a comma-separated list of IP addresses.
func ParseSourceAddrs(s string) ([]netip.Addr, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > MaxSourceAddrs {
			return nil, fmt.Errorf("load: source address count must be 0 to %d, got %d", MaxSourceAddrs, n)
		}
		if n == 0 {
			return nil, nil
		}
		return LoopbackSourceAddrs(n), nil
	}
	var addrs []netip.Addr
	for _, f := range strings.Split(s, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("load: source address %q: want a count or a list of IP addresses", f)
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}
