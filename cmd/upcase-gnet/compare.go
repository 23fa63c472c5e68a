package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/compare"
	"github.com/upcase-gnet/upcase-gnet/config"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// compareCommand runs the same load series against both engines, each
// server and the generator a child process of its own, and prints them side
// by side.
func compareCommand() *cli.Command {
	return &cli.Command{
		Name:  "compare",
		Usage: "run the same load series against the gnet and goroutine engines and print them side by side",
		Description: `For each series, and each of --repeat rounds, starts a server of each
engine in turn (this binary's serve --quiet --port 0), drives it with this
binary's load --json, and samples the server's memory and CPU from /proc
while it runs (Linux), and the kernel's socket memory: the TCP buffers of
the server's own sockets from sock_diag (or /proc/net/sockstat), and the
socket slab caches from /proc/slabinfo (root only). Prints, for each
series, each engine's median and the median over rounds of the ratio
gnet/goroutine: messages/s, MB/s, latency p50/p99, the server's peak RSS
and RSS per connection over its baseline right after start, the kernel's
TCP buffer and slab memory per connection (the slab figure half of what
both loopback ends add) and RSS plus kernel, server CPU seconds per million
messages (the same number as microseconds per message) or as a share of a
core, the generator's CPU per message, and errors. A series is marked
generator-bound where the generator spent at least half the server's CPU
per message.

A series is MODE-CONNS:
  pingpong-N  N connections, one message then its reply, as fast as they go
  stream-N    N connections writing whenever the socket takes more and
              reading concurrently (load --window 0)
  window-N    stream with at most --window bytes in flight per connection
  paced-N     pingpong at --rate messages a second per connection
  slow-N      N connections each send 8 MiB and then read nothing, beside
              one measured pingpong connection
  starve-N    N heavy senders as in slow-N and one light pingpong client
              beside them from 0.5 s on, measured in two phases: while the
              server still takes their bytes in, and after (all sent, or
              none written for 1 s)
  idle-N      N connections held open, sending nothing
The default series, "default", are pingpong-1,pingpong-100,pingpong-1000,
pingpong-10000,stream-1,stream-100,window-100,paced-10000,slow-300,
idle-10000.

--pin runs the server under taskset -c --server-cpus and the generator
under taskset -c --load-cpus. --out DIR writes results.json (every run,
its samples, its timeline second by second and its load result),
table.txt, chart.png, chart.svg, and report.html: one page that needs
nothing else to be viewed, with the table, the chart and each series'
timeline for both engines (messages/s, p99, server RSS and CPU).
The exit code is 2 for bad input, 1 if a server did not start or a run
failed (the table is still printed), 130 if interrupted; every child is
stopped either way.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "series", Value: "default", Usage: "comma-separated series, MODE-CONNS with MODE pingpong, stream, window, paced, slow, starve or idle, or default", EnvVars: env("COMPARE_SERIES")},
			&cli.DurationFlag{Name: "duration", Value: compare.DefaultDuration, Usage: "measured time of each series on each engine", EnvVars: env("COMPARE_DURATION")},
			&cli.DurationFlag{Name: "warmup", Value: compare.DefaultWarmup, Usage: "traffic before the measured time (0 = none)", EnvVars: env("COMPARE_WARMUP")},
			&cli.IntFlag{Name: "repeat", Value: compare.DefaultRepeat, Usage: "rounds, engines alternating; the table quotes medians", EnvVars: env("COMPARE_REPEAT")},
			&cli.IntFlag{Name: "size", Value: load.DefaultSize, Usage: "bytes per message", EnvVars: env("COMPARE_SIZE")},
			&cli.Float64Flag{Name: "rate", Value: compare.DefaultRate, Usage: "paced series: messages a second per connection", EnvVars: env("COMPARE_RATE")},
			&cli.DurationFlag{Name: "slow-settle", Value: compare.DefaultSlowSettle, Usage: "slow series: how long the slow connections send before the measured one's warm-up", EnvVars: env("COMPARE_SLOW_SETTLE")},
			&cli.GenericFlag{Name: "window", Value: newSizeFlag(compare.DefaultWindow), Usage: "window series: bytes in flight per connection, " + config.SizeHelp, EnvVars: env("COMPARE_WINDOW")},
			&cli.IntFlag{Name: "read-size", Usage: "the servers' --read-size (0 = serve's default, 1024)", EnvVars: env("COMPARE_READ_SIZE")},
			&cli.BoolFlag{Name: "pin", Usage: "pin the server and the generator to different CPUs with taskset", EnvVars: env("COMPARE_PIN")},
			&cli.StringFlag{Name: "server-cpus", Value: compare.DefaultServerCPUs, Usage: "with --pin, the servers' CPU list (taskset -c)", EnvVars: env("COMPARE_SERVER_CPUS")},
			&cli.StringFlag{Name: "load-cpus", Value: compare.DefaultLoadCPUs, Usage: "with --pin, the generator's CPU list (taskset -c)", EnvVars: env("COMPARE_LOAD_CPUS")},
			&cli.StringFlag{Name: "server-args", Usage: "more flags for every serve, space-separated (e.g. \"--loops 2\")", EnvVars: env("COMPARE_SERVER_ARGS")},
			&cli.StringFlag{Name: "load-args", Usage: "more flags for every load, space-separated (e.g. \"--generator goroutine\")", EnvVars: env("COMPARE_LOAD_ARGS")},
			&cli.BoolFlag{Name: "json", Usage: "print every raw result as JSON instead of the table", EnvVars: env("COMPARE_JSON")},
			&cli.StringFlag{Name: "out", Usage: "write results.json, table.txt, chart.png, chart.svg and report.html into this directory", EnvVars: env("COMPARE_OUT")},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "nothing on stderr while it runs (else a line per finished run, and the run under way: a bar on a terminal, elsewhere a line every " + plainEvery.String() + ")", EnvVars: env("COMPARE_QUIET")},
		},
		Action: runCompare,
	}
}

func runCompare(c *cli.Context) error {
	cfg, err := compareConfig(c)
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	if !c.Bool("quiet") {
		w := c.App.ErrWriter
		if w == nil {
			w = os.Stderr
		}
		progress := newCompareProgress(w)
		cfg.Log, cfg.Progress = progress, progress.show
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, runErr := compare.Run(ctx, cfg)
	if exit, ok := badValue(runErr, compareFlags); ok {
		return exit
	}
	if rep == nil {
		return cli.Exit(runErr.Error(), 2)
	}
	if ctx.Err() != nil {
		return cli.Exit("compare: interrupted; every server and generator was stopped", 130)
	}
	if runErr != nil && len(rep.Trials) == 0 {
		return cli.Exit(runErr.Error(), 1) // a server did not start: nothing to show
	}
	if c.Bool("json") {
		err = compare.WriteJSON(c.App.Writer, rep)
	} else {
		err = compare.WriteTable(c.App.Writer, rep)
	}
	if err != nil {
		return cli.Exit(fmt.Sprintf("compare: %v", err), 1)
	}
	if dir := c.String("out"); dir != "" {
		if err := writeCompareOut(dir, rep); err != nil {
			return cli.Exit(err.Error(), 1)
		}
	}
	if runErr != nil {
		return cli.Exit(runErr.Error(), 1)
	}
	return nil
}

// compareFlags are the flags that set compare.Config's fields.
var compareFlags = fields{
	{name: "Duration", flag: "duration", zero: zeroTime},
	{name: "Warmup", flag: "warmup"},
	{name: "Repeat", flag: "repeat", zero: zeroCount},
	{name: "Size", flag: "size", zero: zeroCount},
	{name: "Rate", flag: "rate", zero: "must be a positive number of messages a second, got 0"},
	{name: "SlowSettle", flag: "slow-settle", zero: zeroTime},
	{name: "Window", flag: "window", parsed: true},
	{name: "Pin", flag: "pin"},
	{name: "ServerCPUs", flag: "server-cpus"},
	{name: "LoadCPUs", flag: "load-cpus"},
}

// compareConfig turns the command line into a compare.Config, or an error
// that names the bad value.
func compareConfig(c *cli.Context) (compare.Config, error) {
	if c.Args().Present() {
		return compare.Config{}, fmt.Errorf("compare takes no arguments, got %q", c.Args().First())
	}
	series, err := compare.ParseSeries(c.String("series"))
	if err != nil {
		return compare.Config{}, err
	}
	cfg := compare.Config{
		Children:   children{},
		Series:     series,
		ServerArgs: strings.Fields(c.String("server-args")),
		LoadArgs:   strings.Fields(c.String("load-args")),
	}
	// compare.Config checks every value (Run; badValue names the flag); the
	// command line only parses what flags spell, and refuses the values that
	// would read as something else there: a 0 that compare.Config reads as
	// its default where the flag shows its default instead (fill), a
	// negative --warmup that it reads as none, and a window int cannot hold.
	if err := compareFlags.fill(c, &cfg); err != nil {
		return cfg, err
	}
	switch {
	case cfg.Warmup < 0:
		return cfg, fmt.Errorf("compare: --warmup must not be negative, got %v", cfg.Warmup)
	case c.Int("read-size") < 0:
		return cfg, fmt.Errorf("compare: --read-size must not be negative, got %d", c.Int("read-size"))
	}
	window := c.Generic("window").(*sizeFlag).Bytes()
	if window < 1 || window > compare.MaxWindow {
		return cfg, fmt.Errorf("compare: --window must be 1 byte to %s, got %s", config.FormatSize(compare.MaxWindow), config.FormatSize(window))
	}
	cfg.Window = int(window)
	if cfg.Warmup == 0 {
		cfg.Warmup = -1 // none, where compare.Config's zero means its default
	}
	if n := c.Int("read-size"); n > 0 {
		cfg.ServerArgs = append(cfg.ServerArgs, "--read-size", strconv.Itoa(n))
	}
	return cfg, nil
}

// writeCompareOut writes the report's files into dir.
func writeCompareOut(dir string, rep *compare.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	files := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"results.json", func(b *bytes.Buffer) error { return compare.WriteJSON(b, rep) }},
		{"table.txt", func(b *bytes.Buffer) error { return compare.WriteTable(b, rep) }},
		{"chart.png", func(b *bytes.Buffer) error { return compare.WriteChart(b, rep, "png") }},
		{"chart.svg", func(b *bytes.Buffer) error { return compare.WriteChart(b, rep, "svg") }},
		{"report.html", func(b *bytes.Buffer) error { return compare.WriteHTML(b, rep) }},
	}
	var errs []error
	for _, f := range files {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b.Bytes(), 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("compare: --out: %w", err)
	}
	return nil
}
