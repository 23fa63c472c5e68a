package metrics_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
	"github.com/upcase-gnet/upcase-gnet/metrics"
)

// TestPprof: with Options.Pprof the profiles are served beside /metrics.
func TestPprof(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ep, err := metrics.Serve(ctx, "127.0.0.1:0", metrics.NewRegistry(), metrics.Options{Pprof: true})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ep.Addr().String()
	for _, path := range []string{metrics.Path, metrics.PprofPath, metrics.PprofPath + "goroutine?debug=1", metrics.PprofPath + "heap", metrics.PprofPath + "cmdline"} {
		if code := get(t, base+path); code != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", path, code)
		}
	}
	cancel()
	if err := ep.Wait(); err != nil {
		t.Fatal(err)
	}
	// Stopped means the port is closed.
	if c, err := net.DialTimeout("tcp", ep.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Errorf("the endpoint still accepts on %s after its context ended", ep.Addr())
	}
}

// TestServeBusyAddress: a taken address is an error at once.
func TestServeBusyAddress(t *testing.T) {
	t.Parallel()
	ln := testkit.Listen(t)
	_, err := metrics.Serve(context.Background(), ln.Addr().String(), metrics.NewRegistry(), metrics.Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "metrics: ") {
		t.Fatalf("Serve on a busy address: %v, want a metrics: error", err)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
