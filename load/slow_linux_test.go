package load

import (
	"context"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSlowLastTaken: the last byte taken is when the server took it, not
// when the client's last write returned. The server here reads nothing for
// its first hold after the first byte arrives, then everything; its
// receive buffer is small, so most of the bytes wait in the client's send
// buffer, which took them at once: the client's writes were over long
// before the server took the last of them. (Linux: other systems cannot
// tell what a socket still holds, and report the last write.)
func TestSlowLastTaken(t *testing.T) {
	t.Parallel()
	const (
		hold = 300 * time.Millisecond
		send = 12 << 10 // more than the server's receive buffer holds, less than that and the client's send buffer
	)
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 2048) }); err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	read := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			read <- -1
			return
		}
		defer c.Close()
		first := make([]byte, 1)
		if _, err := io.ReadFull(c, first); err != nil {
			read <- -1
			return
		}
		time.Sleep(hold) // the server's own pause, the case under test: not a wait for anything
		n, _ := io.Copy(io.Discard, c)
		read <- n + 1
	}()

	res := mustRun(t, Config{Address: ln.Addr().String(), Conns: 1, Mode: Slow, SlowBytes: send,
		Duration: hold + 700*time.Millisecond, Timeout: time.Second})
	s := res.Slow
	if s == nil || s.Complete != 1 || s.TakenBytes != send {
		t.Fatalf("slow result %+v, want the one connection's %d bytes all taken", s, send)
	}
	// The server took bytes only once it read, at least hold after the
	// first one; a reading finds them taken later still.
	if s.LastTaken < hold || s.LastTaken > res.Duration+s.TakenEvery {
		t.Errorf("last byte taken at %v, want from %v (the server's pause) to the run's end", s.LastTaken, hold)
	}
	if s.TakenEvery != takenEvery(1) {
		t.Errorf("read every %v, want %v", s.TakenEvery, takenEvery(1))
	}
	ln.Close()
	if n := <-read; n != send {
		t.Errorf("the server read %d bytes, want %d", n, send)
	}
}
