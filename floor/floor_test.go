package floor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// bound is how long any one step of a test may take, generous for a
// shared machine under the race detector.
const bound = 30 * time.Second

// server is what the tests need of either floor.
type server interface {
	testkit.Service
	Addr() net.Addr
	Close() error
}

// floors starts each floor on a free loopback port.
var floors = []struct {
	name  string
	start func(ctx context.Context, address string) (server, error)
}{
	{"gnet", func(ctx context.Context, a string) (server, error) { return StartGnet(ctx, a) }},
	{"goroutine", func(ctx context.Context, a string) (server, error) { return StartGoroutine(ctx, a) }},
}

// start starts f for the test, stopped by the test's end.
func start(t *testing.T, f func(context.Context, string) (server, error)) (server, context.CancelFunc) {
	t.Helper()
	return testkit.Start(t, bound, func(ctx context.Context) (server, error) { return f(ctx, "127.0.0.1:0") })
}

// randomBlock is a block of every byte value in a fixed pseudo-random
// order and a length that is not a power of two, so that a shifted or
// crossed reply shows as a wrong byte.
var randomBlock = func() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 4093)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

// duplex writes p in chunk-byte writes while it reads the replies, checks
// them byte for byte, then shuts its sending side and expects EOF.
func duplex(c net.Conn, p testkit.Stream, chunk int) error {
	c.SetDeadline(time.Now().Add(bound))
	werr := make(chan error, 1)
	go func() {
		for off := int64(0); off < p.Size; {
			b := p.At(off, chunk)
			if _, err := c.Write(b); err != nil {
				werr <- err
				return
			}
			off += int64(len(b))
		}
		werr <- testkit.CloseWrite(c)
	}()
	buf := make([]byte, 32<<10)
	var got int64
	for {
		n, err := c.Read(buf)
		if cerr := p.Check(got, buf[:n]); cerr != nil {
			return cerr
		}
		got += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read after %d of %d bytes: %w", got, p.Size, err)
		}
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if got != p.Size {
		return fmt.Errorf("got %d bytes back, then EOF; want %d", got, p.Size)
	}
	return nil
}

// TestUppercase: each floor sends back exactly the uppercase of what it
// is sent, over loopback, at sizes that split reads at every kind of
// boundary, and to many clients at once, each its own bytes.
func TestUppercase(t *testing.T) {
	for _, f := range floors {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := start(t, f.start)
			if a, ok := srv.Addr().(*net.TCPAddr); !ok || a.Port == 0 || !a.IP.Equal(net.IPv4(127, 0, 0, 1)) {
				t.Fatalf("Addr() = %v, want 127.0.0.1 and the port bound", srv.Addr())
			}
			for _, tc := range []struct {
				size  int64
				chunk int
			}{
				{1, 1}, {16, 16}, {255, 7}, {1023, 1021}, {1025, 1025}, {4099, 333}, {65537, 4097}, {1 << 20, 32 << 10},
			} {
				t.Run(fmt.Sprintf("%d bytes in %d-byte writes", tc.size, tc.chunk), func(t *testing.T) {
					if err := duplex(testkit.Dial(t, srv.Addr()), testkit.NewStream(randomBlock, tc.size), tc.chunk); err != nil {
						t.Fatal(err)
					}
				})
			}
			t.Run("200 clients at once", func(t *testing.T) {
				const clients = 200
				startAll := make(chan struct{})
				errs := make([]error, clients)
				var wg sync.WaitGroup
				for i := range clients {
					wg.Go(func() {
						<-startAll
						c, err := net.DialTimeout("tcp", srv.Addr().String(), bound)
						if err != nil {
							errs[i] = err
							return
						}
						defer c.Close()
						errs[i] = duplex(c, testkit.NewStream(randomBlock[i*17:], 8<<10+int64(i)), 100+i)
					})
				}
				close(startAll)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Errorf("client %d: %v", i, err)
					}
				}
			})
		})
	}
}

// TestStop: a stop, by Close or by the context, closes every open
// connection and the listener, and Wait reports no error.
func TestStop(t *testing.T) {
	for _, f := range floors {
		for _, how := range []string{"Close", "context"} {
			t.Run(f.name+"/"+how, func(t *testing.T) {
				t.Parallel()
				srv, cancel := start(t, f.start)
				c := testkit.Dial(t, srv.Addr())
				if err := testkit.Ping(c, []byte("still served?"), bound); err != nil {
					t.Fatal(err)
				}
				switch how {
				case "Close":
					if err := srv.Close(); err != nil {
						t.Fatalf("Close: %v", err)
					}
				default:
					cancel()
					select {
					case <-srv.Done():
					case <-time.After(bound):
						t.Fatalf("still running %v after the context ended", bound)
					}
					if err := srv.Wait(); err != nil {
						t.Fatalf("Wait: %v", err)
					}
				}
				c.SetReadDeadline(time.Now().Add(bound))
				if n, err := c.Read(make([]byte, 1)); err == nil {
					t.Errorf("read %d bytes from a connection of a stopped server, want its close", n)
				}
				if c2, err := net.DialTimeout("tcp", srv.Addr().String(), bound); err == nil {
					c2.Close()
					t.Errorf("dial after the stop succeeded, want the listener closed")
				}
				if err := srv.Close(); err != nil {
					t.Errorf("second Close: %v", err)
				}
			})
		}
	}
}

// TestBindError: an address already taken is an error from Start, with
// nothing left running.
func TestBindError(t *testing.T) {
	taken := testkit.Listen(t).Addr().String()
	for _, f := range floors {
		t.Run(f.name, func(t *testing.T) {
			srv, err := f.start(context.Background(), taken)
			if err == nil {
				srv.Close()
				t.Fatalf("started on %s, which is taken", taken)
			}
		})
	}
}
