package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"
)

// How a command line that cannot run is told: one line, exit code 2, the
// flag named as it was typed; and how every error line starts: with the
// command's name, once.

// oneLineUsageError reports a bad flag as one line and exit code 2,
// instead of urfave/cli's usage text.
func oneLineUsageError(_ *cli.Context, err error, _ bool) error {
	return cli.Exit(asTyped(err.Error(), os.Args[1:])+" (see --help)", exitUsage)
}

// flagNamed finds the flag in the flag package's errors, which spell it
// "-NAME" however it was typed: "flag provided but not defined: -nope",
// `invalid value "x" for flag -port: ...`, "flag needs an argument: -port".
var flagNamed = regexp.MustCompile(`(for flag|for|defined:|argument:) -([^\s:=]+)`)

// asTyped rewrites the flag msg names as it was typed in args ("--port" or
// "-port"), or as --help spells it where args do not have it.
func asTyped(msg string, args []string) string {
	return flagNamed.ReplaceAllStringFunc(msg, func(m string) string {
		sub := flagNamed.FindStringSubmatch(m)
		return sub[1] + " " + typedFlag(sub[2], args)
	})
}

// typedFlag is flag name as args spell it, before any "=value".
func typedFlag(name string, args []string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		f, _, _ := strings.Cut(a, "=")
		if f == "-"+name || f == "--"+name {
			return f
		}
	}
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// unknownCommand refuses a command the app does not have, as a usage
// error.
func unknownCommand(app *cli.App, name string) error {
	names := make([]string, 0, len(app.Commands))
	for _, c := range app.Commands {
		if c.Name != "help" {
			names = append(names, c.Name)
		}
	}
	return cli.Exit(fmt.Sprintf("no command %q: want %s (see --help)", name, strings.Join(names, ", ")), exitUsage)
}

// commandName is the command args run (its first argument that names
// one), or "".
func commandName(app *cli.App, args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if c := app.Command(a); c != nil {
			return c.Name
		}
		return ""
	}
	return ""
}

// libraryPrefixes are the prefixes of the errors of the library a command
// fronts, which its own name replaces: "server: ..." from serve reads
// "serve: ...", "load: merge: ..." from merge "merge: ...".
var libraryPrefixes = map[string]string{
	"serve": "server",
	"merge": "load",
}

// errorLine is err's message as main prints it after "upcase-gnet: ": it
// starts with the command's name once, whichever layer said it.
func errorLine(command string, err error) string {
	msg := err.Error()
	if command == "" {
		return msg
	}
	if lib, ok := libraryPrefixes[command]; ok {
		msg = strings.TrimPrefix(msg, lib+": ")
	}
	if !strings.HasPrefix(msg, command+": ") {
		msg = command + ": " + msg
	}
	return msg
}
