package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// FuzzServeFlags runs the real serve command, with its real flags, on
// fuzzed durations and engine names, with a context already cancelled, so
// that an accepted command line starts a server on a free port and stops
// it at once. A command line is accepted exactly when every value is valid
// (durations as Go writes them, the timeouts not negative, the drain
// positive, a known engine; a minimal reference server ignores the
// durations' values); a rejected one is one line of error, no panic.
func FuzzServeFlags(f *testing.F) {
	for _, seed := range []struct{ idle, write, drain, engine string }{
		{"0", "0", "5s", "gnet"},
		{"30s", "1m", "100ms", "goroutine"},
		{"-1s", "0", "5s", "gnet"},
		{"0", "0", "0", "gnet"},
		{"1h", "2h45m", "1.5s", "goroutine"},
		{"5", "0", "5s", "gnet"},
		{"1e3s", "0", "5s", "gnet"},
		{"0", "0", "5s", "epoll"},
		{"9999999999h", "0", "5s", "gnet"},
		{"", "0", "5s", ""},
		{"-1s", "0", "0", "bare-gnet"},
		{"0", "0", "5s", "bare-goroutine"},
	} {
		f.Add(seed.idle, seed.write, seed.drain, seed.engine)
	}
	f.Fuzz(func(t *testing.T, idle, write, drain, engine string) {
		dur := func(s string) (time.Duration, bool) {
			d, err := time.ParseDuration(s)
			return d, err == nil
		}
		i, iok := dur(idle)
		w, wok := dur(write)
		d, dok := dur(drain)
		// The minimal reference servers ignore every duration.
		bare := engine == "bare-gnet" || engine == "bare-goroutine"
		valid := iok && wok && dok && (bare || i >= 0 && w >= 0 && d > 0 && (engine == "gnet" || engine == "goroutine"))

		cmd := serveCommand()
		cmd.OnUsageError = oneLineUsageError
		var out bytes.Buffer
		app := &cli.App{
			Name:           "upcase-gnet",
			Commands:       []*cli.Command{cmd},
			Writer:         &out,
			ErrWriter:      &out,
			ExitErrHandler: func(*cli.Context, error) {},
			OnUsageError:   oneLineUsageError,
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := app.RunContext(ctx, []string{"upcase-gnet", "serve", "--host", "127.0.0.1", "--port", "0", "--quiet",
			"--log-level", "error", "--idle-timeout", idle, "--write-timeout", write, "--drain-timeout", drain, "--engine", engine})
		what := fmt.Sprintf("serve --idle-timeout %q --write-timeout %q --drain-timeout %q --engine %q", idle, write, drain, engine)
		if acceptedWhenValid(t, what, valid, err) && !strings.HasPrefix(out.String(), listeningLine("127.0.0.1:")) {
			t.Fatalf("accepted, but printed %q", out.String())
		}
	})
}

// acceptedWhenValid fails the test unless what was accepted (err is nil)
// exactly when valid is set, and a rejection is one line of error (a final
// newline aside). It says whether what was accepted.
func acceptedWhenValid(t *testing.T, what string, valid bool, err error) bool {
	t.Helper()
	switch {
	case valid && err != nil:
		t.Fatalf("%s: %v; want it accepted", what, err)
	case !valid && err == nil:
		t.Fatalf("%s accepted; want an error", what)
	case err != nil && strings.Contains(strings.TrimRight(err.Error(), "\n"), "\n"):
		t.Fatalf("%s error %q: want one line", what, err)
	}
	return err == nil
}
