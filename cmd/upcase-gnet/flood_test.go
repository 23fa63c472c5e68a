package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// testFlood floods a server limited to 512 open files with 1,000
// connections while 50 clients are connected: the server stays up, keeps
// serving the 50, refuses the excess with a log line, counts it, and stays
// under its limit.
func testFlood(t *testing.T, bin, engine string) {
	const (
		nofile   = 512
		existing = 50
		flood    = 1000
	)
	// serve's default --max-conns: the limit less 128 descriptors, and on
	// the gnet engine less four for each event loop (one per CPU) and one
	// loop more.
	maxConns := nofile - 128
	if engine == "gnet" {
		maxConns -= 4 * (runtime.NumCPU() + 1)
	}
	srv := startFaultChild(t, bin, nofile, "--engine", engine)
	held := connectPinging(t, srv.addr, existing)
	flooded, failed := dialMany(t, srv.addr, flood)
	if failed > 0 {
		t.Errorf("%d of %d flood dials failed: the kernel completes them whatever the server does", failed, flood)
	}
	// The excess is closed at once, with no reply.
	m := srv.waitMetrics(t, "the excess refused", func(m metricSet) bool {
		return m.get("upcase_gnet_connections_refused_total", "reason", "max_conns") == float64(existing+flood-maxConns)
	})
	if got := m.get("upcase_gnet_connections_open"); got != float64(maxConns) {
		t.Errorf("%v connections open, want %d (max-conns)", got, maxConns)
	}
	if fds := srv.openFiles(t); fds >= nofile {
		t.Errorf("the server holds %d descriptors, at its limit %d", fds, nofile)
	}
	if !strings.Contains(srv.stderr.String(), "connection refused: max-conns open") {
		t.Errorf("no log line for the refused connections:\n%s", srv.stderr.Tail(10))
	}
	pingAll(t, held, "after the flood")
	for _, c := range flooded {
		c.Close()
	}
	srv.waitMetrics(t, "the flood gone", func(m metricSet) bool {
		return m.get("upcase_gnet_connections_open") == existing
	})
	if err := streamRoundTrip(srv.addr, 3, 1<<20); err != nil {
		t.Errorf("a new client after the flood: %v", err)
	}
}

// testFloodOverLimit is the flood against a server misconfigured with
// --max-conns above its open-file limit, so that accept itself fails for
// want of descriptors: the server stays up, logs and counts the failures,
// keeps serving the clients it has, and accepts again once the flood
// leaves.
//
// The gnet engine cannot meet EMFILE: gnet v2.9.7 shuts its engine down
// when accept fails with it (acceptor_unix.go returns ErrAcceptSocket). So
// it lowers --max-conns to what the limit allows, and the same flood is
// refused and counted instead. (serve also exits non-zero should an engine
// stop by itself.)
func testFloodOverLimit(t *testing.T, bin, engine string) {
	const (
		nofile   = 512
		existing = 50
		flood    = 1000
	)
	srv := startFaultChild(t, bin, nofile, "--engine", engine, "--max-conns", "1000")
	held := connectPinging(t, srv.addr, existing)
	// The kernel completes the connections the server cannot accept, up to
	// its backlog: the dials succeed.
	flooded, _ := dialMany(t, srv.addr, flood)
	// The goroutine engine meets EMFILE at accept, backs off and counts it.
	// The gnet engine would die of it (gnet shuts its engine down), so it
	// lowers --max-conns to the limit at start, says so, and refuses the
	// excess instead.
	want := "too many open files"
	if engine == "gnet" {
		want = "lowered"
	}
	if !testkit.Poll(faultBound, func() bool { return strings.Contains(srv.stderr.String(), want) }) {
		t.Fatalf("stderr never said %q:\n%s", want, srv.stderr.Tail(10))
	}

	pingAll(t, held, "during the flood")
	for _, c := range flooded {
		c.Close()
	}
	if err := streamRoundTrip(srv.addr, 4, 1<<20); err != nil {
		t.Errorf("a new client after the flood: %v\n%s", err, srv.stderr.Tail(10))
	}
	// Scraped only now: the metrics endpoint shares the process's
	// descriptors, so it cannot accept either while they are all taken.
	srv.waitMetrics(t, "the flood gone and the excess counted", func(m metricSet) bool {
		counted := m.get("upcase_gnet_accept_errors_total")
		if engine == "gnet" {
			counted = m.get("upcase_gnet_connections_refused_total", "reason", "max_conns")
		}
		return m.get("upcase_gnet_connections_open") == existing && counted > 0
	})
}
