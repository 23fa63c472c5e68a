package server

import (
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// dialSmallReceive connects to srv with a receive buffer of rcvbuf bytes
// set before the handshake, so that the window the client offers is small
// from the start, as with the slow readers.
func dialSmallReceive(t *testing.T, srv *Server, rcvbuf int) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
		}); err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatalf("dial %s: %v", srv.Addr(), err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// testSlowReaders: clients that send and do not read for a while (a 4 KiB
// receive buffer, 8 MiB each: the socket buffers take most of it) leave a pingpong client beside them served;
// once they read, every byte comes back. On the gnet engine, which reads
// them all meanwhile, what they make it hold costs about that much memory
// (chunks, no buffer that doubles, no copy), and while they wait they cost
// no work: no write is retried until a socket drains. (The goroutine
// engine blocks them, as the original does, and holds one read each.)
func testSlowReaders(t *testing.T, e Engine) {
	const (
		slow = 8
		each = 8 << 20
	)
	srv, _ := startServer(t, e, Config{})
	p := randomPayload(each)
	conns := make([]net.Conn, slow)
	var writers sync.WaitGroup
	for i := range conns {
		conns[i] = dialSmallReceive(t, srv, 4096)
		writers.Go(func() {
			if _, err := writeAll(conns[i], p, 0, 64<<10, stallTimeout); err != nil {
				t.Errorf("slow client %d: %v", i, err)
				return
			}
			if err := closeWrite(conns[i]); err != nil {
				t.Errorf("slow client %d: %v", i, err)
			}
		})
	}
	pingpong := dial(t, srv)
	msg := []byte("capitalize this!")
	if e == Gnet {
		st := waitStats(t, srv, "every byte of the slow clients read", func(s Stats) bool { return s.BytesIn == slow*each })
		// Each connection rounds up to whole chunks, at both ends of what
		// it holds.
		if limit := st.Buffered + slow*2*chunkSize; st.Memory > limit || st.Buffered == 0 {
			t.Errorf("holding %d bytes for the slow clients in %d bytes of memory, want some held in at most %d", st.Buffered, st.Memory, limit)
		}
		for range 200 {
			if err := ping(pingpong, msg); err != nil {
				t.Fatal(err)
			}
		}
		after := srv.Stats()
		if after.WriteBlocks != st.WriteBlocks {
			t.Errorf("%d writes met a full socket while the slow clients waited, want none: a blocked connection costs nothing until its socket drains", after.WriteBlocks-st.WriteBlocks)
		}
		t.Logf("%d slow clients: %d bytes held in %d bytes of chunks, %d writes blocked in all", slow, st.Buffered, st.Memory, st.WriteBlocks)
	} else {
		for range 200 {
			if err := ping(pingpong, msg); err != nil {
				t.Fatal(err)
			}
		}
	}
	var readers sync.WaitGroup
	for i, c := range conns {
		readers.Go(func() {
			got, err := readAll(c, p, stallTimeout, nil)
			if err == nil && got != each {
				t.Errorf("slow client %d: %d bytes back, want %d", i, got, each)
			}
			if err != nil {
				t.Errorf("slow client %d: %v", i, err)
			}
		})
	}
	readers.Wait()
	writers.Wait()
	for _, c := range conns {
		c.Close()
	}
	pingpong.Close()
	st := settled(t, srv)
	if st.Undelivered != 0 || st.Memory != 0 {
		t.Errorf("Undelivered %d, Memory %d after the slow clients read everything, want 0 and 0", st.Undelivered, st.Memory)
	}
}

// testSmallBudgetReader: a budget far below what the engine holds back to
// batch its writes does not cut a client that reads (issue 9, item 4).
func testSmallBudgetReader(t *testing.T, e Engine) {
	var log logBuffer
	srv, _ := startServer(t, e, Config{MaxBuffer: 8 << 10, Logger: testLogger(t, &log)})
	roundTrip(t, dial(t, srv), randomPayload(1<<20), 16<<10)
	if st := settled(t, srv); st.Closed[ClosedBudget] != 0 || st.Undelivered != 0 {
		t.Errorf("Closed[budget] %d, Undelivered %d, want 0 and 0; log:\n%s", st.Closed[ClosedBudget], st.Undelivered, log.String())
	}
}
