package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// The clients of the fault suite: each with a byte stream of its own,
// checked byte for byte, streaming, pinging or only connected.

// newStream is client i's endless byte stream: a block of its own, not a
// power of two long, with letters and other bytes, so that a crossed,
// shifted or wrongly cased reply shows.
func newStream(i int) testkit.Stream {
	return testkit.NewStream(fmt.Appendf(nil, "client %04d: capitalize this! \x00\xe9\xff ", i), testkit.Endless)
}

// next returns max bytes of s from offset off, copied from as many of its
// blocks as they span.
func next(s testkit.Stream, off int64, max int) []byte {
	var b []byte
	for len(b) < max {
		b = append(b, s.At(off+int64(len(b)), max-len(b))...)
	}
	return b
}

// streamResult is what one streaming client saw.
type streamResult struct {
	sent, received int64
	err            error
}

// windowedStream writes n bytes of client i's stream (testkit.Endless:
// until a write fails), keeping at most window of them unanswered as a client that
// reads while it writes does, then shuts down its side. It checks every
// reply byte and reads until EOF, which must come: after the last reply, or
// when the server stops. Once before bytes are back it says so on
// streaming, if set. Then it closes, which ends an endless writer.
func windowedStream(addr string, i int, n, window, before int64, streaming chan<- struct{}) streamResult {
	var r streamResult
	signalled := false
	signal := func() {
		if !signalled && streaming != nil {
			signalled = true
			streaming <- struct{}{}
		}
	}
	defer signal() // a client that failed early must not hang its test
	c, err := net.DialTimeout(network(addr), addr, faultBound)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	s := newStream(i)
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	var acked int64 // replies received, as the writer sees them
	readDone := false
	type written struct {
		off int64
		err error
	}
	wdone := make(chan written, 1)
	go func() {
		var off int64
		for off < n {
			mu.Lock()
			for off-acked >= window && !readDone {
				cond.Wait()
			}
			stop := readDone
			mu.Unlock()
			if stop {
				wdone <- written{off, nil}
				return
			}
			c.SetWriteDeadline(time.Now().Add(faultBound))
			k, err := c.Write(next(s, off, int(min(16<<10, n-off, window))))
			off += int64(k)
			if err != nil {
				if n == testkit.Endless {
					err = nil // the server stopped reading: by design
				}
				wdone <- written{off, err}
				return
			}
		}
		wdone <- written{off, testkit.CloseWrite(c)}
	}()
	buf := make([]byte, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(faultBound))
		k, err := c.Read(buf)
		if cerr := s.Check(r.received, buf[:k]); cerr != nil && r.err == nil {
			r.err = cerr
		}
		r.received += int64(k)
		mu.Lock()
		acked = r.received
		cond.Broadcast()
		mu.Unlock()
		if r.received >= before {
			signal()
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && r.err == nil {
				r.err = fmt.Errorf("read at offset %d: want the replies then EOF: %w", r.received, err)
			}
			break
		}
	}
	mu.Lock()
	readDone = true
	cond.Broadcast()
	mu.Unlock()
	c.Close()
	w := <-wdone
	r.sent = w.off
	if w.err != nil && r.err == nil {
		r.err = fmt.Errorf("write: %w", w.err)
	}
	if r.received > r.sent && r.err == nil {
		r.err = fmt.Errorf("received %d bytes, more than the %d sent", r.received, r.sent)
	}
	return r
}

// streamRoundTrip is a well-behaved client: it sends n bytes of client
// i's stream, at most 256 KiB of them unanswered, reading the replies as
// it goes, shuts down its side, and checks every byte and the EOF.
func streamRoundTrip(addr string, i int, n int64) error {
	r := windowedStream(addr, i, n, 256<<10, 0, nil)
	if r.err == nil && r.received != n {
		r.err = fmt.Errorf("EOF after %d bytes back of %d sent", r.received, n)
	}
	return r.err
}

// pingConn writes one message for client i and reads exactly its reply.
func pingConn(c net.Conn, i int) error {
	return testkit.Ping(c, next(newStream(i), 0, 32), faultBound)
}

// network is the network of an address serve printed: a path is a unix
// socket.
func network(addr string) string {
	if strings.HasPrefix(addr, "/") {
		return "unix"
	}
	return "tcp"
}

// connectPinging opens n connections to addr, each served one message,
// closed when the test ends.
func connectPinging(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	var conns []net.Conn
	for range n {
		c, err := net.DialTimeout(network(addr), addr, faultBound)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	pingAll(t, conns, "")
	return conns
}

// pingAll has each of conns served one message.
func pingAll(t *testing.T, conns []net.Conn, when string) {
	t.Helper()
	for i, c := range conns {
		if err := pingConn(c, i); err != nil {
			t.Errorf("client %d of %d %s: %v", i, len(conns), when, err)
		}
	}
}

// dialMany opens n connections to addr, at most 100 dials in flight,
// closed when the test ends if not before.
func dialMany(t *testing.T, addr string, n int) (conns []net.Conn, failed int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, 100)
	for range n {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			c, err := net.DialTimeout(network(addr), addr, faultBound)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			conns = append(conns, c)
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns, failed
}
