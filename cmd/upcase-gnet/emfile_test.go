package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// TestNeverDiesOfEMFILE runs serve as a child under a small open-file limit
// and runs it out of descriptors every way the issue found, for every
// listener kind and loop count: a burst on a unix socket (gnet accepted
// until EAGAIN there, before any connection could be refused), fifty event
// loops (whose own descriptors the reserve ignored), and idle connections
// to the metrics endpoint (uncapped, never timing out). Each time the
// server must stay up and serve a new client afterwards.
func TestNeverDiesOfEMFILE(t *testing.T) {
	bin := linuxChild(t, "builds the binary and runs bursts of connections")
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			t.Run("unix burst", func(t *testing.T) {
				t.Parallel()
				srv := startFaultChild(t, bin, 64, "--engine", engine, "--unix", filepath.Join(t.TempDir(), "s"))
				burst, _ := dialMany(t, srv.addr, 60)
				survives(t, srv, burst)
			})
			t.Run("50 loops", func(t *testing.T) {
				t.Parallel()
				srv := startFaultChild(t, bin, 200, "--engine", engine, "--loops", "50")
				burst, _ := dialMany(t, srv.addr, 100)
				survives(t, srv, burst)
			})
			t.Run("idle metrics connections", func(t *testing.T) {
				t.Parallel()
				srv := startFaultChild(t, bin, 64, "--engine", engine)
				metricsAddr := strings.TrimSuffix(strings.TrimPrefix(srv.metrics, "http://"), "/metrics")
				idle, _ := dialMany(t, metricsAddr, 50)
				survives(t, srv, append(idle, connectPinging(t, srv.addr, 1)...))
			})
		})
	}
}

// survives checks that srv is still running after conns came, and, once
// they are closed, serves a new client and its metrics.
func survives(t *testing.T, srv *serveChild, conns []net.Conn) {
	t.Helper()
	select {
	case <-srv.done:
		t.Fatalf("serve exited: %v\n%s", srv.err, srv.stderr.Tail(10))
	default:
	}
	for _, c := range conns {
		c.Close()
	}
	srv.waitMetrics(t, "every connection closed", func(m metricSet) bool {
		return m.get("upcase_gnet_connections_open") == 0
	})
	// Under these limits max-conns is 1, and connections closed while
	// still in the backlog are accepted (and may be admitted) after the
	// gauge reads 0: a new client may be refused a few times first.
	var err error
	if !testkit.Poll(faultBound, func() bool { err = streamRoundTrip(srv.addr, 5, 1<<20); return err == nil }) {
		t.Errorf("a new client afterwards: %v\n%s", err, srv.stderr.Tail(10))
	}
	if out := srv.stderr.String(); strings.Contains(out, "stopped") || strings.Contains(out, "main reactor is exiting") {
		t.Errorf("the engine stopped:\n%s", srv.stderr.Tail(10))
	}
}
