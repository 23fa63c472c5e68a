// Command upcase-gnet serves, drives and compares the uppercase echo server
// of the classic socket-deadlock example, on gnet's event loop or one
// goroutine per connection.
//
//	upcase-gnet serve [--engine gnet|goroutine] ...
//	upcase-gnet client [--duplex] [BYTES]
//	upcase-gnet load --conns 10000 --mode pingpong ...
//	upcase-gnet compare ...
//	upcase-gnet merge shard-*.json
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	app := &cli.App{
		Name:  "upcase-gnet",
		Usage: "an uppercase echo server on gnet's event loop, its goroutine-per-connection twin, and the tools to compare them",
		Commands: []*cli.Command{
			serveCommand(),
			clientCommand(),
			loadCommand(),
			compareCommand(),
			mergeCommand(),
		},
		// Errors are printed once, below, as one line.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   oneLineUsageError,
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = oneLineUsageError
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "upcase-gnet:", err)
		os.Exit(exitCode(err))
	}
}

// oneLineUsageError reports a bad flag as one line and exit code 2,
// instead of urfave/cli's usage text.
func oneLineUsageError(_ *cli.Context, err error, _ bool) error {
	return cli.Exit(err.Error()+" (see --help)", 2)
}

// exitCode is the code a command asked for with cli.Exit, or 1.
func exitCode(err error) int {
	if ec, ok := err.(cli.ExitCoder); ok && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	return 1
}
