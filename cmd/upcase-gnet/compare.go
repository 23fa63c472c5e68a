package main

import "github.com/urfave/cli/v2"

// compareCommand is a placeholder until the compare command lands.
func compareCommand() *cli.Command {
	return &cli.Command{Name: "compare", Hidden: true, Action: func(*cli.Context) error { return cli.Exit("compare: not implemented yet", 2) }}
}
