package floor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// Goroutine is the bare goroutine-per-connection server. StartGoroutine
// makes one.
type Goroutine struct {
	ln        net.Listener
	closing   chan struct{}
	closeOnce sync.Once
	done      chan struct{}
	err       error

	mu    sync.Mutex
	conns map[net.Conn]struct{} // open, to be closed on stop
	wg    sync.WaitGroup        // a goroutine a connection
}

// StartGoroutine listens on address (host:port, port 0 picks a free port)
// with net.Listen and returns once it does. It serves each connection from
// a goroutine of its own, with a 1 KiB buffer, until ctx is cancelled or
// Close is called.
func StartGoroutine(ctx context.Context, address string) (*Goroutine, error) {
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("floor: goroutine: %w", err)
	}
	s := &Goroutine{ln: ln, closing: make(chan struct{}), done: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	go s.stopOn(ctx)
	go func() {
		defer close(s.done)
		s.err = s.accept()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.conns = nil
		s.mu.Unlock()
		s.wg.Wait()
	}()
	return s, nil
}

// stopOn closes the listener once ctx is cancelled or Close is called.
func (s *Goroutine) stopOn(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.closing:
	}
	s.ln.Close()
}

// accept serves each connection accepted until the listener is closed. A
// failed accept (out of descriptors, say) is tried again after a pause,
// as net/http does, so that the server outlives it.
func (s *Goroutine) accept() error {
	var pause time.Duration
	for {
		c, err := s.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			time.Sleep(pause)
			continue
		}
		pause = 0
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

// serve reads at most 1 KiB at a time and writes it back uppercased until
// the connection fails or ends.
func (s *Goroutine) serve(c net.Conn) {
	defer s.wg.Done()
	buf := make([]byte, codec.MaxRead)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(codec.Upper(buf[:n])); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Addr is the address the server is bound to, with the real port when the
// port asked for was 0.
func (s *Goroutine) Addr() net.Addr { return s.ln.Addr() }

// Done is closed once the server has stopped: its listener and every
// connection closed, every connection's goroutine ended.
func (s *Goroutine) Done() <-chan struct{} { return s.done }

// Wait blocks until the server has stopped and returns what stopped it,
// nil when it stopped as asked.
func (s *Goroutine) Wait() error {
	<-s.done
	return s.err
}

// Close stops the server, closing every connection, and returns Wait's
// error.
func (s *Goroutine) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	return s.Wait()
}
