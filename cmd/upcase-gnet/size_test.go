package main

import (
	"flag"
	"math"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"16", 16},
		{"1000", 1000},
		{"64KiB", 64 << 10},
		{"16MiB", 16 << 20},
		{"64MiB", 64 << 20},
		{"1GiB", 1 << 30},
		{"1gib", 1 << 30},
		{"1Gi", 1 << 30},
		{"1.5GiB", 3 << 29},
		{"64 MiB", 64 << 20},
		{" 16 ", 16},
		{"64MB", 64e6},
		{"64M", 64e6},
		{"1kB", 1000},
		{"16B", 16},
		{"1,024", 1024},
		{"8EiB", 0}, // 2^63: one past int64, so an error below
		{"7EiB", 7 << 60},
		{"9223372036854775807", math.MaxInt64},
	} {
		got, err := parseSize(tc.in)
		if tc.in == "8EiB" {
			if err == nil {
				t.Errorf("parseSize(%q) = %d; want too large", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseSizeRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, says string }{
		{"-1", "negative"},
		{"-64MiB", "negative"},
		{" -5", "negative"},
		{"", "want a byte count"},
		{"abc", "want a byte count"},
		{"MiB", "want a byte count"},
		{"16 parsecs", "want a byte count"},
		{"1e3", "want a byte count"},
		{"0x10", "want a byte count"},
		{"99999999999999999999", "too large"},
		{"20EiB", "too large"},
	} {
		got, err := parseSize(tc.in)
		if err == nil {
			t.Errorf("parseSize(%q) = %d; want an error", tc.in, got)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.says) || !strings.Contains(msg, strconv.Quote(tc.in)) {
			t.Errorf("parseSize(%q): %q; want it to quote the input and say %q", tc.in, msg, tc.says)
		}
	}
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{16, "16"},
		{1000, "1000"},
		{1024, "1KiB"},
		{1536, "1536"},
		{64 << 20, "64MiB"},
		{1 << 30, "1GiB"},
		{3 << 29, "1536MiB"},
		{math.MaxInt64, "9223372036854775807"},
	} {
		if got := formatSize(tc.in); got != tc.want {
			t.Errorf("formatSize(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

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

func TestJoinHostPort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host string
		port int
		want string
	}{
		{"127.0.0.1", 1060, "127.0.0.1:1060"},
		{"::1", 1060, "[::1]:1060"},
		{"[::1]", 1060, "[::1]:1060"},
		{"localhost", 0, "localhost:0"},
		{"fe80::1%lo", 80, "[fe80::1%lo]:80"},
	} {
		got, err := joinHostPort(tc.host, tc.port)
		if err != nil || got != tc.want {
			t.Errorf("joinHostPort(%q, %d) = %q, %v; want %q", tc.host, tc.port, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		host string
		port int
	}{{"127.0.0.1", -1}, {"127.0.0.1", 65536}, {"", 1060}, {"[]", 1060}, {"a b", 1}, {"[::1]:80", 1}} {
		if got, err := joinHostPort(tc.host, tc.port); err == nil {
			t.Errorf("joinHostPort(%q, %d) = %q; want an error", tc.host, tc.port, got)
		}
	}
}

// FuzzParseSize: parseSize never panics, never returns a negative size, and
// what it accepts survives formatSize and parseSize again unchanged.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "16", "64KiB", "16MiB", "1GiB", "1.5GiB", "64 MB", "-1", "1,024", "8EiB", "١٦", "abc", ".5k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			if n != 0 {
				t.Errorf("parseSize(%q) = %d with an error", s, n)
			}
			return
		}
		if n < 0 {
			t.Fatalf("parseSize(%q) = %d, negative", s, n)
		}
		text := formatSize(n)
		back, err := parseSize(text)
		if err != nil || back != n {
			t.Fatalf("parseSize(%q) = %d, formatted %q, parsed back %d, %v", s, n, text, back, err)
		}
	})
}

// FuzzJoinHostPort: whatever joinHostPort accepts, net.SplitHostPort takes
// apart again into the same host (brackets dropped) and port.
func FuzzJoinHostPort(f *testing.F) {
	f.Add("127.0.0.1", 1060)
	f.Add("::1", 0)
	f.Add("[::1]", 65535)
	f.Add("fe80::1%eth0", 80)
	f.Fuzz(func(t *testing.T, host string, port int) {
		addr, err := joinHostPort(host, port)
		if err != nil {
			return
		}
		h, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("joinHostPort(%q, %d) = %q, which SplitHostPort rejects: %v", host, port, addr, err)
		}
		if want := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"); h != want || p != strconv.Itoa(port) {
			t.Fatalf("joinHostPort(%q, %d) = %q, split into %q %q", host, port, addr, h, p)
		}
	})
}
