package main

import "github.com/urfave/cli/v2"

// loadCommand is a placeholder until the load command lands.
func loadCommand() *cli.Command {
	return &cli.Command{Name: "load", Hidden: true, Action: func(*cli.Context) error { return cli.Exit("load: not implemented yet", 2) }}
}
