package load

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestJSONUnits checks that every duration in the JSON of a Result, its
// Config and what workers report names its unit, and that every field of
// a latency summary does.
func TestJSONUnits(t *testing.T) {
	t.Parallel()
	durType := reflect.TypeOf(time.Duration(0))
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				t.Errorf("%s.%s has no JSON name", path, f.Name)
				continue
			}
			switch {
			case f.Type == durType && !strings.HasSuffix(name, "_ns"):
				t.Errorf("%s.%s is a duration named %q: want a name ending in _ns", path, f.Name, name)
			case typ == reflect.TypeOf(Latency{}) && !strings.HasSuffix(name, "_us"):
				t.Errorf("%s.%s is a latency named %q: want a name ending in _us", path, f.Name, name)
			case strings.Contains(strings.ToLower(f.Name), "size") && !strings.HasSuffix(name, "_bytes"):
				t.Errorf("%s.%s is a size named %q: want a name ending in _bytes", path, f.Name, name)
			}
			walk(f.Type, path+"."+f.Name)
		}
	}
	for _, v := range []any{Result{}, Config{}, workerJob{}, workerMsg{}} {
		walk(reflect.TypeOf(v), reflect.TypeOf(v).Name())
	}
	if len(seen) < 6 {
		t.Errorf("walked %d struct types, want Result, Latency, SlowResult, Config, workerJob, workerMsg, workerProgress", len(seen))
	}

	// And the names land in the JSON as documented.
	b, err := json.Marshal(&Result{Duration: time.Second, Slow: &SlowResult{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"duration_ns":1000000000`, `"latency":{"mean_us":`, `"latency_uncorrected":{`, `"size_bytes":`, `"window_bytes":`, `"slow":{"send_bytes":`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s does not hold %s", b, want)
		}
	}
}
