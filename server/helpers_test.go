package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/engine"
)

// stallTimeout is how long a test client waits without a byte moving before
// it gives up: a stuck server fails the test instead of hanging it.
const stallTimeout = 20 * time.Second

// errStalled is what a client returns when nothing moved for its stall
// timeout: the deadlock of the original, or a stuck server.
var errStalled = errors.New("no progress")

// payload is a deterministic byte stream of size bytes, block repeated, and
// its expected reply. Streams are generated, not stored, so a 128 MiB
// transfer costs no 128 MiB buffer, and the block length is not a power of
// two, so a shifted or repeated piece of the reply shows as a wrong byte.
type payload struct {
	block []byte
	upper []byte
	size  int64
}

// randomBlock is 65521 (a prime) random bytes, every byte value many times
// over, letters included.
var randomBlock = func() []byte {
	r := rand.New(rand.NewPCG(1060, 1024))
	b := make([]byte, 65521)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

// randomPayload is size bytes of randomBlock repeated.
func randomPayload(size int64) payload { return blockPayload(randomBlock, size) }

// blockPayload is size bytes of block repeated.
func blockPayload(block []byte, size int64) payload {
	upper := codec.Upper(bytes.Clone(block))
	return payload{block: block, upper: upper, size: size}
}

// endless marks a payload whose writer goes on until the connection fails.
const endless = int64(1) << 62

// at returns the next piece of the stream to send from offset off: at most
// max bytes, never past the end of the block or the stream.
func (p payload) at(off int64, max int) []byte {
	i := int(off % int64(len(p.block)))
	n := int(min(int64(len(p.block)-i), int64(max), p.size-off))
	return p.block[i : i+n]
}

// check verifies that got is the reply expected at stream offset off, and
// names the first wrong byte.
func (p payload) check(off int64, got []byte) error {
	if end := off + int64(len(got)); end > p.size {
		return fmt.Errorf("got %d bytes back, more than the %d sent", end, p.size)
	}
	for len(got) > 0 {
		i := int(off % int64(len(p.block)))
		n := min(len(p.block)-i, len(got))
		if want := p.upper[i : i+n]; !bytes.Equal(got[:n], want) {
			j := 0
			for got[j] == want[j] {
				j++
			}
			return fmt.Errorf("wrong byte at offset %d: got %#02x, want %#02x (sent %#02x)",
				off+int64(j), got[j], want[j], p.block[i+j])
		}
		got, off = got[n:], off+int64(n)
	}
	return nil
}

// transfer is what a client moved.
type transfer struct {
	sent, received int64
}

// writeAll writes p[off:] in writes of at most chunk bytes until the stream
// ends, each write allowed stall without progress. It returns the offset
// reached.
func writeAll(conn net.Conn, p payload, off int64, chunk int, stall time.Duration) (int64, error) {
	for off < p.size {
		conn.SetWriteDeadline(time.Now().Add(stall))
		n, err := conn.Write(p.at(off, chunk))
		off += int64(n)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && n > 0:
			// Slow, not stuck: the deadline counts time without progress.
		case errors.Is(err, os.ErrDeadlineExceeded):
			return off, fmt.Errorf("%w for %v while writing at offset %d", errStalled, stall, off)
		default:
			return off, fmt.Errorf("write at offset %d: %w", off, err)
		}
	}
	return off, nil
}

// readAll reads replies to EOF, verifying every byte, each read allowed
// stall. onRead, if set, sees the running count. It returns the count.
func readAll(conn net.Conn, p payload, stall time.Duration, onRead func(received int64)) (int64, error) {
	buf := make([]byte, 64<<10)
	var got int64
	for {
		conn.SetReadDeadline(time.Now().Add(stall))
		n, err := conn.Read(buf)
		if cerr := p.check(got, buf[:n]); cerr != nil {
			return got, cerr
		}
		got += int64(n)
		if n > 0 && onRead != nil {
			onRead(got)
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return got, nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			return got, fmt.Errorf("%w for %v while reading at offset %d", errStalled, stall, got)
		default:
			return got, fmt.Errorf("read at offset %d: %w", got, err)
		}
	}
}

// closeWrite shuts down the sending side of a TCP or unix connection.
func closeWrite(conn net.Conn) error {
	cw, ok := conn.(interface{ CloseWrite() error })
	if !ok {
		return fmt.Errorf("%T cannot shut down its sending side", conn)
	}
	return cw.CloseWrite()
}

// sequential is the original client: it writes the whole payload, shuts
// down its sending side, and only then reads the replies to EOF. Against a
// server that does not read while it writes, it deadlocks once the payload
// outgrows the socket buffers; stall bounds how long it waits for that.
func sequential(conn net.Conn, p payload, chunk int, stall time.Duration) (transfer, error) {
	var tr transfer
	var err error
	if tr.sent, err = writeAll(conn, p, 0, chunk, stall); err != nil {
		return tr, err
	}
	if err := closeWrite(conn); err != nil {
		return tr, err
	}
	if tr.received, err = readAll(conn, p, stall, nil); err != nil {
		return tr, err
	}
	if tr.received != tr.sent {
		return tr, fmt.Errorf("EOF after %d bytes back of %d sent", tr.received, tr.sent)
	}
	return tr, nil
}

// duplex reads replies while it writes, so it never deadlocks with any
// server. It writes the payload and shuts down its sending side; an endless
// payload is written until a write fails. The reader verifies every byte up
// to EOF, then the connection is closed, which ends a blocked writer. The
// read error is returned; the write error separately, since a server that
// stops makes the writer of an endless payload fail by design.
func duplex(conn net.Conn, p payload, chunk int, onRead func(received int64)) (tr transfer, writeErr, readErr error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.sent, writeErr = writeAll(conn, p, 0, chunk, stallTimeout)
		if writeErr == nil {
			writeErr = closeWrite(conn)
		}
	}()
	tr.received, readErr = readAll(conn, p, stallTimeout, onRead)
	conn.Close()
	<-done
	return tr, writeErr, readErr
}

// checkRoundTrip runs the duplex client over p and says what went wrong
// unless every byte came back.
func checkRoundTrip(conn net.Conn, p payload, chunk int) error {
	tr, werr, rerr := duplex(conn, p, chunk, nil)
	if werr != nil || rerr != nil {
		return fmt.Errorf("duplex round trip of %d bytes: write: %v; read: %v", p.size, werr, rerr)
	}
	if tr.received != p.size {
		return fmt.Errorf("duplex round trip: got %d bytes back, want %d", tr.received, p.size)
	}
	return nil
}

// roundTrip is checkRoundTrip failing the test.
func roundTrip(t *testing.T, conn net.Conn, p payload, chunk int) {
	t.Helper()
	if err := checkRoundTrip(conn, p, chunk); err != nil {
		t.Fatal(err)
	}
}

// ping writes msg and reads exactly its reply, leaving the connection open.
func ping(conn net.Conn, msg []byte) error {
	p := blockPayload(msg, int64(len(msg)))
	conn.SetDeadline(time.Now().Add(stallTimeout))
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("ping write: %w", err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, got); err != nil {
		return fmt.Errorf("ping read: %w", err)
	}
	return p.check(0, got)
}

// startServer starts engine e with cfg on a free loopback port and stops it
// when the test ends, failing the test if the stop overruns the drain
// timeout. It returns the context's cancel for tests of the stop itself.
func startServer(t *testing.T, e engine.Name, cfg Config) (*Server, context.CancelFunc) {
	t.Helper()
	cfg.Engine = e
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t, io.Discard)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("Start(%s): %v", e, err)
	}
	t.Cleanup(func() {
		cancel()
		limit := srv.Config().DrainTimeout + 5*time.Second
		select {
		case <-srv.Done():
			if err := srv.Wait(); err != nil {
				t.Errorf("Wait after stop: %v", err)
			}
		case <-time.After(limit):
			t.Errorf("%s server still running %v after its stop", e, limit)
		}
	})
	return srv, cancel
}

// testLogger logs at Info and above to the test's output and to also, so
// that a failing test shows what the server said and a test can look for a
// line.
func testLogger(t *testing.T, also io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), also), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// logBuffer collects log output safely from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// dial connects to srv and closes the connection when the test ends, before
// the server stops (cleanups run last registered first).
func dial(t *testing.T, srv *Server) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout(srv.Addr().Network(), srv.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", srv.Addr(), err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitStats polls srv's Stats until cond holds, and fails the test with
// what it last saw after a bound: counters move on the server's goroutines,
// after the client has seen the effect.
func waitStats(t *testing.T, srv *Server, what string, cond func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		st := srv.Stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: last stats %+v", what, st)
		}
		<-tick.C
	}
}

// settled waits until every connection has finished, then checks that the
// counters add up: each admitted connection closed once, nothing still
// held, and every byte read either written back or counted undelivered.
func settled(t *testing.T, srv *Server) Stats {
	t.Helper()
	st := waitStats(t, srv, "every connection to finish", func(s Stats) bool { return s.Open == 0 })
	var closed uint64
	for _, n := range st.Closed {
		closed += n
	}
	if closed != st.Accepted {
		t.Errorf("%d connections closed, %d accepted: %+v", closed, st.Accepted, st)
	}
	if st.Buffered != 0 {
		t.Errorf("Buffered = %d with no connection open", st.Buffered)
	}
	if st.BytesIn != st.BytesOut+st.Undelivered {
		t.Errorf("BytesIn %d != BytesOut %d + Undelivered %d", st.BytesIn, st.BytesOut, st.Undelivered)
	}
	return st
}
