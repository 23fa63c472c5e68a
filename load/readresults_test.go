package load

import (
	"strings"
	"testing"
)

func TestReadResults(t *testing.T) {
	t.Parallel()
	in := `upcase-gnet: load: 3 errors
{"target":"tcp 127.0.0.1:1","mode":"pingpong","shard":"0/2","messages":5}

   {"target":"tcp 127.0.0.1:1","mode":"pingpong","shard":"1/2","messages":7}
`
	var skipped []string
	ins, err := ReadResults(strings.NewReader(in), "-", func(src, line string) { skipped = append(skipped, src+" "+line) })
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Source != "-:2" || ins[1].Source != "-:4" || ins[1].Result.Messages != 7 {
		t.Errorf("read %+v", ins)
	}
	if len(skipped) != 1 || skipped[0] != "-:1 upcase-gnet: load: 3 errors" {
		t.Errorf("skipped %q", skipped)
	}
	for _, bad := range []string{`{"target": 5}`, `{"messages": 1}`, `{"target":"x","mode":"pingpong"`} {
		if _, err := ReadResults(strings.NewReader(bad), "f", nil); err == nil || !strings.Contains(err.Error(), "f:1") {
			t.Errorf("%s: error %v, want one naming f:1", bad, err)
		}
	}
}
