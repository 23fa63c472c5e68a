package server

// The clients of the tests: the original sequential one, the duplex one
// that never deadlocks, and the ping.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// stallTimeout is how long a test client waits without a byte moving before
// it gives up: a stuck server fails the test instead of hanging it.
const stallTimeout = 20 * time.Second

// errStalled is what a client returns when nothing moved for its stall
// timeout: the deadlock of the original, or a stuck server.
var errStalled = errors.New("no progress")

// transfer is what a client moved.
type transfer struct {
	sent, received int64
}

// writeAll writes p[off:] in writes of at most chunk bytes until the stream
// ends, each write allowed stall without progress. It returns the offset
// reached.
func writeAll(conn net.Conn, p testkit.Stream, off int64, chunk int, stall time.Duration) (int64, error) {
	for off < p.Size {
		conn.SetWriteDeadline(time.Now().Add(stall))
		n, err := conn.Write(p.At(off, chunk))
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
func readAll(conn net.Conn, p testkit.Stream, stall time.Duration, onRead func(received int64)) (int64, error) {
	buf := make([]byte, 64<<10)
	var got int64
	for {
		conn.SetReadDeadline(time.Now().Add(stall))
		n, err := conn.Read(buf)
		if cerr := p.Check(got, buf[:n]); cerr != nil {
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

// sequential is the original client: it writes the whole payload, shuts
// down its sending side, and only then reads the replies to EOF. Against a
// server that does not read while it writes, it deadlocks once the payload
// outgrows the socket buffers; stall bounds how long it waits for that.
func sequential(conn net.Conn, p testkit.Stream, chunk int, stall time.Duration) (transfer, error) {
	return sequentialFrom(conn, p, 0, chunk, stall)
}

// sequentialFrom is sequential from offset off of the payload: it finishes
// a transfer begun by hand.
func sequentialFrom(conn net.Conn, p testkit.Stream, off int64, chunk int, stall time.Duration) (transfer, error) {
	var tr transfer
	var err error
	if tr.sent, err = writeAll(conn, p, off, chunk, stall); err != nil {
		return tr, err
	}
	if err := testkit.CloseWrite(conn); err != nil {
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
func duplex(conn net.Conn, p testkit.Stream, chunk int, onRead func(received int64)) (tr transfer, writeErr, readErr error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.sent, writeErr = writeAll(conn, p, 0, chunk, stallTimeout)
		if writeErr == nil {
			writeErr = testkit.CloseWrite(conn)
		}
	}()
	tr.received, readErr = readAll(conn, p, stallTimeout, onRead)
	conn.Close()
	<-done
	return tr, writeErr, readErr
}

// checkRoundTrip runs the duplex client over p and says what went wrong
// unless every byte came back.
func checkRoundTrip(conn net.Conn, p testkit.Stream, chunk int) error {
	tr, werr, rerr := duplex(conn, p, chunk, nil)
	if werr != nil || rerr != nil {
		return fmt.Errorf("duplex round trip of %d bytes: write: %v; read: %v", p.Size, werr, rerr)
	}
	if tr.received != p.Size {
		return fmt.Errorf("duplex round trip: got %d bytes back, want %d", tr.received, p.Size)
	}
	return nil
}

// roundTrip is checkRoundTrip failing the test.
func roundTrip(t *testing.T, conn net.Conn, p testkit.Stream, chunk int) {
	t.Helper()
	if err := checkRoundTrip(conn, p, chunk); err != nil {
		t.Fatal(err)
	}
}

// ping writes msg and reads exactly its reply, leaving the connection open.
func ping(conn net.Conn, msg []byte) error { return testkit.Ping(conn, msg, stallTimeout) }

// writeInBackground sends p on c, 64 KiB a write, from a goroutine counted
// in client, and returns the channel its error comes on.
func writeInBackground(client *sync.WaitGroup, c net.Conn, p testkit.Stream) <-chan error {
	wrote := make(chan error, 1)
	client.Go(func() {
		_, err := writeAll(c, p, 0, 64<<10, stallTimeout)
		wrote <- err
	})
	return wrote
}
