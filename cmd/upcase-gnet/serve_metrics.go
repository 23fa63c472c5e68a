package main

// serve's metrics endpoint: what --metrics-addr and --pprof start, and the
// warning when the endpoint can be reached from beyond loopback.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/metrics"
	"github.com/upcase-gnet/upcase-gnet/server"
)

// metricsPrefix starts the line serve prints when it serves metrics:
// "Metrics at URL", which the tests read back.
const metricsPrefix = "Metrics at "

// startMetrics serves srv's metrics on --metrics-addr (and Go's profiles
// with --pprof) when it is set, and prints where. It returns the function
// that stops the endpoint: serve calls it after the server has drained, so
// that the drain itself can be watched.
func startMetrics(c *cli.Context, out io.Writer, srv *server.Server, logger *slog.Logger) (stop func(), err error) {
	addr := c.String("metrics-addr")
	if addr == "" {
		if c.Bool("pprof") {
			logger.Warn("--pprof has no effect without --metrics-addr")
		}
		return func() {}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	ep, err := metrics.Serve(ctx, addr, metrics.NewRegistry(srv), metrics.Options{Pprof: c.Bool("pprof"), Logger: logger})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	warnExposure(logger, ep.Addr(), c.Bool("pprof"))
	fmt.Fprintf(out, "%shttp://%s%s\n", metricsPrefix, ep.Addr(), metrics.Path)
	if c.Bool("pprof") {
		fmt.Fprintf(out, "Profiles at http://%s%s\n", ep.Addr(), metrics.PprofPath)
	}
	return func() {
		cancel()
		if err := ep.Wait(); err != nil {
			logger.Warn("metrics endpoint", "err", err)
		}
	}, nil
}

// warnExposure warns when the metrics endpoint can be reached from beyond
// this host's loopback (0.0.0.0 and :: included), loudest with the
// profiler on: it hands out the command line, memory profiles and CPU
// profiles on demand to whoever can connect.
func warnExposure(logger *slog.Logger, addr net.Addr, pprof bool) {
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		return
	}
	if pprof {
		logger.Warn("--pprof serves Go's profiles (command line, memory, CPU on demand) beyond loopback: anyone who can reach this address can read them; use 127.0.0.1 unless that is meant",
			"addr", addr.String())
		return
	}
	logger.Warn("--metrics-addr serves metrics beyond loopback: anyone who can reach this address can read them", "addr", addr.String())
}
