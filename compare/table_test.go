package compare

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

func TestWriteTable(t *testing.T) {
	t.Parallel()
	idle := Series{Idle, 10000}
	trials := []Trial{
		trial(Series{PingPong, 1000}, "gnet", 1, 150_000, 750_000, 10<<20, 20<<20, 3*time.Second),
		trial(Series{PingPong, 1000}, "goroutine", 1, 100_000, 500_000, 10<<20, 30<<20, 4*time.Second),
		trial(idle, "gnet", 1, 0, 0, 8<<20, 8<<20+10000*600, 0),
		trial(idle, "goroutine", 1, 0, 0, 8<<20, 8<<20+10000*3600, 0),
	}
	trials[3].Server.Sampled = false
	rep := &Report{
		Settings: Settings{Engines: engine.All(), Repeat: 3, Duration: 5 * time.Second, Warmup: time.Second, Size: 16, Pin: true, ServerCPUs: "0", LoadCPUs: "1", CPUs: 2, OS: "linux/amd64",
			Series: []Series{{PingPong, 1000}, {Paced, 10}, {Paced, 20}, {Slow, 3}, {Idle, 10000}}, Rate: 3, Window: 65536, SlowBytes: SlowBytes, SlowSettle: 2 * time.Second},
		Trials: trials,
	}
	rep.Summary = Summarize(rep.Trials, rep.Settings.Engines)
	var b bytes.Buffer
	if err := WriteTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"16-byte messages, 5s each after 1s warm-up, 3 rounds, medians",
		"server on CPU 0, load on CPU 1",
		"linux/amd64, paced 3/s per connection, slow ones send 8 MiB, measured from 2s after\n",
		"series",
		"gnet/goroutine",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, want := range [][]string{
		{"pingpong-1000", "messages/s", "150k", "100k", "1.50x"},
		{"server", "RSS/conn", "KiB", "10.2", "20.5", "0.50x"},
		{"server", "CPU", "s/M", "msgs", "4.00", "8.00", "0.50x"},
		{"server", "RSS", "peak", "MiB", "20.0", "30.0", "0.67x"},
		{"errors", "0", "0", "-"},
		{"idle-10000", "connections", "held", "10000", "10000", "1.00x"},
		{"server", "RSS/conn", "KiB", "0.586", "n/a", "n/a"},
	} {
		if !hasLine(out, want) {
			t.Errorf("table has no line of fields %q:\n%s", want, out)
		}
	}
}

func TestHuman(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {7, "7.00"}, {0.5862, "0.586"}, {0.0098, "0.0098"}, {4.234, "4.23"},
		{42.13, "42.1"}, {348.2, "348"}, {9999, "9999"}, {12345, "12.3k"},
		{150000, "150k"}, {4_122_500, "4.12M"}, {27_100_000, "27.1M"},
	} {
		if got := human(tc.in); got != tc.want {
			t.Errorf("human(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
