package floor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// Gnet is the bare gnet server. StartGnet makes one.
type Gnet struct {
	h         *handler
	closing   chan struct{}
	closeOnce sync.Once
	done      chan struct{}
	err       error
}

// StartGnet runs gnet.Run on address (host:port, port 0 picks a free port)
// with multicore event loops and 1 KiB reads, and returns once it listens.
// It serves until ctx is cancelled or Close is called.
func StartGnet(ctx context.Context, address string) (*Gnet, error) {
	h := &handler{booted: make(chan struct{})}
	s := &Gnet{h: h, closing: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = gnet.Run(h, "tcp://"+address,
			gnet.WithMulticore(true),
			gnet.WithReadBufferCap(1024),
			gnet.WithLogger(quiet{}), // gnet's default logger writes to stdout
		)
	}()
	select {
	case <-h.booted:
	case <-s.done:
		err := errors.Join(h.bootErr, s.err)
		if err == nil {
			err = errors.New("stopped before it started")
		}
		return nil, fmt.Errorf("floor: gnet: %w", err)
	}
	go s.stopOn(ctx)
	return s, nil
}

// stopOn stops gnet once ctx is cancelled or Close is called. Engine.Stop
// polls for the end every 500ms; gnet.Run returning is the precise
// signal, so Stop is given up as soon as it has.
func (s *Gnet) stopOn(ctx context.Context) {
	select {
	case <-s.done:
		return
	case <-ctx.Done():
	case <-s.closing:
	}
	stopCtx, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.done
		cancel()
	}()
	_ = s.h.eng.Stop(stopCtx)
}

// handler is the bare server's gnet.EventHandler: OnTraffic is all of its
// work.
type handler struct {
	gnet.BuiltinEventEngine

	eng     gnet.Engine
	addr    net.Addr
	bootErr error
	booted  chan struct{} // closed once eng and addr are set
}

// OnBoot records the engine and the address its listener is bound to.
func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	h.eng = eng
	if h.addr, h.bootErr = boundAddr(eng); h.bootErr != nil {
		return gnet.Shutdown
	}
	close(h.booted)
	return gnet.None
}

// OnTraffic sends back everything read so far, uppercased in place.
func (h *handler) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	_, _ = c.Write(codec.Upper(buf))
	return gnet.None
}

// Addr is the address the server is bound to, with the real port when the
// port asked for was 0.
func (s *Gnet) Addr() net.Addr { return s.h.addr }

// Done is closed once the server has stopped.
func (s *Gnet) Done() <-chan struct{} { return s.done }

// Wait blocks until the server has stopped and returns gnet.Run's error,
// nil when it stopped as asked.
func (s *Gnet) Wait() error {
	<-s.done
	if s.err != nil {
		return fmt.Errorf("floor: gnet: %w", s.err)
	}
	return nil
}

// Close stops the server, closing every connection, and returns Wait's
// error.
func (s *Gnet) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	return s.Wait()
}

// boundAddr asks the kernel where gnet's listener is bound (gnet v2's
// Engine does not say): getsockname on a duplicate of its descriptor.
func boundAddr(eng gnet.Engine) (net.Addr, error) {
	fd, err := eng.Dup()
	if err != nil {
		return nil, fmt.Errorf("listener descriptor: %w", err)
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, fmt.Errorf("getsockname: %w", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]).To16(), Port: sa.Port}, nil
	case *unix.SockaddrInet6:
		a := &net.TCPAddr{IP: net.IP(sa.Addr[:]), Port: sa.Port}
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a.Zone = ifi.Name
			}
		}
		return a, nil
	}
	return nil, fmt.Errorf("listener bound to a %T, not TCP", sa)
}

// quiet drops gnet's log lines: a floor logs nothing, and failures come
// back as errors from gnet.Run.
type quiet struct{}

func (quiet) Debugf(string, ...any) {}
func (quiet) Infof(string, ...any)  {}
func (quiet) Warnf(string, ...any)  {}
func (quiet) Errorf(string, ...any) {}
func (quiet) Fatalf(string, ...any) {}
