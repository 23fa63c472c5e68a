package compare

import (
	"strings"
	"testing"
	"time"
)

func TestParseResult(t *testing.T) {
	t.Parallel()
	// A Result as `load --json` prints it, by hand.
	const good = `{"target":"tcp 127.0.0.1:40123","mode":"pingpong","conns":100,"size_bytes":16,"rate_per_s":0,
		"duration_ns":5000000000,"workers":1,"generator":"gnet","connected":100,
		"connect_failed":{},"connect_p50_us":80,"connect_p99_us":300,
		"messages":500000,"messages_per_s":100000,"bytes_sent":8000000,"bytes_received":8000000,
		"mb_per_s_out":1.6,"mb_per_s_in":1.6,
		"latency":{"mean_us":900,"p50_us":850,"p90_us":1200,"p99_us":2100,"p99_9_us":4000,"max_us":9000},
		"errors":{"reset":1},"generator_cpu_ns":2500000000,"generator_cpu_us_per_msg":5,
		"warmup_ns":1000000000,"connect_time_ns":40000000}`
	for _, tc := range []struct {
		name, out, wantErr string
	}{
		{"plain", good, ""},
		{"after a stray line", "note: something\n" + good + "\n", ""},
		{"nothing", "", "printed no JSON result"},
		{"text", "load: dial tcp: connection refused\n", "printed no JSON result"},
		{"cut short", good[:200], "load's JSON result"},
		{"not a result", `{"hello":"world"}`, "no mode or connection count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := parseResult([]byte(tc.out))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Mode != "pingpong" || r.Conns != 100 || r.Connected != 100 || r.Messages != 500000 ||
				r.MessagesPerS != 100000 || r.Latency.P99 != 2100 || r.Errors["reset"] != 1 ||
				r.Duration != 5*time.Second || r.Warmup != time.Second || r.ConnectTime != 40*time.Millisecond ||
				r.GeneratorCPUPerMsg != 5 {
				t.Errorf("parsed %+v", r)
			}
		})
	}
}
