package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestSizeFlag checks the flag as serve declares --max-buffer: its default
// shows as 64MiB in --help, and a value comes from the command line or the
// environment.
func TestSizeFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want int64
	}{
		{nil, "", 64 << 20},
		{[]string{"--max-buffer", "1MiB"}, "", 1 << 20},
		{[]string{"--max-buffer=0"}, "", 0},
		{nil, "2KiB", 2 << 10},
		{[]string{"--max-buffer", "16"}, "2KiB", 16},
	} {
		t.Setenv("UPCASE_GNET_TEST_MAX_BUFFER", tc.env)
		f := &cli.GenericFlag{Name: "max-buffer", Value: newSizeFlag(64 << 20), EnvVars: []string{"UPCASE_GNET_TEST_MAX_BUFFER"}}
		if tc.env == "" {
			f.EnvVars = nil
		}
		if got, want := f.GetDefaultText(), "64MiB"; got != want {
			t.Errorf("default text %q, want %q", got, want)
		}
		var got int64
		app := &cli.App{Flags: []cli.Flag{f}, Action: func(c *cli.Context) error {
			got = c.Generic("max-buffer").(*sizeFlag).Bytes()
			return nil
		}}
		if err := app.Run(append([]string{"test"}, tc.args...)); err != nil {
			t.Errorf("%v env %q: %v", tc.args, tc.env, err)
		}
		if got != tc.want {
			t.Errorf("%v env %q: %d, want %d", tc.args, tc.env, got, tc.want)
		}
	}
	t.Run("bad value", func(t *testing.T) {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(new(strings.Builder))
		fs.Var(newSizeFlag(0), "max-buffer", "")
		err := fs.Parse([]string{"--max-buffer", "-1"})
		if err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("--max-buffer -1: %v; want a clear error", err)
		}
	})
}
