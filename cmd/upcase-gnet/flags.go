package main

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/config"
)

// What every command's flags share: the environment variable each reads
// (env), the table that ties each flag to the Config field it sets (fields),
// and how a value a library's Config refused is told as the flag that set
// it (badValue).

// envPrefix starts the name of every environment variable a flag of this
// binary reads: env's, and so the variables children.Env keeps from the
// serve and load children of compare.
const envPrefix = "UPCASE_GNET_"

// env names a flag's environment variable: envPrefix, then name, the flag's
// name in capitals with dashes as underscores, after COMPARE_ for compare's
// flags, which share names with load's (UPCASE_GNET_PORT,
// UPCASE_GNET_COMPARE_REPEAT).
func env(name string) []string { return []string{envPrefix + name} }

// field is one row of a command's fields: the flag that sets a Config
// field.
type field struct {
	// name is the Config field's, as a *config.Error names it; flag the
	// flag's.
	name, flag string
	// zero, if set, refuses a 0 given to the flag, which the library would
	// read as its own default where the flag shows a default of its own:
	// what is wrong, such as "must be positive, got 0s".
	zero string
	// parsed marks a field the command sets itself from what its flag
	// spells (an address, a time): the row only names the flag back.
	parsed bool
}

// What a row's zero says most often.
const (
	zeroTime  = "must be positive, got 0s"
	zeroCount = "must be at least 1, got 0"
	zeroBytes = "must be at least 1 byte, got 0"
)

// fields is a command's table of the flags that set its Config, read both
// ways: fill sets each field from its flag, and badValue names the flag of
// a field the library refused.
type fields []field

// fill sets the fields of the Config cfg points to from their flags, in
// the table's order, or refuses the first zero a row refuses, as
// "COMMAND: --FLAG PROBLEM".
func (t fields) fill(c *cli.Context, cfg any) error {
	v := reflect.ValueOf(cfg).Elem()
	for _, r := range t {
		if r.parsed {
			continue
		}
		f := v.FieldByName(r.name)
		var val any
		if size, ok := c.Generic(r.flag).(*sizeFlag); ok {
			val = size.Bytes() // a size flag is no flag.Getter: c.Value would panic
		} else {
			val = c.Value(r.flag)
		}
		f.Set(reflect.ValueOf(val).Convert(f.Type()))
		if r.zero != "" && f.IsZero() {
			return fmt.Errorf("%s: --%s %s", c.Command.Name, r.flag, r.zero)
		}
	}
	return nil
}

// flagOf is the flag that sets the field named name, if a row has it.
func (t fields) flagOf(name string) (string, bool) {
	for _, r := range t {
		if r.name == name {
			return r.flag, true
		}
	}
	return "", false
}

// badValue reports a value a library's Config refused (a *config.Error)
// as bad input: one line naming the flag that set the field, such as
// "load: --rate must be a number from 0 up, got NaN", and exit code 2. ok
// is false for any other error.
func badValue(err error, flags fields) (exit cli.ExitCoder, ok bool) {
	var bad *config.Error
	if !errors.As(err, &bad) {
		return nil, false
	}
	msg := bad.Error()
	if name, ok := flags.flagOf(bad.Field); ok {
		msg = bad.Pkg + ": --" + name + " " + bad.Problem
	}
	return cli.Exit(msg, 2), true
}
