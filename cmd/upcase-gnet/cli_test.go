package main

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// engines are the values of serve --engine every end-to-end case runs with.
var engines = []string{"gnet", "goroutine"}

// oneLine fails unless stderr is exactly one line, naming want, with no
// stack trace.
func oneLine(t *testing.T, stderr, want string) {
	t.Helper()
	s := strings.TrimRight(stderr, "\n")
	if strings.Count(s, "\n") != 0 || !strings.Contains(s, want) || strings.Contains(s, "goroutine ") {
		t.Errorf("stderr = %q, want one line containing %q", stderr, want)
	}
}

func TestServeAndClient(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := startServe(t, "--engine", engine)
			_, port, _ := net.SplitHostPort(srv.addr)
			out, stderr, code := run(t, nil, "client", "--port", port, "64KiB")
			if code != 0 {
				t.Fatalf("client exit %d, stderr %q", code, stderr)
			}
			for _, want := range []string{
				"Sending 65536 bytes of data, in chunks of 16 bytes",
				"Receiving all the data the server sends back",
				"The first data received says 'CAPITALIZE THIS!'",
				"65536 bytes received",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("client output lacks %q:\n%s", want, out)
				}
			}
			if err := srv.stop(t, 10*time.Second); err != nil {
				t.Errorf("serve exit after SIGTERM: %v, want 0; stderr %s", err, srv.stderr)
			}
			// Written to pipes, not terminals: no line is rewritten with
			// "\r", which would run the two commands' lines together.
			if strings.Contains(out, "\r") || strings.Contains(srv.stdout.String(), "\r") {
				t.Errorf("a carriage return off a terminal: client %q, serve %q", out, srv.stdout.String())
			}
			for _, want := range []string{"Processing up to 1024 bytes at a time from 127.0.0.1:", "65536 bytes processed so far", "Completed processing"} {
				if !strings.Contains(srv.stdout.String(), want) {
					t.Errorf("serve output lacks %q:\n%s", want, srv.stdout)
				}
			}
		})
	}
}

func TestClientByEnvironment(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--quiet")
	host, port, _ := net.SplitHostPort(srv.addr)
	_, stderr, code := run(t, []string{"UPCASE_GNET_HOST=" + host, "UPCASE_GNET_PORT=" + port}, "client", "1KiB")
	if code != 0 {
		t.Fatalf("client with UPCASE_GNET_PORT=%s: exit %d, stderr %q", port, code, stderr)
	}
}

func TestBadInputIsOneLine(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--quiet")
	_, port, _ := net.SplitHostPort(srv.addr)
	_, closedPort, _ := net.SplitHostPort(testkit.ClosedPort(t))

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"busy port", []string{"serve", "--port", port}, 1, "address already in use"},
		{"bad size", []string{"serve", "--max-buffer", "lots"}, 2, "invalid size"},
		{"unknown flag", []string{"serve", "--nope"}, 2, "nope"},
		{"unknown engine", []string{"serve", "--port", "0", "--engine", "tokio"}, 2, "unknown engine"},
		{"bad duration", []string{"serve", "--drain-timeout", "soon"}, 2, "drain-timeout"},
		{"negative finish timeout", []string{"serve", "--port", "0", "--finish-timeout", "-1s"}, 2, "finish-timeout"},
		{"bad unix mode", []string{"serve", "--port", "0", "--unix-mode", "0999"}, 2, "--unix-mode"},
		{"refused", []string{"client", "--port", closedPort}, 1, "connection refused"},
		{"bad client size", []string{"client", "--port", port, "-5"}, 2, ""},
		// A usage error, not the client's code for a stall (3).
		{"unknown command", []string{"nope"}, 2, `no command "nope": want serve, client, load, compare, merge`},
		{"help of an unknown command", []string{"help", "nope"}, 2, `no command "nope"`},
		// The flag as typed, not as the flag package spells it (-port).
		{"flag as typed", []string{"serve", "--port", "x"}, 2, `upcase-gnet: serve: invalid value "x" for flag --port:`},
		{"flag as typed, one dash", []string{"serve", "-port=x"}, 2, `for flag -port:`},
		// The command's name once, where the library has its own prefix.
		{"library prefix", []string{"serve", "--port", "0", "--max-buffer", "10"}, 2, "upcase-gnet: serve: --max-buffer 10 is below"},
		{"command prefix", []string{"serve", "--port", "0", "--read-size", "0"}, 2, "upcase-gnet: serve: --read-size"},
		// A 0 that the library would read as its default: every command
		// refuses it in one form, from its table (fields.fill).
		{"serve zero", []string{"serve", "--port", "0", "--drain-timeout", "0s"}, 2, "upcase-gnet: serve: --drain-timeout must be positive, got 0s"},
		{"client zero", []string{"client", "--port", port, "--stall-timeout", "0s"}, 2, "upcase-gnet: client: --stall-timeout must be positive, got 0s"},
		{"load zero", []string{"load", "--port", port, "--generator", ""}, 2, "upcase-gnet: load: --generator must name an engine, got none"},
		{"compare zero", []string{"compare", "--repeat", "0"}, 2, "upcase-gnet: compare: --repeat must be at least 1, got 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := run(t, nil, tc.args...)
			if code == 0 || (tc.code != 0 && code != tc.code) {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			oneLine(t, stderr, tc.want)
		})
	}
}

func TestClientStallExplainsDeadlock(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--quiet", "--engine", "goroutine")
	_, port, _ := net.SplitHostPort(srv.addr)
	_, stderr, code := run(t, nil, "client", "--port", port, "--stall-timeout", "1s", "32MiB")
	if code != 3 {
		t.Fatalf("sequential 32 MiB against the goroutine engine: exit %d, want 3 (a stall); stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "--duplex") {
		t.Errorf("the stall report does not point to --duplex: %q", stderr)
	}
	// The same transfer against the gnet engine completes. Its stall bound
	// is generous: when parallel tests fill the kernel's TCP memory, it
	// drops segments, and their retransmission backs off for seconds
	// (TcpExtTCPMemoryPressures, TCPRcvQDrop) with both sides idle.
	gsrv := startServe(t, "--quiet")
	_, gport, _ := net.SplitHostPort(gsrv.addr)
	if _, stderr, code := run(t, nil, "client", "--port", gport, "--stall-timeout", "60s", "32MiB"); code != 0 {
		t.Fatalf("sequential 32 MiB against the gnet engine: exit %d, stderr %q", code, stderr)
	}
}

// TestHelpNamesNoInternals: --help speaks of flags and values, not of the
// Go names behind them (load.MaxWorkers).
func TestHelpNamesNoInternals(t *testing.T) {
	t.Parallel()
	goName := regexp.MustCompile(`\b(client|codec|compare|config|engine|load|server)\.[A-Z]\w*`)
	for _, cmd := range []string{"serve", "client", "load", "compare", "merge"} {
		stdout, stderr, code := run(t, nil, cmd, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d, stderr %q", cmd, code, stderr)
		}
		if m := goName.FindAllString(stdout, -1); len(m) > 0 {
			t.Errorf("%s --help names %v", cmd, m)
		}
	}
}
