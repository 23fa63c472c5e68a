package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/config"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/floor"
	"github.com/upcase-gnet/upcase-gnet/server"
)

// serveCommand runs the uppercase server until SIGINT or SIGTERM.
func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the uppercase echo (gnet's event loop, or --engine goroutine)",
		Description: `Listens on --host:--port (or --unix), reads at most --read-size bytes per
event, and sends them back uppercased. The first line printed is
"` + listeningLine("ADDR") + `" (with the real port when --port is 0).

--engine bare-gnet and --engine bare-goroutine run the two minimal
reference servers instead (package floor: bare gnet.Run, and one goroutine
a connection with a 1 KiB buffer), the floors each engine is measured
against. They listen on --host:--port only, refuse --unix, log only their
start and stop, and ignore every other flag.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "host", Value: codec.DefaultHost, Usage: "address to listen on (::1 for IPv6)", EnvVars: env("HOST")},
			&cli.IntFlag{Name: "port", Value: codec.DefaultPort, Usage: "TCP port; 0 picks a free one", EnvVars: env("PORT")},
			&cli.StringFlag{Name: "unix", Usage: "listen on this Unix socket path instead of TCP", EnvVars: env("UNIX")},
			&cli.StringFlag{Name: "unix-mode", Value: "0600", Usage: "with --unix, the socket file's permissions in octal, set before any client can connect", EnvVars: env("UNIX_MODE")},
			&cli.StringFlag{Name: "engine", Value: string(engine.Gnet), Usage: "gnet or goroutine; or bare-gnet or bare-goroutine, the minimal reference servers, which use --host, --port and the log flags only", EnvVars: env("ENGINE")},
			&cli.IntFlag{Name: "loops", Usage: "gnet event loops (0 = one per CPU)", EnvVars: env("LOOPS")},
			&cli.IntFlag{Name: "read-size", Value: codec.MaxRead, Usage: "most bytes processed per read event", EnvVars: env("READ_SIZE")},
			&cli.GenericFlag{Name: "max-buffer", Value: newSizeFlag(server.DefaultMaxBuffer), Usage: "gnet engine: most bytes of replies one connection may hold that its client has not read; past it the connection is closed (0 = no limit; the goroutine engine holds at most --read-size and never reaches it)", EnvVars: env("MAX_BUFFER")},
			&cli.GenericFlag{Name: "max-memory", Value: newSizeFlag(server.DefaultMaxMemory()), Usage: "gnet engine: most buffer memory all connections hold together; past it, clients that do not read are not read either until memory frees (default a quarter of the machine's or cgroup's memory; 0 = no limit)", EnvVars: env("MAX_MEMORY")},
			&cli.IntFlag{Name: "max-conns", Usage: "most connections open at once (0 = the open-file limit less a margin)", EnvVars: env("MAX_CONNS")},
			&cli.DurationFlag{Name: "idle-timeout", Usage: "close connections without traffic for this long (0 = never)", EnvVars: env("IDLE_TIMEOUT")},
			&cli.DurationFlag{Name: "write-timeout", Usage: "goroutine engine: close a connection whose write blocks this long (0 = never, the original's deadlock)", EnvVars: env("WRITE_TIMEOUT")},
			&cli.DurationFlag{Name: "drain-timeout", Value: server.DefaultDrainTimeout, Usage: "on SIGINT/SIGTERM, how long queued data may take to go out", EnvVars: env("DRAIN_TIMEOUT")},
			&cli.DurationFlag{Name: "finish-timeout", Usage: "gnet engine: after a client shuts down its side, close it if it reads none of its replies for this long (0 = the drain timeout)", EnvVars: env("FINISH_TIMEOUT")},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "one summary line a second instead of per-connection lines", EnvVars: env("QUIET")},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json (logs go to stderr)", EnvVars: env("LOG_FORMAT")},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: env("LOG_LEVEL")},
			// The metrics endpoint (serve_metrics.go).
			&cli.StringFlag{Name: "metrics-addr", Usage: "serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9100 (port 0 picks a free one; off by default)", EnvVars: env("METRICS_ADDR")},
			&cli.BoolFlag{Name: "pprof", Usage: "with --metrics-addr, also serve Go's profiles under /debug/pprof/", EnvVars: env("PPROF")},
		},
		Action: runServe,
	}
}

// runServe serves until SIGINT or SIGTERM, then drains and reports.
func runServe(c *cli.Context) error {
	if c.Args().Present() {
		return cli.Exit(fmt.Sprintf("serve takes no arguments, got %q", c.Args().First()), 2)
	}
	logger, err := newLogger(os.Stderr, c.String("log-format"), c.String("log-level"))
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	// engine.ParseServe maps the flag onto an engine.Name: an empty one would
	// read as server.Config's default.
	eng, err := engine.ParseServe(c.String("engine"))
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	if engine.IsFloor(eng) {
		return serveFloor(c, eng, logger)
	}
	// server.Config checks every value (Start); the command line only
	// parses its syntax, and refuses the zeros that would read as the
	// library's "default" where the flag shows its default instead.
	cfg := server.Config{Network: "tcp", Engine: eng, Logger: logger}
	if err := serveFlags.fill(c, &cfg); err != nil {
		return cli.Exit(err.Error(), 2)
	}
	for _, limit := range []*int64{&cfg.MaxBuffer, &cfg.MaxMemory} {
		if *limit == 0 {
			*limit = server.NoLimit // the flags' 0 is no limit, the library's its default
		}
	}
	addr, err := joinHostPort(c.String("host"), c.Int("port"))
	if err != nil && c.String("unix") == "" {
		return cli.Exit(err.Error(), 2)
	}
	cfg.Address = addr
	if p := c.String("unix"); p != "" {
		cfg.Network, cfg.Address = "unix", p
	}
	mode, err := strconv.ParseUint(c.String("unix-mode"), 8, 32)
	if err != nil || mode == 0 {
		return cli.Exit(fmt.Sprintf("--unix-mode must be octal permissions from 1 to 0777, got %q", c.String("unix-mode")), 2)
	}
	cfg.UnixMode = os.FileMode(mode)
	out := c.App.Writer
	quiet := c.Bool("quiet")
	if !quiet {
		cfg.Hooks = newOriginalOutput(out, cfg.ReadSize).hooks()
	}

	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.Start(ctx, cfg)
	if exit, ok := badValue(err, serveFlags); ok {
		return exit
	}
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	fmt.Fprintln(out, listeningLine(srv.Addr().String())) // children.go
	if cfg.Engine == engine.Gnet {
		if m := srv.Config().MaxMemory; m == server.NoLimit {
			logger.Info("buffer memory: no limit (--max-memory 0)")
		} else {
			logger.Info("buffer memory: at most "+config.FormatSize(m)+" for all connections (--max-memory)", "max_memory", m)
		}
	}
	// The metrics endpoint (serve_metrics.go), stopped after the drain so
	// that the drain can be watched.
	stopMetrics, err := startMetrics(c, out, srv, logger)
	if err != nil {
		stop()
		_ = srv.Wait()
		return cli.Exit(err.Error(), 1)
	}
	defer stopMetrics()
	if quiet {
		go summarize(ctx, out, srv, time.Second)
	}
	select {
	case <-ctx.Done():
	case <-srv.Done():
		if ctx.Err() != nil {
			break // stopped as asked, the signal and the end seen at once
		}
		// The engine stopped by itself: a server that no longer serves must
		// not look alive.
		err := srv.Wait()
		if err == nil {
			err = fmt.Errorf("server stopped unexpectedly")
		}
		return cli.Exit(err.Error(), 1)
	}
	stop() // a second signal kills the process at once
	logger.Info("stopping: draining connections", "drain_timeout", cfg.DrainTimeout)
	if err := srv.Wait(); err != nil {
		return cli.Exit(err.Error(), 1)
	}
	st := srv.Stats()
	logger.Info("stopped", "accepted", st.Accepted, "refused", st.Refused, "bytes_in", st.BytesIn, "bytes_out", st.BytesOut, "undelivered", st.Undelivered, "unread", st.Unread)
	return nil
}

// floorServer is what serveFloor needs of floor.Gnet and floor.Goroutine.
type floorServer interface {
	Addr() net.Addr
	Done() <-chan struct{}
	Wait() error
}

// serveFloor serves one of the minimal reference servers of package floor
// on --host:--port until SIGINT or SIGTERM, printing the same first line
// as the engines. Every flag of the engines' but the log flags is ignored.
func serveFloor(c *cli.Context, eng engine.Name, logger *slog.Logger) error {
	if c.String("unix") != "" {
		return cli.Exit(fmt.Sprintf("--unix: --engine %s: the bare servers listen on TCP only", eng), 2)
	}
	addr, err := joinHostPort(c.String("host"), c.Int("port"))
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var srv floorServer
	switch eng {
	case engine.BareGnet:
		s, err := floor.StartGnet(ctx, addr)
		if err != nil {
			return cli.Exit(err.Error(), 1)
		}
		srv = s
	default:
		s, err := floor.StartGoroutine(ctx, addr)
		if err != nil {
			return cli.Exit(err.Error(), 1)
		}
		srv = s
	}
	fmt.Fprintln(c.App.Writer, listeningLine(srv.Addr().String()))
	logger.Info("serving the minimal reference server: flags other than --host, --port and the log flags are ignored", "engine", string(eng))
	select {
	case <-ctx.Done():
	case <-srv.Done():
		if ctx.Err() == nil {
			err := srv.Wait()
			if err == nil {
				err = fmt.Errorf("server stopped unexpectedly")
			}
			return cli.Exit(err.Error(), 1)
		}
	}
	stop() // a second signal kills the process at once
	if err := srv.Wait(); err != nil {
		return cli.Exit(err.Error(), 1)
	}
	logger.Info("stopped", "engine", string(eng))
	return nil
}

// serveFlags are the flags that set server.Config's fields.
var serveFlags = fields{
	{name: "UnixMode", flag: "unix-mode", parsed: true},
	{name: "Engine", flag: "engine", parsed: true},
	{name: "Loops", flag: "loops"},
	{name: "ReadSize", flag: "read-size", zero: zeroCount},
	{name: "MaxBuffer", flag: "max-buffer"},
	{name: "MaxMemory", flag: "max-memory"},
	{name: "MaxConns", flag: "max-conns"},
	{name: "IdleTimeout", flag: "idle-timeout"},
	{name: "WriteTimeout", flag: "write-timeout"},
	{name: "DrainTimeout", flag: "drain-timeout", zero: zeroTime},
	{name: "FinishTimeout", flag: "finish-timeout"},
}

// summarize prints one line of server counters every period until ctx ends.
func summarize(ctx context.Context, w interface{ Write([]byte) (int, error) }, srv *server.Server, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	prev, prevAt := srv.Stats(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			st := srv.Stats()
			secs := now.Sub(prevAt).Seconds()
			fmt.Fprintf(w, "open %d  accepted %d  refused %d  in %d B  out %d B  buffered %d B  memory %d B  parked %d  rate in %.1f MB/s out %.1f MB/s\n",
				st.Open, st.Accepted, st.Refused, st.BytesIn, st.BytesOut, st.Buffered, st.Memory, st.Parked,
				float64(st.BytesIn-prev.BytesIn)/secs/1e6, float64(st.BytesOut-prev.BytesOut)/secs/1e6)
			prev, prevAt = st, now
		}
	}
}
