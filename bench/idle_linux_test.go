package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// idleSettle is how long after the last connect the server's memory is
// read: long enough for it to have accepted and set up every connection.
const idleSettle = 2 * time.Second

// BenchmarkIdle: the growth of the server's resident memory per idle
// connection, N connections opened and held, nothing sent.
func BenchmarkIdle(b *testing.B) {
	for _, eng := range servers {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/%d", eng, n), func(b *testing.B) {
				var perConn, base float64
				rounds := 0
				for b.Loop() {
					p, k := idleRound(b, eng, n)
					perConn += p
					base += k
					rounds++
				}
				b.ReportMetric(perConn/float64(rounds), "B/conn")
				b.ReportMetric(base/float64(rounds), "base-KiB")
			})
		}
	}
}

// idleRound starts a server, opens n connections to it and holds them,
// and returns its RSS growth per connection 2 s after the last connect,
// in bytes, and its RSS before them, in KiB.
func idleRound(b *testing.B, eng engine.Name, n int) (perConn, baseKiB float64) {
	srv := startServer(b, eng)
	defer srv.stop()
	fds0 := openFiles(b, srv.pid())
	before := vmRSS(b, srv.pid())
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	conns, last, err := dialAll(ctx, srv.addr, n, 16)
	if err != nil {
		srv.alive(b)
		b.Fatal(err)
	}
	defer closeAll(conns)
	// Every connection accepted: the server holds a descriptor for each.
	for deadline := time.Now().Add(bound); openFiles(b, srv.pid()) < fds0+n; {
		srv.alive(b)
		if time.Now().After(deadline) {
			b.Fatalf("the server holds %d descriptors %v after the last connect, want at least %d", openFiles(b, srv.pid()), bound, fds0+n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Until(last.Add(idleSettle)))
	srv.alive(b)
	after := vmRSS(b, srv.pid())
	return float64(after-before) / float64(n), float64(before) / 1024
}

// vmRSS reads the resident set size of process pid, in bytes, from
// /proc/PID/status.
func vmRSS(b *testing.B, pid int) int64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		kb, ok := bytes.CutSuffix(bytes.TrimSpace(rest), []byte(" kB"))
		if !ok {
			break
		}
		v, err := strconv.ParseInt(string(bytes.TrimSpace(kb)), 10, 64)
		if err != nil {
			break
		}
		return v << 10
	}
	b.Fatalf("no VmRSS in kB in /proc/%d/status", pid)
	return 0
}

// openFiles counts the descriptors process pid holds.
func openFiles(b *testing.B, pid int) int {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		b.Fatal(err)
	}
	return len(names)
}
