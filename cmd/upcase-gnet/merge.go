package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/load"
)

// mergeCommand turns the --json results of load's shards into one report.
func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "merge the --json results of load shards (load --shard I/N) into one report",
		ArgsUsage: "FILE... (- for standard input)",
		Description: `Reads load --json results, one JSON object a line, from each FILE (- is
standard input, such as the pods' logs of an Indexed Job); other lines are
shown on stderr and skipped. Adds their counts up and merges their HDR
histograms exactly, so the percentiles are those of all the shards' samples
together. Prints load's table and one line per shard (connections,
messages/s, errors, start skew), or with --json one JSON object.

Refuses results of different tests, a shard given twice, histograms of
different settings, and results whose measured windows do not overlap
(runs taken one after the other, whose rates must not add up), unless
--allow-disjoint. Exits 1 when a shard had errors or failed connections,
is missing or started late, unless --allow-errors.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the merged result as one JSON object", EnvVars: env("JSON")},
			&cli.BoolFlag{Name: "allow-errors", Usage: "exit 0 even if a shard had errors, is missing or started late", EnvVars: env("ALLOW_ERRORS")},
			&cli.BoolFlag{Name: "allow-disjoint", Usage: "merge results whose measured windows do not overlap, adding their rates as if they had run at once", EnvVars: env("ALLOW_DISJOINT")},
		},
		Action: runMerge,
	}
}

func runMerge(c *cli.Context) error {
	if !c.Args().Present() {
		return cli.Exit("merge: give result files, or - for standard input", 2)
	}
	skipped := func(source, line string) {
		fmt.Fprintf(c.App.ErrWriter, "merge: %s: not a result, skipped: %s\n", source, line)
	}
	var ins []load.Input
	for _, name := range c.Args().Slice() {
		var got []load.Input
		var err error
		if name == "-" {
			got, err = load.ReadResults(os.Stdin, "-", skipped)
		} else {
			got, err = readResultFile(name, skipped)
		}
		if err != nil {
			return cli.Exit(err.Error(), 1)
		}
		ins = append(ins, got...)
	}
	if len(ins) == 0 {
		return cli.Exit("merge: no results in "+strings.Join(c.Args().Slice(), ", "), 1)
	}
	m, err := load.MergeShardsWith(load.MergeOptions{AllowDisjoint: c.Bool("allow-disjoint")}, ins...)
	var disjoint *load.DisjointError
	if errors.As(err, &disjoint) {
		return cli.Exit(err.Error()+" (--allow-disjoint to merge them anyway)", 1)
	}
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	report := load.NewMergedTextReporter(m)
	if c.Bool("json") {
		report = load.NewMergedJSONReporter(m)
	}
	if err := report(c.App.Writer); err != nil {
		return cli.Exit(err.Error(), 1)
	}
	if p := m.Problems(); len(p) > 0 && !c.Bool("allow-errors") {
		return cli.Exit(fmt.Sprintf("merge: %s (--allow-errors to accept)", strings.Join(p, "; ")), 1)
	}
	return nil
}

func readResultFile(name string, skipped func(source, line string)) ([]load.Input, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	return load.ReadResults(f, name, skipped)
}
