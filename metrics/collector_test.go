package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/servertest"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
	"github.com/upcase-gnet/upcase-gnet/metrics"
	"github.com/upcase-gnet/upcase-gnet/server"
)

// waitFor bounds every poll in these tests.
const waitFor = 10 * time.Second

// TestScrape drives real traffic through a real server of each engine and
// checks that a scrape of its endpoint says what happened: one connection
// served to the end, one still open, one refused, every byte counted.
func TestScrape(t *testing.T) {
	t.Parallel()
	for _, e := range []engine.Name{engine.Gnet, engine.Goroutine} {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			testScrape(t, e)
		})
	}
}

func testScrape(t *testing.T, e engine.Name) {
	srv := servertest.Start(t, server.Config{Engine: e, MaxConns: 2, Loops: 1})
	ep, _ := testkit.Start(t, waitFor, func(ctx context.Context) (*metrics.Endpoint, error) {
		return metrics.Serve(ctx, "127.0.0.1:0", metrics.NewRegistry(srv), metrics.Options{})
	})
	url := "http://" + ep.Addr().String() + metrics.Path

	// Two clients take both slots with a 16-byte round trip each; a third
	// connection is over MaxConns and is closed with no reply.
	held := srv.Dial(t)
	echo(t, held, []byte(codec.Message))
	done := srv.Dial(t)
	echo(t, done, []byte(codec.Message))
	refused := srv.Dial(t)
	refused.SetReadDeadline(time.Now().Add(waitFor))
	if n, err := io.Copy(io.Discard, refused); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the connection over max-conns read %d bytes, %v", n, err)
	}
	// The second sends 1000 bytes, shuts down its side, reads everything
	// back and closes; the first stays open.
	msg := bytes.Repeat([]byte("abcdefghij"), 100)
	if _, err := done.Write(msg); err != nil {
		t.Fatal(err)
	}
	testkit.CloseWrite(done)
	reply, err := io.ReadAll(done)
	if err != nil || !bytes.Equal(reply, bytes.ToUpper(msg)) {
		t.Fatalf("half-closed client got %q, %v", reply, err)
	}
	done.Close()

	label := fmt.Sprintf(`{engine=%q}`, e)
	want := map[string]float64{
		"upcase_gnet_connections_open" + label:                                                 1,
		"upcase_gnet_connections_accepted_total" + label:                                       2,
		`upcase_gnet_connections_refused_total{engine="` + string(e) + `",reason="max_conns"}`: 1,
		`upcase_gnet_connections_closed_total{engine="` + string(e) + `",reason="peer"}`:       1,
		`upcase_gnet_connections_closed_total{engine="` + string(e) + `",reason="idle"}`:       0,
		`upcase_gnet_connections_closed_total{engine="` + string(e) + `",reason="budget"}`:     0,
		`upcase_gnet_connections_closed_total{engine="` + string(e) + `",reason="drain"}`:      0,
		`upcase_gnet_connections_closed_total{engine="` + string(e) + `",reason="error"}`:      0,
		"upcase_gnet_received_bytes_total" + label:                                             1032,
		"upcase_gnet_sent_bytes_total" + label:                                                 1032,
		"upcase_gnet_buffered_bytes" + label:                                                   0,
		"upcase_gnet_undelivered_bytes_total" + label:                                          0,
		"upcase_gnet_unread_bytes_total" + label:                                               0,
		"upcase_gnet_accept_errors_total" + label:                                              0,
		"upcase_gnet_buffer_memory_bytes" + label:                                              0,
		"upcase_gnet_connections_parked" + label:                                               0,
	}
	// The server counts after the client has seen the effect: poll.
	var got map[string]float64
	testkit.WaitFor(t, waitFor, "a scrape of "+url, func() string { got = scrape(t, url); return mismatch(got, want) })
	if ev := got["upcase_gnet_events_total"+label]; ev < 2 {
		t.Errorf("events_total = %v, want at least 2 (one per processed read)", ev)
	}
	// The scrape is the server's own Stats, read at scrape time.
	st := srv.Stats()
	if ev := got["upcase_gnet_events_total"+label]; ev != float64(st.Events) {
		t.Errorf("events_total = %v, Stats.Events = %d", ev, st.Events)
	}
	// Go's process collector rides along: open files and memory.
	for _, name := range []string{"process_open_fds", "process_resident_memory_bytes", "go_goroutines"} {
		if _, ok := got[name]; !ok {
			t.Errorf("scrape has no %s", name)
		}
	}
	// Without Options.Pprof there are no profiles.
	if code := get(t, "http://"+ep.Addr().String()+metrics.PprofPath); code != http.StatusNotFound {
		t.Errorf("GET %s without Pprof: status %d, want 404", metrics.PprofPath, code)
	}
	held.Close()
}

// TestCollectorLint: the metric names and help follow Prometheus's
// conventions (counters end in _total, units in the name).
func TestCollectorLint(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry(fixedStats{server.Stats{Engine: engine.Gnet, Closed: map[server.CloseReason]uint64{}}})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), metrics.Namespace+"_") {
			continue
		}
		if mf.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(mf.GetName(), "_total") {
			t.Errorf("counter %s does not end in _total", mf.GetName())
		}
		if mf.GetHelp() == "" {
			t.Errorf("%s has no help", mf.GetName())
		}
	}
}

type fixedStats struct{ st server.Stats }

func (f fixedStats) Stats() server.Stats { return f.st }

// scrape fetches url and returns every sample as "name{labels}" -> value,
// labels in the order the text format writes them (sorted by name).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	out := make(map[string]float64)
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Untyped != nil:
				out[key] = m.GetUntyped().GetValue()
			default:
				out[key] = 0 // summaries and histograms: present is enough here
			}
		}
	}
	return out
}

// mismatch names the first sample of want that got lacks or disagrees with.
func mismatch(got, want map[string]float64) string {
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return fmt.Sprintf("no sample %s", k)
		}
		if g != w {
			return fmt.Sprintf("%s = %v, want %v", k, g, w)
		}
	}
	return ""
}

// echo has c served msg.
func echo(t *testing.T, c net.Conn, msg []byte) {
	t.Helper()
	if err := testkit.Ping(c, msg, waitFor); err != nil {
		t.Fatal(err)
	}
}
