package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// BenchmarkAccept: N new connections started at once against a running
// server, each of which sends one 16-byte message; the time from the
// common start to each reply, max and p99.
func BenchmarkAccept(b *testing.B) {
	for _, eng := range servers {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/%d", eng, n), func(b *testing.B) {
				srv := startServer(b, eng)
				warm, err := net.DialTimeout("tcp", srv.addr, bound)
				if err != nil {
					b.Fatal(err)
				}
				if err := testkit.Ping(warm, []byte(codec.Message), bound); err != nil {
					b.Fatal(err)
				}
				warm.Close()
				var all []time.Duration
				var dialed time.Duration
				for b.Loop() {
					lat, d, err := acceptRound(srv.addr, n)
					if err != nil {
						srv.alive(b)
						b.Fatal(err)
					}
					all = append(all, lat...)
					dialed = max(dialed, d)
				}
				srv.alive(b)
				slices.Sort(all)
				b.ReportMetric(ms(all[len(all)-1]), "max-ms")
				b.ReportMetric(ms(all[(len(all)*99+99)/100-1]), "p99-ms")
				b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
				b.ReportMetric(ms(dialed), "dialed-ms")
			})
		}
	}
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// acceptRound starts n clients at once, each of which connects to addr,
// sends codec.Message and reads its uppercase reply, and returns the time
// each took from the common start, and the time by which the last connect
// returned: the client's own spread, which bounds what the server can
// show on a machine shared with it. The connections stay open until all
// are served.
func acceptRound(addr string, n int) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, n)
	dialed := make([]time.Duration, n)
	errs := make([]error, n)
	conns := make([]net.Conn, n)
	defer closeAll(conns)
	start := make(chan struct{})
	var t0 time.Time
	var ready, wg sync.WaitGroup
	ready.Add(n)
	for i := range n {
		wg.Go(func() {
			ready.Done()
			<-start
			d := net.Dialer{Deadline: t0.Add(bound)}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				errs[i] = fmt.Errorf("connection %d: %w", i, err)
				return
			}
			dialed[i] = time.Since(t0)
			conns[i] = c
			c.SetDeadline(t0.Add(bound))
			if _, err := io.WriteString(c, codec.Message); err != nil {
				errs[i] = fmt.Errorf("connection %d: write: %w", i, err)
				return
			}
			got := make([]byte, len(codec.Message))
			if _, err := io.ReadFull(c, got); err != nil {
				errs[i] = fmt.Errorf("connection %d: read: %w", i, err)
				return
			}
			lat[i] = time.Since(t0)
			if string(got) != codec.Uppered {
				errs[i] = fmt.Errorf("connection %d: reply %q, want %q", i, got, codec.Uppered)
			}
		})
	}
	ready.Wait()
	t0 = time.Now()
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	return lat, slices.Max(dialed), nil
}
