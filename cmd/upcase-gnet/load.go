package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/config"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// loadCommand drives many connections at a server and reports what it saw.
func loadCommand() *cli.Command {
	return &cli.Command{
		Name:  "load",
		Usage: "drive many connections at a server and measure throughput, latency and errors",
		Description: `Opens --conns connections (at --connect-rate a second, or as fast as the
server accepts), then for --warmup and --duration has each one send
--size-byte messages: in pingpong one at a time, waiting for the whole
reply; in stream continuously, reading concurrently: by default writing
whenever the socket takes more, with --window at most that many bytes in
flight per connection, refilled once half is back. In slow mode each
connection sends --slow-bytes with a 4 KiB receive buffer, reads nothing
and holds on until the run ends; the report says how much the server took.
With --rate, latency is taken from each message's intended send time (its
place in the connection's schedule, as wrk2 does), and the figures from the
actual send are printed beside it. Every byte back is checked against the
uppercase of what was sent; a mismatch, a short reply, a reset, a timeout
or a failed connection makes the exit code 1 unless --allow-errors. Prints
a table, or with --json one JSON object.

With --shard I/N (or JOB_COMPLETION_INDEX and UPCASE_GNET_SHARDS in a
Kubernetes Indexed Job) this process runs its share of the test, and with
--start-at every shard measures the same window; "upcase-gnet merge" adds
their --json results up exactly.

More connections than one process can hold are split over worker processes
of this binary; past about 25,000 connections to one server port they are
spread over source addresses 127.0.0.1, 127.0.0.2, ...`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "host", Value: codec.DefaultHost, Usage: "server host (::1 for IPv6)", EnvVars: env("HOST")},
			&cli.IntFlag{Name: "port", Value: codec.DefaultPort, Usage: "server TCP port", EnvVars: env("PORT")},
			&cli.StringFlag{Name: "unix", Usage: "connect to this Unix socket path instead of --host and --port", EnvVars: env("UNIX")},
			&cli.IntFlag{Name: "conns", Value: load.DefaultConns, Usage: "connections", EnvVars: env("CONNS")},
			&cli.Float64Flag{Name: "connect-rate", Usage: "new connections a second (0 = as fast as the server accepts, 256 dials in flight)", EnvVars: env("CONNECT_RATE")},
			&cli.DurationFlag{Name: "duration", Value: load.DefaultDuration, Usage: "measured time", EnvVars: env("DURATION")},
			&cli.DurationFlag{Name: "warmup", Usage: "traffic before the measured time, not measured", EnvVars: env("WARMUP")},
			&cli.StringFlag{Name: "mode", Value: string(load.PingPong), Usage: "pingpong (one message, then its reply), stream (write and read continuously) or slow (send --slow-bytes, never read)", EnvVars: env("MODE")},
			&cli.GenericFlag{Name: "window", Value: newSizeFlag(0), Usage: "stream mode: bytes in flight per connection at most, refilled when half is back (0 = no window: write whenever the socket takes more): " + config.SizeHelp, EnvVars: env("WINDOW")},
			&cli.GenericFlag{Name: "slow-bytes", Value: newSizeFlag(load.DefaultSlowBytes), Usage: "slow mode: bytes each connection sends: " + config.SizeHelp, EnvVars: env("SLOW_BYTES")},
			&cli.GenericFlag{Name: "size", Value: newSizeFlag(int64(load.DefaultSize)), Usage: "bytes per message: " + config.SizeHelp, EnvVars: env("SIZE")},
			&cli.Float64Flag{Name: "rate", Usage: "messages a second per connection, each connection at its own phase (0 = no cap)", EnvVars: env("RATE")},
			&cli.DurationFlag{Name: "timeout", Value: load.DefaultTimeout, Usage: "a reply owed for this long without a byte is a timeout error", EnvVars: env("TIMEOUT")},
			&cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object", EnvVars: env("JSON")},
			&cli.BoolFlag{Name: "allow-errors", Usage: "exit 0 even if connections failed or replies were wrong", EnvVars: env("ALLOW_ERRORS")},
			&cli.StringFlag{Name: "generator", Value: string(load.DefaultGenerator), Usage: "gnet (event loops) or goroutine (one per connection)", EnvVars: env("GENERATOR")},
			&cli.IntFlag{Name: "workers", Usage: fmt.Sprintf("generator processes, at most %d (0 = as many as the open-file limit needs)", load.MaxWorkers), EnvVars: env("WORKERS")},
			&cli.StringFlag{Name: "source-addrs", Value: "0", Usage: "source addresses: a count N for 127.0.0.1..N, or a comma-separated list (0 = automatic)", EnvVars: env("SOURCE_ADDRS")},
			&cli.StringFlag{Name: "shard", Usage: "run shard I of N (I from 0) of the test: its share of --conns and --connect-rate (default: from JOB_COMPLETION_INDEX and " + load.EnvShardCount + ")", EnvVars: env("SHARD")},
			&cli.StringFlag{Name: "start-at", Usage: "start the measured window at this wall-clock time, RFC 3339 (2026-11-29T15:00:00Z), after dialing and --warmup", EnvVars: env("START_AT")},
			&cli.BoolFlag{Name: "progress-json", Usage: "print the run's progress on stderr, one JSON object a line (phase, connections, messages, elapsed) about five times a second, instead of a progress bar", EnvVars: env("PROGRESS_JSON")},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr (else a bar where stdout and stderr are a terminal, and elsewhere a line every " + plainEvery.String() + ")", EnvVars: env("QUIET")},
			&cli.BoolFlag{Name: "worker", Hidden: true, Usage: "run as a worker process of another load: job on stdin, result on stdout"},
		},
		Action: runLoad,
	}
}

func runLoad(c *cli.Context) error {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.Bool("worker") {
		if err := load.ServeWorker(ctx, os.Stdin, os.Stdout); err != nil {
			return cli.Exit(err.Error(), 1)
		}
		return nil
	}
	if c.Args().Present() {
		return cli.Exit(fmt.Sprintf("load takes no arguments, got %q", c.Args().First()), 2)
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	bar := &loadBar{w: os.Stderr}
	switch {
	case c.Bool("progress-json"):
		cfg.Progress = progressLines(c.App.ErrWriter)
	case c.Bool("quiet"):
	case isTerminal(os.Stdout) && isTerminal(os.Stderr):
		// A bar only where it is alone: shards run at once with their
		// results in files would draw theirs over each other.
		cfg.Progress = bar.show
	default:
		cfg.Progress = newLoadLines(os.Stderr, cfg.Shard).show
	}
	res, err := load.Run(ctx, cfg)
	bar.close() // Run calls Progress no more once it has returned
	if exit, ok := badValue(err, loadFlags); ok {
		return exit
	}
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	report := load.NewTextReporter(res)
	if c.Bool("json") {
		report = load.NewJSONReporter(res)
	}
	if err := report(c.App.Writer); err != nil {
		return cli.Exit(err.Error(), 1)
	}
	if n, f := res.ErrorCount(), res.FailedDials(); (n > 0 || f > 0) && !c.Bool("allow-errors") {
		var what []string
		if n > 0 {
			what = append(what, fmt.Sprintf("%d errors", n))
		}
		if f > 0 {
			what = append(what, fmt.Sprintf("%d failed connections", f))
		}
		return cli.Exit(fmt.Sprintf("load: %s (--allow-errors to accept them)", strings.Join(what, " and ")), 1)
	}
	if ctx.Err() != nil {
		return cli.Exit("load: interrupted", 130)
	}
	return nil
}

// loadConfig turns the command line into a load.Config, or an error that
// names the bad value. It parses what flags spell (addresses, sizes, names,
// times) and refuses a 0 that load.Config would read as its own default;
// load checks every value when it runs (badValue).
func loadConfig(c *cli.Context) (load.Config, error) {
	var cfg load.Config
	if err := loadFlags.fill(c, &cfg); err != nil {
		return cfg, err
	}
	var err error
	if p := c.String("unix"); p != "" {
		cfg.Network, cfg.Address = "unix", p
	} else if cfg.Address, err = joinHostPort(c.String("host"), c.Int("port")); err != nil {
		return cfg, fmt.Errorf("load: %w", err)
	}
	if cfg.Mode, err = load.ParseMode(c.String("mode")); err != nil {
		return cfg, err
	}
	if cfg.SourceAddrs, err = load.ParseSourceAddrs(c.String("source-addrs")); err != nil {
		return cfg, err
	}
	if s := c.String("shard"); s != "" {
		cfg.Shard, err = load.ParseShard(s)
	} else {
		cfg.Shard, err = load.ShardFromEnv(os.Getenv)
	}
	if err != nil {
		return cfg, err
	}
	if s := c.String("start-at"); s != "" {
		if cfg.StartAt, err = time.Parse(time.RFC3339, s); err != nil {
			return cfg, fmt.Errorf("load: --start-at %q: want an RFC 3339 time such as 2026-11-29T15:00:00Z", s)
		}
	}
	cfg.WorkerCommand = workerCommand
	return cfg, nil
}

// loadFlags are the flags that set load.Config's fields.
var loadFlags = fields{
	{name: "Conns", flag: "conns", zero: zeroCount},
	{name: "ConnectRate", flag: "connect-rate"},
	{name: "Duration", flag: "duration", zero: zeroTime},
	{name: "Warmup", flag: "warmup"},
	{name: "Timeout", flag: "timeout", zero: zeroTime},
	{name: "Size", flag: "size", zero: zeroBytes},
	{name: "SlowBytes", flag: "slow-bytes", zero: zeroBytes},
	{name: "Generator", flag: "generator", zero: "must name an engine, got none"},
	{name: "Rate", flag: "rate"},
	{name: "Window", flag: "window"},
	{name: "Workers", flag: "workers"},
	{name: "SourceAddrs", flag: "source-addrs", parsed: true},
	{name: "StartAt", flag: "start-at", parsed: true},
}

// workerCommand re-runs this binary as a load worker.
func workerCommand() *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, "load", "--worker")
}

// progressLines writes each Progress to w as one line of JSON: what
// --progress-json prints, and compare reads of its load children
// (children.go). w nil is standard error.
func progressLines(w io.Writer) func(load.Progress) {
	if w == nil {
		w = os.Stderr
	}
	return func(p load.Progress) {
		line, err := json.Marshal(p)
		if err != nil {
			return
		}
		_, _ = w.Write(append(line, '\n'))
	}
}
