package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// testBudgetHogs: 100 clients each send 8 MiB and never read, against
// --max-buffer 1MiB, while a well-behaved client streams beside them.
//
// On the gnet engine each is cut at the budget, and the server's memory
// stays bounded and comes back. The goroutine engine never buffers (it
// stops reading while its write blocks, the original's deadlock), so the
// hogs just stall; it must still serve the well-behaved client.
func testBudgetHogs(t *testing.T, bin, engine string) {
	const (
		hogs   = 100
		budget = 1 << 20
		each   = 8 << 20
	)
	srv := startFaultChild(t, bin, 0, "--engine", engine, "--max-buffer", "1MiB", "--pprof")
	// Warm up, so that the base counts the code and buffers any connection
	// needs, not those of the first one.
	if err := streamRoundTrip(srv.addr, 0, 1<<20); err != nil {
		t.Fatal(err)
	}
	base := srv.memory(t)
	began := time.Now()

	var good sync.WaitGroup
	good.Go(func() {
		if err := streamRoundTrip(srv.addr, 1, 4<<20); err != nil {
			t.Errorf("the well-behaved client beside the hogs: %v", err)
		}
	})
	// The never-readers get a small receive buffer: loopback sockets
	// autotune to megabytes, and the kernel would absorb the 8 MiB instead
	// of the server.
	dialer := testkit.SmallReceive(64<<10, faultBound)
	// How long the hogs write. On the gnet engine each writes until it is
	// cut, for as long as it makes progress: before its connection holds
	// more than the budget, a hog must get the budget and the server's
	// socket send buffer (autotuned up to 4 MiB) through: about 5 MiB a
	// hog, 100 in 7.5 s on this machine when quiet, which a loaded one may
	// not move within one faultBound. A hog that gave up then left the
	// server holding less than the budget, rightly uncut, with nothing more
	// to read, and failed the wait below as if the server had stopped
	// reading it. The goroutine
	// engine stalls them for ever, or trickles their bytes through 1 KiB
	// reads, so there they have a few seconds, enough to block every one
	// of its connection goroutines on its write.
	stall, until := faultBound, time.Now().Add(3*faultBound)
	if engine == "goroutine" {
		stall, until = 2*time.Second, time.Now().Add(3*time.Second)
	}
	sent := make([]int64, hogs)
	conns := make([]net.Conn, hogs)
	errs := make([]error, hogs)
	var wg sync.WaitGroup
	for i := range hogs {
		wg.Go(func() {
			c, err := dialer.Dial("tcp", srv.addr)
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = c
			sent[i], errs[i] = writeStalling(c, i, each, stall, until)
		})
	}
	wg.Wait()
	peak := srv.memory(t)
	t.Logf("%s: the hogs sent %d MiB in %v", engine, sum(sent)>>20, time.Since(began).Round(time.Millisecond))

	switch engine {
	case "gnet":
		for i, err := range errs {
			// Cut: the server closed with unread data, a reset, so the
			// write fails; or the write finished into the socket buffers
			// and the read sees the close.
			if err == nil {
				if err = readsClosed(conns[i]); err == nil {
					continue // the read saw the close: cut
				}
			}
			if err == nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, errStalled) {
				t.Errorf("hog %d: sent %d bytes, %v: want its connection cut at the budget", i, sent[i], err)
			}
		}
		st := srv.waitMetrics(t, "every hog cut at the budget", func(m metricSet) bool {
			return m.get("upcase_gnet_connections_closed_total", "reason", "budget") == hogs
		})
		// The log lines come through a pipe: they may trail the metrics.
		budgetLines := func() int { return strings.Count(srv.stderr.String(), "over the memory budget") }
		if !testkit.Poll(faultBound, func() bool { return budgetLines() >= hogs }) || budgetLines() != hogs {
			t.Errorf("%d log lines over the memory budget, want %d", budgetLines(), hogs)
		}
		t.Logf("undelivered %v bytes, counted and logged", st.get("upcase_gnet_undelivered_bytes_total"))
	case "goroutine":
		// The kernel's buffers (the server's receive buffer autotunes up to
		// 32 MiB here) may take all 8 MiB; or the hog stalls.
		for i, err := range errs {
			if err != nil && !errors.Is(err, errStalled) {
				t.Errorf("hog %d: sent %d bytes, %v: want it served or stalled, not cut", i, sent[i], err)
			}
		}
		m := srv.waitMetrics(t, "the hogs' bytes in", func(m metricSet) bool { return m.get("upcase_gnet_received_bytes_total") > 0 })
		if got := m.get("upcase_gnet_connections_closed_total", "reason", "budget"); got != 0 {
			t.Errorf("%v connections closed over the budget by the engine that never buffers", got)
		}
	}
	good.Wait()
	// And once more, now that the gnet engine has cut every hog, or while
	// the goroutine engine still holds them all.
	if err := streamRoundTrip(srv.addr, 2, 4<<20); err != nil {
		t.Errorf("the well-behaved client after the hogs: %v", err)
	}
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	srv.waitMetrics(t, "every connection closed", func(m metricSet) bool {
		return m.get("upcase_gnet_connections_open") == 0 && m.get("upcase_gnet_buffered_bytes") == 0
	})

	// The bound on the peak. The goroutine engine holds one read per
	// connection: the base and 16 MiB for the well-behaved clients' buffers
	// and the runtime. The gnet engine may also hold the budget for each
	// hog, and in fact holds up to three times it, so that is the bound:
	// gnet's inbound ring buffer doubles as it fills, so a hog cut just
	// past 1 MiB has grown a 2 MiB buffer (half of it written), and the
	// 1 MiB, 512 KiB, ... buffers it outgrew wait in gnet's byteslice pool
	// (a sync.Pool) until two collections have passed. Measured here, 100
	// hogs against a server alone: 205 to 230 MiB over the base at the
	// peak, about 2.2 MiB a hog, so the bound of the base plus
	// 100 x 1 MiB does not hold for the gnet engine today. (Inside this
	// test, slowed by its neighbours, the hogs peak at fewer at once.)
	limit := base.rss + 16<<20
	if engine == "gnet" {
		limit += 3 * hogs * budget
	}
	t.Logf("%s: RSS base %d MiB, peak (VmHWM) %d MiB = base + %.1f MiB a hog, bound %d MiB",
		engine, base.rss>>20, peak.hwm>>20, float64(peak.hwm-base.rss)/hogs/(1<<20), limit>>20)
	if peak.hwm > limit {
		t.Errorf("peak RSS %d MiB over the bound %d MiB (base %d MiB)", peak.hwm>>20, limit>>20, base.rss>>20)
	}
	// Near the base afterwards: the memory is garbage, not held. Go frees it
	// at a collection and gives it back to the kernel in the background,
	// but an idle server allocates nothing, so no collection comes before
	// Go's forced one, two minutes on (and pooled buffers take two): the
	// RSS stays at the peak until then. So the test asks for a collection
	// each poll, through the child's pprof endpoint.
	near := base.rss + 32<<20
	var now procMemory
	if !testkit.Poll(faultBound, func() bool { srv.collect(); now = srv.memory(t); return now.rss <= near }) {
		t.Errorf("RSS %d MiB %v after the hogs left, want at most %d MiB (base %d MiB + 32 MiB)",
			now.rss>>20, faultBound, near>>20, base.rss>>20)
	}
	t.Logf("%s: RSS after %d MiB", engine, now.rss>>20)
}

// writeStalling writes n bytes of client i's stream until done, a write
// error, or no progress for stall or past until (errStalled).
func writeStalling(c net.Conn, i int, n int64, stall time.Duration, until time.Time) (int64, error) {
	s := newStream(i)
	var off int64
	for off < n {
		dl := time.Now().Add(stall)
		if until.Before(dl) {
			dl = until
		}
		c.SetWriteDeadline(dl)
		w, err := c.Write(next(s, off, int(min(64<<10, n-off))))
		off += int64(w)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && w > 0 && time.Now().Before(until):
		case errors.Is(err, os.ErrDeadlineExceeded):
			return off, fmt.Errorf("%w at offset %d", errStalled, off)
		default:
			return off, err
		}
	}
	return off, nil
}

func sum(ns []int64) (s int64) {
	for _, n := range ns {
		s += n
	}
	return s
}

// errStalled is a write that made no progress for its bound.
var errStalled = errors.New("no progress")

// readsClosed reads c until it ends, and says how: nil for an EOF or a
// reset (the server closed it), the deadline error if it is still open.
func readsClosed(c net.Conn) error {
	c.SetReadDeadline(time.Now().Add(faultBound))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return nil
}
