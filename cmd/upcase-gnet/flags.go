package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/config"
)

// What every command's flags share: the environment variable each reads
// (env), and how a value a library's Config refused is told as the flag
// that set it (badValue).

// envPrefix starts the name of every environment variable a flag of this
// binary reads: env's, and so the variables children.Env keeps from the
// serve and load children of compare.
const envPrefix = "UPCASE_GNET_"

// env names a flag's environment variable: envPrefix, then name, the flag's
// name in capitals with dashes as underscores, after COMPARE_ for compare's
// flags, which share names with load's (UPCASE_GNET_PORT,
// UPCASE_GNET_COMPARE_REPEAT).
func env(name string) []string { return []string{envPrefix + name} }

// badValue reports a value a library's Config refused (a *config.Error)
// as bad input: one line naming the flag that set the field, such as
// "load: --rate must be a number from 0 up, got NaN" (flags maps Config
// fields to flag names), and exit code 2. ok is false for any other error.
func badValue(err error, flags map[string]string) (exit cli.ExitCoder, ok bool) {
	var bad *config.Error
	if !errors.As(err, &bad) {
		return nil, false
	}
	msg := bad.Error()
	if name, ok := flags[bad.Field]; ok {
		msg = bad.Pkg + ": --" + name + " " + bad.Problem
	}
	return cli.Exit(msg, 2), true
}
