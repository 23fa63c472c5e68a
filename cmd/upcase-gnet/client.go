package main

import "github.com/urfave/cli/v2"

// clientCommand is a placeholder until the client command lands.
func clientCommand() *cli.Command {
	return &cli.Command{Name: "client", Hidden: true, Action: func(*cli.Context) error { return cli.Exit("client: not implemented yet", 2) }}
}
