package client_test

// The client's failures against servers that misbehave on purpose
// (testkit.Peer) or are not there: each error says what happened.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/client"
	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/config"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/servertest"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
	"github.com/upcase-gnet/upcase-gnet/server"
)

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

// TestReset: a server that resets a duplex client, which was reading all
// along, is not the budget cut-off: the error is the reset, with the counts.
func TestReset(t *testing.T) {
	t.Parallel()
	// Reads one block, then resets the connection (SO_LINGER 0).
	addr := testkit.Peer(t, testkit.Resetter)
	res, err := client.Run(context.Background(), client.Config{Address: addr, Bytes: 8 << 20, ChunkSize: bigChunk, Duplex: true})
	// The writer or the reader meets the reset first: a socket says
	// ECONNRESET once, and EOF to the other after it.
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) && (err == nil || !strings.Contains(err.Error(), "the server closed the connection")) {
		t.Fatalf("Run = %+v, %v; want a reset, or the close that follows it", res, err)
	}
	var cut *client.CutOffError
	if errors.As(err, &cut) {
		t.Errorf("a duplex client reset: %v; want no advice to use --duplex", err)
	}
	if !strings.Contains(err.Error(), "after sending") {
		t.Errorf("%q does not give the counts so far", err)
	}
}

// TestCutOff: a server that closes on a sequential client while it sends,
// as serve's gnet engine does past --max-buffer, or while it reads the
// replies after sending everything, is a *CutOffError: one line saying what
// that most likely means and what to try, with the counts and the reset
// still there for errors.Is.
func TestCutOff(t *testing.T) {
	t.Parallel()
	budget := servertest.Start(t, server.Config{Address: "127.0.0.1:0", Engine: engine.Gnet, MaxBuffer: 1 << 20}).Addr().String()
	// Reads everything the client sends, then resets the connection.
	afterAll := testkit.Peer(t, func(_ context.Context, c *net.TCPConn) {
		_, _ = io.Copy(io.Discard, c)
		_ = testkit.Reset(c)
	})
	for _, tc := range []struct {
		name      string
		addr      string
		bytes     int64
		receiving bool
	}{
		{"sending, past the server's --max-buffer", budget, 64 << 20, false},
		{"sending, reset by a peer", testkit.Peer(t, testkit.Resetter), 8 << 20, false},
		{"receiving, reset after everything was sent", afterAll, 1 << 20, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := client.Run(context.Background(), client.Config{Address: tc.addr, Bytes: tc.bytes, ChunkSize: bigChunk})
			var cut *client.CutOffError
			if !errors.As(err, &cut) {
				t.Fatalf("Run = %+v, %v; want a *CutOffError", res, err)
			}
			if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
				t.Errorf("%v does not wrap the reset", err)
			}
			if cut.Receiving != tc.receiving || cut.Total != tc.bytes || cut.Sent != res.Sent || cut.Received != res.Received {
				t.Errorf("CutOffError %+v, Result %+v; want receiving %v, total %d", cut, res, tc.receiving, tc.bytes)
			}
			if !tc.receiving && (cut.Sent <= 0 || cut.Sent >= cut.Total || cut.Received != 0) {
				t.Errorf("CutOffError %+v: want some bytes sent, not all, none received", cut)
			}
			msg := err.Error()
			for _, want := range []string{
				"client: the server closed the connection after this client had sent ",
				fmt.Sprintf(" %d of %d bytes ", cut.Sent, cut.Total),
				"(serve --max-buffer, " + config.FormatSize(server.DefaultMaxBuffer) + " by default) is cut off",
				"try --duplex, or a larger --max-buffer on the server",
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("%q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "127.0.0.1") {
				t.Errorf("%q: want one line, without the socket's addresses", msg)
			}
		})
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
