package compare

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// TestJSONNamesUnits checks that every number in compare's own JSON (the
// load's result, embedded, is load's) is a count or names its unit.
func TestJSONNamesUnits(t *testing.T) {
	t.Parallel()
	tr := trial(Series{PingPong, 10}, "gnet", 1, 100, 500, 1<<20, 2<<20, time.Second)
	tr.Server.Samples = []Sample{{At: 1, RSS: 2, CPU: 3}}
	tr.Generator = GeneratorStats{PID: 7, Samples: []Sample{{At: 1, RSS: 2, CPU: 3}}}
	tr.Kernel.fill([]KernelSample{{At: 1, TCPSockets: 2, TCPMem: 3, Slab: 4, SlabRead: true}}, nil, 0, time.Hour)
	tr.Timeline = Timeline{
		Server: []ServerSecond{{At: 1, RSS: 2, CPU: 3}},
		Client: []ClientSecond{{At: 1, Connected: 2, MessagesPerS: 3, P99: 4}},
		Beside: []ClientSecond{{At: 1, Connected: 2, WrittenPerS: 3}},
	}
	rep := &Report{
		Started:  time.Now(),
		Elapsed:  time.Minute,
		Settings: Settings{Engines: engine.All(), Series: []Series{tr.Series}, Repeat: 1, Duration: time.Second, Warmup: time.Second, Size: 16, Rate: 3, Window: 1, SlowBytes: SlowBytes, CPUs: 2},
		Trials:   []Trial{tr},
	}
	rep.Summary = Summarize(rep.Trials, rep.Settings.Engines)
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	units := []string{"_ns", "_bytes", "_per_s", "_us", "_kib", "_mib", "_percent"}
	counts := []string{"conns", "repeat", "cpus", "pid", "round", "tcp_sockets", "server_sockets", "connected"}
	var checked int
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				switch k {
				case "load":
					continue // load's Result, load's schema
				case "median":
					continue // by engine: the row's metric and unit name it
				}
				if _, isNum := e.(float64); isNum && k != "ratio" {
					checked++
					named := slices.ContainsFunc(units, func(u string) bool { return strings.HasSuffix(k, u) })
					if !named && !slices.Contains(counts, k) {
						t.Errorf("%s.%s = %v names no unit", path, k, e)
					}
				}
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range v {
				walk(path+"[]", e)
			}
		}
	}
	walk("", doc)
	if checked < 20 {
		t.Errorf("only %d numbers checked in\n%s", checked, b.String())
	}
	for _, row := range rep.Summary[0].Rows {
		if row.Unit == "" {
			t.Errorf("row %s has no unit", row.Metric)
		}
	}
}
