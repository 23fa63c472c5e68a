package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/client"
	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/servertest"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
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

// TestStallSequential is the original's deadlock: the goroutine engine
// blocks writing to a client that does not read until it has sent all.
func TestStallSequential(t *testing.T) {
	t.Parallel()
	addr := startServer(t, "tcp", "127.0.0.1:0")
	const stall = time.Second
	start := time.Now()
	res, err := client.Run(context.Background(), client.Config{
		Address: addr.String(), Bytes: 32 << 20, ChunkSize: bigChunk, StallTimeout: stall,
	})
	took := time.Since(start)
	var se *client.StallError
	if !errors.As(err, &se) {
		t.Fatalf("Run = %+v, %v; want a *StallError", res, err)
	}
	if took < stall || took > stall+10*time.Second {
		// The last bytes can trickle in for a while as the kernel packs
		// the full receive queues, hence the margin.
		t.Errorf("Run took %v; want a little over the stall timeout %v", took, stall)
	}
	if se.ClosedWrite || se.Duplex || se.Timeout != stall {
		t.Errorf("StallError = %+v; want a sequential stall while sending, after %v", se, stall)
	}
	if se.Sent <= 0 || se.Sent >= se.Total || se.Sent != res.Sent || se.Received != res.Received {
		t.Errorf("StallError counts %+v do not match the Result %+v", se, res)
	}
	msg := err.Error()
	for _, want := range []string{"--duplex", "deadlock", "receive buffer"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the explanation lacks %q:\n%s", want, msg)
		}
	}
	if runtime.GOOS == "linux" {
		// The server's replies pile up unread in the client's receive
		// queue: the evidence of the deadlock.
		if se.Queues == nil || se.Queues.Unread == 0 {
			t.Errorf("Queues = %+v; want the unread replies counted", se.Queues)
		}
		if !strings.Contains(msg, "SIOCINQ") {
			t.Errorf("the explanation lacks the socket queues:\n%s", msg)
		}
	}
}

// TestStallAfterCloseWrite: a server that reads everything and never
// answers nor closes is not the buffer deadlock, and the explanation says
// the server stopped.
func TestStallAfterCloseWrite(t *testing.T) {
	t.Parallel()
	addr := testkit.Peer(t, func(ctx context.Context, c *net.TCPConn) {
		io.Copy(io.Discard, c)
		<-ctx.Done()
	})
	res, err := client.Run(context.Background(), client.Config{Address: addr, Bytes: 4096, StallTimeout: time.Second})
	var se *client.StallError
	if !errors.As(err, &se) {
		t.Fatalf("Run = %+v, %v; want a *StallError", res, err)
	}
	if !se.ClosedWrite || se.Sent != 4096 || se.Received != 0 {
		t.Errorf("StallError = %+v; want all 4096 bytes sent, none back", se)
	}
	if msg := err.Error(); !strings.Contains(msg, "server stopped sending") {
		t.Errorf("the explanation does not say the server stopped sending:\n%s", msg)
	}
}

func TestMismatch(t *testing.T) {
	t.Parallel()
	const at = 1000 // inside a message and inside a 1024-byte block
	addr := testkit.Peer(t, func(_ context.Context, c *net.TCPConn) {
		testkit.Echo(c, func(b []byte, off int64) []byte {
			if off <= at && at < off+int64(len(b)) {
				b[at-off] ^= 0x01
			}
			return b
		})
	})
	want := codec.Uppered[at%16]
	for _, duplex := range []bool{false, true} {
		res, err := client.Run(context.Background(), client.Config{Address: addr, Bytes: 64 << 10, Duplex: duplex})
		var me *client.MismatchError
		if !errors.As(err, &me) {
			t.Fatalf("duplex %v: Run = %+v, %v; want a *MismatchError", duplex, res, err)
		}
		if got := *me; got != (client.MismatchError{Offset: at, Want: want, Got: want ^ 0x01}) {
			t.Errorf("duplex %v: MismatchError = %+v, want offset %d, %q for %q", duplex, got, at, want^0x01, want)
		}
		if res.Received != at {
			t.Errorf("duplex %v: Received = %d, want the %d good bytes before the wrong one", duplex, res.Received, at)
		}
		if !strings.Contains(err.Error(), "offset 1000") {
			t.Errorf("duplex %v: %q does not give the offset", duplex, err)
		}
	}
}

func TestShort(t *testing.T) {
	t.Parallel()
	// Reads everything, sends back half, closes.
	addr := testkit.Peer(t, func(_ context.Context, c *net.TCPConn) {
		b, _ := io.ReadAll(c)
		c.Write(codec.Upper(b[:len(b)/2]))
	})
	res, err := client.Run(context.Background(), client.Config{Address: addr, Bytes: 4096})
	var se *client.ShortError
	if !errors.As(err, &se) {
		t.Fatalf("Run = %+v, %v; want a *ShortError", res, err)
	}
	if got, want := *se, (client.ShortError{Total: 4096, Sent: 4096, Received: 2048}); got != want {
		t.Errorf("ShortError = %+v, want %+v", got, want)
	}
}

func TestExtraData(t *testing.T) {
	t.Parallel()
	addr := testkit.Peer(t, func(_ context.Context, c *net.TCPConn) {
		b, _ := io.ReadAll(c)
		c.Write(append(codec.Upper(b), 'C'))
	})
	_, err := client.Run(context.Background(), client.Config{Address: addr, Bytes: 32})
	if !errors.Is(err, client.ErrExtraData) {
		t.Fatalf("Run: %v; want ErrExtraData", err)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	// Reads one block, then resets the connection (SO_LINGER 0).
	addr := testkit.Peer(t, func(_ context.Context, c *net.TCPConn) {
		c.Read(make([]byte, codec.MaxRead))
		c.SetLinger(0)
		c.Close()
	})
	res, err := client.Run(context.Background(), client.Config{Address: addr, Bytes: 8 << 20, ChunkSize: bigChunk})
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Run = %+v, %v; want a reset", res, err)
	}
	if !strings.Contains(err.Error(), "after sending") {
		t.Errorf("%q does not give the counts so far", err)
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	// A port that was just free: nothing listens there now.
	_, err := client.Run(context.Background(), client.Config{Address: testkit.ClosedPort(t), Bytes: 16})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Run: %v; want connection refused", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A peer that swallows everything: a gigabyte keeps the client busy.
	// Cancelling once the peer holds the connection must end the run at
	// once, long before the transfer or the stall timeout could.
	addr := testkit.Peer(t, func(_ context.Context, c *net.TCPConn) {
		cancel()
		io.Copy(io.Discard, c)
	})
	start := time.Now()
	_, err := client.Run(ctx, client.Config{Address: addr, Bytes: 1 << 30, ChunkSize: bigChunk, StallTimeout: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v; want context.Canceled", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Run took %v after the cancel", took)
	}
}

func TestBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []client.Config{
		{Bytes: -1},
		{Network: "udp"},
		{Network: "unix"},
		{StallTimeout: -time.Second},
		{ChunkSize: -1},
	} {
		if _, err := client.Run(context.Background(), cfg); err == nil || !strings.HasPrefix(err.Error(), "client: ") {
			t.Errorf("Run(%+v) = %v; want a client: error", cfg, err)
		}
	}
}
