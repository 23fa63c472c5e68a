package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/metrics"
	"github.com/upcase-gnet/upcase-gnet/server"
)

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
	fmt.Fprintf(out, "Metrics at http://%s%s\n", ep.Addr(), metrics.Path)
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
