package client_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upcase-gnet/upcase-gnet/client"
	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/servertest"
	"github.com/upcase-gnet/upcase-gnet/server"
)

// bigChunk is the write size of the large transfers: the same stream as
// 16-byte writes with far fewer system calls, so that the race detector
// stays fast.
const bigChunk = 64 << 10

// startServer runs the goroutine engine, the faithful twin of the original
// server, on a free port, and stops it when the test ends.
func startServer(t *testing.T, network, address string) net.Addr {
	t.Helper()
	return servertest.Start(t, server.Config{Network: network, Address: address, Engine: engine.Goroutine}).Addr()
}

func TestSequential16Bytes(t *testing.T) {
	t.Parallel()
	addr := startServer(t, "tcp", "127.0.0.1:0")
	var out bytes.Buffer
	res, err := client.Run(context.Background(), client.Config{Address: addr.String(), Bytes: 16, Output: &out})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, want := res, (client.Result{Sent: 16, Received: 16, First: codec.Uppered, Elapsed: res.Elapsed}); got != want {
		t.Errorf("Result = %+v, want %+v", got, want)
	}
	// The original's text, in its order; only the final duration varies.
	wantText := "Sending 16 bytes of data, in chunks of 16 bytes\n" +
		"\r  16 bytes sent\n" +
		"Receiving all the data the server sends back\n" +
		"  The first data received says 'CAPITALIZE THIS!'\n" +
		"\r  16 bytes received\n" +
		"Sent 16 bytes and received 16 bytes back, all uppercase, in "
	if got := out.String(); !strings.HasPrefix(got, wantText) {
		t.Errorf("output:\n%q\nwant it to start with\n%q", got, wantText)
	}
}

// TestPlainProgress: with Plain, for an output that is not a terminal,
// the same text with every progress line a line of its own, no "\r".
func TestPlainProgress(t *testing.T) {
	t.Parallel()
	addr := startServer(t, "tcp", "127.0.0.1:0")
	var out bytes.Buffer
	if _, err := client.Run(context.Background(), client.Config{Address: addr.String(), Bytes: 16, Output: &out, Plain: true}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	wantText := "Sending 16 bytes of data, in chunks of 16 bytes\n" +
		"  16 bytes sent\n" +
		"Receiving all the data the server sends back\n" +
		"  The first data received says 'CAPITALIZE THIS!'\n" +
		"  16 bytes received\n" +
		"Sent 16 bytes and received 16 bytes back, all uppercase, in "
	if got := out.String(); !strings.HasPrefix(got, wantText) || strings.Contains(got, "\r") {
		t.Errorf("output:\n%q\nwant it to start with\n%q, and no \\r", got, wantText)
	}
}

func TestRoundTrips(t *testing.T) {
	t.Parallel()
	tcp := startServer(t, "tcp", "127.0.0.1:0")
	for _, tc := range []struct {
		name string
		cfg  client.Config
	}{
		// The CLI's own 16-byte writes, well under the socket buffers.
		{"sequential 1MiB", client.Config{Bytes: 1 << 20}},
		// Rounded up to whole messages, as the original does.
		{"sequential rounds up", client.Config{Bytes: 1000, ChunkSize: 100}},
		{"sequential 0 bytes", client.Config{Bytes: 0}},
		// Far past the socket buffers: only reading while sending gets
		// through the goroutine engine.
		{"duplex 32MiB", client.Config{Bytes: 32 << 20, Duplex: true, ChunkSize: bigChunk}},
		{"duplex 16 bytes", client.Config{Bytes: 16, Duplex: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			cfg.Address = tcp.String()
			var out bytes.Buffer
			cfg.Output = &out
			want := (cfg.Bytes + 15) / 16 * 16
			res, err := client.Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
			}
			if res.Sent != want || res.Received != want {
				t.Errorf("sent %d, received %d, want %d each", res.Sent, res.Received, want)
			}
			wantFirst := codec.Uppered[:min(want, 16)]
			if res.First != wantFirst {
				t.Errorf("First = %q, want %q", res.First, wantFirst)
			}
			if got, want := out.String(), "  The first data received says '"+wantFirst+"'\n"; !strings.Contains(got, want) {
				t.Errorf("output %q lacks %q", got, want)
			}
		})
	}
}

func TestOtherNetworks(t *testing.T) {
	t.Parallel()
	t.Run("unix", func(t *testing.T) {
		t.Parallel()
		// A short directory: a unix socket path is limited to about 100
		// bytes, and t.TempDir's paths carry the test's name.
		dir, err := os.MkdirTemp("", "ugc")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		path := filepath.Join(dir, "s")
		startServer(t, "unix", path)
		// Sequentially, only a small transfer: a unix socket charges each
		// 16-byte write its whole buffer overhead, so the original's
		// deadlock comes at about 30 KiB there, not megabytes.
		for _, cfg := range []client.Config{{Bytes: 4 << 10}, {Bytes: 1 << 20, Duplex: true}} {
			cfg.Network, cfg.Address = "unix", path
			res, err := client.Run(context.Background(), cfg)
			if err != nil || res.Received != cfg.Bytes {
				t.Errorf("Run(duplex %v) = %+v, %v; want all %d bytes back", cfg.Duplex, res, err, cfg.Bytes)
			}
		}
	})
	t.Run("ipv6", func(t *testing.T) {
		t.Parallel()
		if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
			t.Skipf("no IPv6 loopback here: %v", err)
		} else {
			ln.Close()
		}
		addr := startServer(t, "tcp6", "[::1]:0")
		res, err := client.Run(context.Background(), client.Config{Address: addr.String(), Bytes: 64 << 10, Duplex: true})
		if err != nil || res.Received != 64<<10 {
			t.Fatalf("Run = %+v, %v; want all 65536 bytes back", res, err)
		}
	})
}
