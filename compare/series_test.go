package compare

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseSeries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string // names, or the start of the error
	}{
		{"pingpong-1", "pingpong-1"},
		{" stream-100 , idle-10000 ", "stream-100,idle-10000"},
		{"default", "pingpong-1,pingpong-100,pingpong-1000,pingpong-10000,stream-1,stream-100,window-100,paced-10000,slow-300,idle-10000"},
		{"window-100,paced-10,slow-3,starve-300", "window-100,paced-10,slow-3,starve-300"},
		{"", "error: compare: no series given"},
		{"pingpong", `error: compare: unknown series "pingpong": no connection count`},
		{"flood-10", `error: compare: unknown series "flood-10": unknown mode "flood" (want MODE-CONNS with MODE pingpong, stream, window, paced, slow, starve or idle, e.g. pingpong-1000)`},
		{"idle-0", `error: compare: unknown series "idle-0": connection count "0" is not a positive number`},
		{"idle-x", `error: compare: unknown series "idle-x"`},
	} {
		ss, err := ParseSeries(tc.in)
		got := fmt.Sprint(ss)
		if err != nil {
			got = "error: " + err.Error()
		} else {
			var names []string
			for _, s := range ss {
				names = append(names, s.Name())
			}
			got = strings.Join(names, ",")
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("ParseSeries(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func ExampleParseSeries() {
	series, err := ParseSeries("pingpong-10000,idle-10000")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range series {
		fmt.Println(s.Mode, s.Conns)
	}
	// Output:
	// pingpong 10000
	// idle 10000
}
