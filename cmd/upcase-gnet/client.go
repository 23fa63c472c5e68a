package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/client"
	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/config"
)

// Exit codes of the client command beyond 0 and 1, so that scripts can tell
// a deadlock from a wrong answer.
const (
	// exitUsage is a bad argument or value, as main's usage errors.
	exitUsage = 2
	// exitStall is the deadlock, or any other stall, reported by the client.
	exitStall = 3
)

// clientCommand runs the original's conventional client against a server.
func clientCommand() *cli.Command {
	return &cli.Command{
		Name:      "client",
		Usage:     "send BYTES of \"capitalize this!\" in 16-byte writes, then read them back uppercased",
		ArgsUsage: "[BYTES]",
		Description: `Sends BYTES (default 16, rounded up to a multiple of 16; sizes such as
64KiB, 16MiB or 1GiB are powers of 1024, 64kB or 16MB powers of 1000)
as 16-byte writes of "capitalize this!", shuts down its sending side, then
reads everything back and checks every byte, as the original client does.
Past the socket buffers (some MiB over TCP, some tens of KiB over a Unix
socket) that deadlocks against a server that blocks while writing: the
client stops after --stall-timeout without traffic and explains why (exit
code 3). --duplex reads while sending and avoids it. A server that holds
only so much for a client that does not read (serve --max-buffer) cuts it
off: the client exits 1 and says so. A wrong byte back exits 1 and names
its offset.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "host", Value: codec.DefaultHost, Usage: "server host (::1 for IPv6)", EnvVars: env("HOST")},
			&cli.IntFlag{Name: "port", Value: codec.DefaultPort, Usage: "server TCP port", EnvVars: env("PORT")},
			&cli.StringFlag{Name: "unix", Usage: "connect to this Unix socket path instead of --host and --port", EnvVars: env("UNIX")},
			&cli.BoolFlag{Name: "duplex", Usage: "read the replies while sending, which cannot deadlock", EnvVars: env("DUPLEX")},
			&cli.DurationFlag{Name: "stall-timeout", Value: client.DefaultStallTimeout, Usage: "give up and explain after this long with no byte moving either way", EnvVars: env("STALL_TIMEOUT")},
		},
		Action: runClient,
	}
}

func runClient(c *cli.Context) error {
	cfg, err := clientConfig(c)
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	cfg.Output, cfg.Plain = c.App.Writer, !terminal(c.App.Writer)
	_, err = client.Run(c.Context, cfg)
	if exit, ok := badValue(err, clientFlags); ok {
		return exit
	}
	var stall *client.StallError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &stall):
		return cli.Exit(err.Error(), exitStall)
	default:
		// A mismatch (with its offset), a short or extra reply, a refused
		// or reset connection, a cut-off (client.CutOffError, with what to
		// try): each error says it in one line.
		return cli.Exit(err.Error(), 1)
	}
}

// clientFlags are the flags that set client.Config's fields.
var clientFlags = fields{
	{name: "Duplex", flag: "duplex"},
	{name: "StallTimeout", flag: "stall-timeout", zero: zeroTime},
}

// clientConfig turns the command line into a client.Config, or an error
// that names the bad value.
func clientConfig(c *cli.Context) (client.Config, error) {
	cfg := client.Config{Bytes: 16}
	switch args := c.Args(); args.Len() {
	case 0:
	case 1:
		n, err := config.ParseSize(args.First())
		if err != nil {
			return cfg, fmt.Errorf("client: BYTES: %w", err)
		}
		cfg.Bytes = n
	default:
		return cfg, fmt.Errorf("client: want at most one argument, BYTES; got %d", args.Len())
	}
	// client.Config checks every value (Run); here only the zero that
	// would read as its default, where the flag shows the default instead.
	if err := clientFlags.fill(c, &cfg); err != nil {
		return cfg, err
	}
	if path := c.String("unix"); path != "" {
		cfg.Network, cfg.Address = "unix", path
		return cfg, nil
	}
	if port := c.Int("port"); port == 0 {
		return cfg, errors.New("client: --port 0 names no server; give the port the server printed")
	}
	addr, err := joinHostPort(c.String("host"), c.Int("port"))
	if err != nil {
		return cfg, fmt.Errorf("client: %w", err)
	}
	cfg.Network, cfg.Address = "tcp", addr
	return cfg, nil
}
