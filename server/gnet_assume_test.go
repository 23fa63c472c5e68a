package server

// What the gnet engine assumes of gnet that gnet does not document, each
// checked against gnet alone: run them against another gnet release with
// scripts/gnet-upgrade-check VERSION before moving to it. Each assumption is
// also said once beside the code that relies on it.

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// assumeHandler is a gnet handler whose callbacks a test sets.
type assumeHandler struct {
	gnet.BuiltinEventEngine
	eng       gnet.Engine
	ready     chan struct{}
	readyOnce sync.Once
	open      func(gnet.Conn)
	traffic   func(gnet.Conn) gnet.Action
	close     func(gnet.Conn, error)
}

func (h *assumeHandler) OnBoot(eng gnet.Engine) gnet.Action { h.eng = eng; return gnet.None }

func (h *assumeHandler) OnTick() (time.Duration, gnet.Action) {
	h.readyOnce.Do(func() { close(h.ready) })
	return time.Hour, gnet.None
}

func (h *assumeHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if h.open != nil {
		h.open(c)
	}
	return nil, gnet.None
}

func (h *assumeHandler) OnTraffic(c gnet.Conn) gnet.Action {
	if h.traffic != nil {
		return h.traffic(c)
	}
	_, _ = c.Next(-1)
	return gnet.None
}

func (h *assumeHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	if h.close != nil {
		h.close(c, err)
	}
	return gnet.None
}

// runAssume runs gnet with h on a Unix socket of the test's, as the
// engine runs it (multicore, a ticker), until the test ends, and returns
// the socket's path once gnet's first tick says its loops run.
func runAssume(t *testing.T, h *assumeHandler, opts ...gnet.Option) string {
	t.Helper()
	h.ready = make(chan struct{})
	path := filepath.Join(t.TempDir(), "s")
	opts = append([]gnet.Option{gnet.WithMulticore(true), gnet.WithTicker(true), gnet.WithLogger(gnetLogger{slog.New(slog.NewTextHandler(io.Discard, nil))})}, opts...)
	done := make(chan error, 1)
	go func() { done <- gnet.Run(h, "unix://"+path, opts...) }()
	select {
	case <-h.ready:
	case err := <-done:
		t.Fatalf("gnet stopped before it ran: %v", err)
	case <-time.After(stallTimeout):
		t.Fatal("gnet's first tick never came")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stallTimeout)
		defer cancel()
		_ = h.eng.Stop(ctx)
		<-done
	})
	return path
}

// TestGnetAssumesReadCap: with WithReadBufferCap(n) every read hands
// OnTraffic at most n rounded up to a power of two, as gnetReadCap says,
// and Next(-1) hands over gnet's own read buffer, the same one each time
// (the engine uppercases it in place and copies what it keeps).
func TestGnetAssumesReadCap(t *testing.T) {
	t.Parallel()
	const readSize, total = 1000, 256 << 10
	var (
		mu      sync.Mutex
		most    int
		got     int
		buffers = map[*byte]bool{}
		all     = make(chan struct{})
	)
	h := &assumeHandler{traffic: func(c gnet.Conn) gnet.Action {
		buf, _ := c.Next(-1)
		mu.Lock()
		defer mu.Unlock()
		most = max(most, len(buf))
		if len(buf) > 0 {
			buffers[&buf[:1][0]] = true
		}
		if got += len(buf); got == total {
			close(all)
		}
		return gnet.None
	}}
	path := runAssume(t, h, gnet.WithReadBufferCap(readSize), gnet.WithNumEventLoop(1))
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(make([]byte, total)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-all:
	case <-time.After(stallTimeout):
		t.Fatal("gnet did not read it all")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := gnetReadCap(readSize); most != want {
		t.Errorf("largest read %d bytes, want gnetReadCap(%d) = %d", most, readSize, want)
	}
	if len(buffers) != 1 {
		t.Errorf("Next(-1) handed over %d different buffers, want gnet's one read buffer", len(buffers))
	}
}

// TestGnetAssumesOnCloseBeforeFdClose: OnClose runs while the connection's
// descriptor is still open, so that the engine can duplicate it for a
// finisher or a parked connection, and the duplicate outlives gnet's close
// with the socket still connected.
func TestGnetAssumesOnCloseBeforeFdClose(t *testing.T) {
	t.Parallel()
	dups := make(chan int, 1)
	h := &assumeHandler{close: func(c gnet.Conn, _ error) {
		fd, err := c.Dup()
		if err != nil {
			dups <- -1
			return
		}
		dups <- fd
	}}
	h.traffic = func(c gnet.Conn) gnet.Action {
		_, _ = c.Next(-1)
		return gnet.Close // the server closes: the client still reads
	}
	path := runAssume(t, h, gnet.WithNumEventLoop(1))
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	var fd int
	select {
	case fd = <-dups:
	case <-time.After(stallTimeout):
		t.Fatal("OnClose never ran")
	}
	if fd < 0 {
		t.Fatal("OnClose could not duplicate the connection's descriptor")
	}
	defer unix.Close(fd)
	// Written on the duplicate after gnet's close, read by the client: the
	// socket is still connected and gnet's close sent nothing after it.
	if _, err := unix.Write(fd, []byte("after")); err != nil {
		t.Fatalf("write on the duplicate after gnet's close: %v", err)
	}
	got := make([]byte, 5)
	_ = c.SetReadDeadline(time.Now().Add(stallTimeout))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "after" {
		t.Fatalf("client read %q, %v", got, err)
	}
}

// TestGnetAssumesEnrollAnswersAfterOpen: the answer to Engine.Register
// comes only after OnOpen has run for the connection on its loop, so that
// a connection still pending when the answer comes was not opened.
func TestGnetAssumesEnrollAnswersAfterOpen(t *testing.T) {
	t.Parallel()
	var opened atomic.Bool
	h := &assumeHandler{open: func(gnet.Conn) { opened.Store(true) }}
	runAssume(t, h, gnet.WithNumEventLoop(1))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.eng.Register(gnet.NewNetConnContext(context.Background(), server))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-res:
		if r.Err != nil {
			t.Fatalf("Register: %v", r.Err)
		}
		if !opened.Load() {
			t.Error("Register answered before OnOpen ran")
		}
	case <-time.After(stallTimeout):
		t.Fatal("Register never answered")
	}
}
