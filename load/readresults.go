package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// maxResultLine bounds one line of ReadResults' input: a Result with its
// two encoded histograms is a few KiB; this leaves room for a histogram
// with a count in most of its buckets.
const maxResultLine = 16 << 20

// ReadResults reads Results as `load --json` prints them, one JSON object a
// line, from r, named name in each Input's Source ("name:LINE"). Lines that
// do not start with "{" are not results (a Kubernetes pod's log mixes in its
// stderr): they are passed to skipped, if set, and otherwise ignored. A line
// that starts with "{" and is not a Result is an error.
func ReadResults(r io.Reader, name string, skipped func(source, line string)) ([]Input, error) {
	var ins []Input
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxResultLine)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		source := name + ":" + strconv.Itoa(n)
		if len(line) == 0 {
			continue
		}
		if line[0] != '{' {
			if skipped != nil {
				skipped(source, string(line))
			}
			continue
		}
		var res Result
		if err := json.Unmarshal(line, &res); err != nil {
			return nil, fmt.Errorf("load: %s: not a load result: %w", source, err)
		}
		if res.Target == "" || res.Mode == "" {
			return nil, fmt.Errorf("load: %s: not a load result: no target or mode", source)
		}
		ins = append(ins, Input{Source: source, Result: &res})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("load: reading %s: %w", name, err)
	}
	return ins, nil
}
