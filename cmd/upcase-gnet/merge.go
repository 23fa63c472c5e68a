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
skipped, and counted in one line a file on stderr. A file with lines but no
result in them is refused. Adds their counts up and merges their HDR
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
	var ins []load.Input
	for _, name := range c.Args().Slice() {
		got, skip, err := readResults(name)
		if err != nil {
			return cli.Exit(err.Error(), 1)
		}
		switch {
		case len(got) == 0 && skip.lines > 0:
			return cli.Exit(fmt.Sprintf("merge: %s: no load result, only %s: give what load --json printed", name, skip), 1)
		case skip.lines > 0:
			fmt.Fprintf(c.App.ErrWriter, "merge: %s: skipped %s\n", name, skip)
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

// skipped is what one input of merge held that was not a result: a pod's
// log mixes in its stderr, and a wrong file is all such lines. It is told
// in one line, not one a line.
type skipped struct {
	lines int
	first string // `3: "text"`: the first one's number and its start
}

func (s *skipped) add(source, line string) {
	if s.lines == 0 {
		s.first = fmt.Sprintf("%s: %.60q", source[strings.LastIndex(source, ":")+1:], line)
	}
	s.lines++
}

// String is how many lines were skipped, and the first.
func (s *skipped) String() string {
	if s.lines == 1 {
		return "1 line that is not a result (line " + s.first + ")"
	}
	return fmt.Sprintf("%d lines that are not results (the first, line %s)", s.lines, s.first)
}

// readResults reads the results in file name, - for standard input, and
// counts the lines that are not.
func readResults(name string) ([]load.Input, *skipped, error) {
	skip := &skipped{}
	if name == "-" {
		ins, err := load.ReadResults(os.Stdin, "-", skip.add)
		return ins, skip, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	ins, err := load.ReadResults(f, name, skip.add)
	return ins, skip, err
}
