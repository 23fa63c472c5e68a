package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/servertest"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
	"github.com/upcase-gnet/upcase-gnet/server"
)

// runClientCommand runs "upcase-gnet client ARGS..." in-process as main
// does, and returns its stdout, the error main would print and the exit
// code main would exit with. The end-to-end tests (cli_test.go) run the
// binary; these check the exit codes and messages of the client's own
// failures, the faulty peer included. They do not run in parallel:
// urfave/cli v2 applies its global help flag on every run, a data race
// between two apps running at once.
func runClientCommand(t *testing.T, args ...string) (stdout, errText string, code int) {
	t.Helper()
	var out bytes.Buffer
	cmd := clientCommand()
	cmd.OnUsageError = oneLineUsageError
	app := &cli.App{
		Name:           "upcase-gnet",
		Commands:       []*cli.Command{cmd},
		Writer:         &out,
		ErrWriter:      io.Discard,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	err := app.Run(append([]string{"upcase-gnet", "client"}, args...))
	if err == nil {
		return out.String(), "", 0
	}
	return out.String(), err.Error(), exitCode(err)
}

// clientTestServer runs the goroutine engine on a free port and returns
// its port.
func clientTestServer(t *testing.T) string {
	t.Helper()
	srv := servertest.Start(t, server.Config{Engine: engine.Goroutine})
	return strconv.Itoa(srv.Addr().(*net.TCPAddr).Port)
}

func TestClientCommandMismatch(t *testing.T) {
	// A deliberately faulty server: it reads everything, then sends it back
	// uppercased with byte 100 wrong.
	addr := testkit.Peer(t, func(_ context.Context, c *net.TCPConn) {
		b, _ := io.ReadAll(c)
		b = codec.Upper(b)
		b[100] = '?'
		c.Write(b)
	})
	_, port, _ := net.SplitHostPort(addr)
	_, errText, code := runClientCommand(t, "--port", port, "1KiB")
	if code != 1 || !strings.Contains(errText, "offset 100") {
		t.Fatalf("exit %d, %q; want 1 and the offset", code, errText)
	}
}

func TestClientCommandErrors(t *testing.T) {
	_, free, _ := net.SplitHostPort(testkit.ClosedPort(t)) // connecting is refused
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--port", free}, 1, "connection refused"},
		{[]string{"--port", free, "abc"}, exitUsage, `invalid size "abc"`},
		{[]string{"--port", free, "--", "-16"}, exitUsage, "negative"},
		{[]string{"--port", free, "16", "32"}, exitUsage, "at most one argument"},
		{[]string{"--port", "0"}, exitUsage, "--port 0"},
		{[]string{"--port", "70000"}, exitUsage, "invalid port"},
		{[]string{"--host", "", "--port", free}, exitUsage, "invalid host"},
		{[]string{"--port", free, "--stall-timeout", "0s"}, exitUsage, "--stall-timeout"},
	} {
		_, errText, code := runClientCommand(t, tc.args...)
		if code != tc.code || !strings.Contains(errText, tc.says) || strings.Contains(errText, "\n") {
			t.Errorf("client %q: exit %d, %q; want exit %d and one line saying %q", tc.args, code, errText, tc.code, tc.says)
		}
	}
}

// TestClientCommandEnv checks that the environment variables reach the
// flags, the way a script would set them.
func TestClientCommandEnv(t *testing.T) {
	port := clientTestServer(t)
	t.Setenv("UPCASE_GNET_HOST", "127.0.0.1")
	t.Setenv("UPCASE_GNET_PORT", port)
	t.Setenv("UPCASE_GNET_DUPLEX", "true")
	t.Setenv("UPCASE_GNET_STALL_TIMEOUT", "2s")
	out, errText, code := runClientCommand(t, "64KiB")
	if code != 0 || !strings.Contains(out, "while receiving") || !strings.Contains(out, "65536 bytes received") {
		t.Fatalf("exit %d, %q\nstdout:\n%s", code, errText, out)
	}
	t.Setenv("UPCASE_GNET_STALL_TIMEOUT", "soon")
	if _, errText, code := runClientCommand(t); code == 0 || !strings.Contains(errText, "UPCASE_GNET_STALL_TIMEOUT") {
		t.Errorf("a bad UPCASE_GNET_STALL_TIMEOUT: exit %d, %q", code, errText)
	}
}

// TestClientCommandCutOff: a server that closes on the sequential client
// while it sends (here a peer that reads one block and resets; serve's gnet
// engine past --max-buffer does the same) ends the client with exit 1 and
// one line saying what that most likely means and what to try.
func TestClientCommandCutOff(t *testing.T) {
	_, port, _ := net.SplitHostPort(testkit.Peer(t, testkit.Resetter))
	_, errText, code := runClientCommand(t, "--port", port, "8MiB")
	if code != 1 || strings.Contains(errText, "\n") {
		t.Fatalf("exit %d, %q; want 1 and one line", code, errText)
	}
	for _, want := range []string{"the server closed the connection after this client had sent", "serve --max-buffer", "try --duplex, or a larger --max-buffer on the server"} {
		if !strings.Contains(errText, want) {
			t.Errorf("%q does not say %q", errText, want)
		}
	}
}
