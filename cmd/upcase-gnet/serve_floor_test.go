package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// TestServeFloors: serve --engine bare-gnet and bare-goroutine print the
// engines' first line with the port bound for --port 0, serve byte-exact
// uppercase streams to several clients, and exit 0 on SIGTERM.
func TestServeFloors(t *testing.T) {
	t.Parallel()
	for _, eng := range engine.Floors() {
		t.Run(string(eng), func(t *testing.T) {
			t.Parallel()
			srv := startServe(t, "--host", "127.0.0.1", "--engine", string(eng))
			host, port, err := net.SplitHostPort(srv.addr)
			if err != nil || host != "127.0.0.1" || port == "0" {
				t.Fatalf("serve printed address %q, want 127.0.0.1 and the port bound", srv.addr)
			}
			errs := make(chan error, 4)
			for i := range cap(errs) {
				go func() { errs <- streamRoundTrip(srv.addr, i, 1<<20+int64(i)) }()
			}
			for range cap(errs) {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
			if err := srv.stop(t, 10*time.Second); err != nil {
				t.Errorf("serve exit after SIGTERM: %v, want 0; stderr %s", err, srv.stderr)
			}
			if out := srv.stdout.String(); out != "" {
				t.Errorf("serve printed more than its first line:\n%s", out)
			}
		})
	}
}

// TestServeFloorRefusesUnix: the floors listen on TCP only, and say so in
// one line rather than listen somewhere else than asked.
func TestServeFloorRefusesUnix(t *testing.T) {
	t.Parallel()
	for _, eng := range engine.Floors() {
		path := filepath.Join(t.TempDir(), "s")
		_, stderr, code := run(t, nil, "serve", "--engine", string(eng), "--unix", path)
		if code != 2 {
			t.Errorf("serve --engine %s --unix: exit %d, want 2; stderr %q", eng, code, stderr)
		}
		oneLine(t, stderr, "--unix")
		if !strings.Contains(stderr, "TCP only") {
			t.Errorf("stderr %q does not say why", stderr)
		}
	}
}
