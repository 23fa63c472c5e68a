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
	app := newApp()
	// urfave/cli calls CommandNotFound for "upcase-gnet nope" and "help
	// nope", where it would otherwise exit 3, the client's code for a stall.
	var unknown string
	app.CommandNotFound = func(_ *cli.Context, name string) { unknown = name }
	err := app.Run(os.Args)
	command := commandName(app, os.Args[1:])
	if unknown != "" {
		err, command = unknownCommand(app, unknown), ""
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "upcase-gnet:", errorLine(command, err))
		os.Exit(exitCode(err))
	}
}

// newApp is the command line: its commands, each reporting a bad flag as
// one line (oneLineUsageError).
func newApp() *cli.App {
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
		// Errors are printed once, by main, as one line.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   oneLineUsageError,
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = oneLineUsageError
	}
	return app
}

// exitCode is the code a command asked for with cli.Exit, or 1.
func exitCode(err error) int {
	if ec, ok := err.(cli.ExitCoder); ok && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	return 1
}
