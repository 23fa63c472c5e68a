package compare

import (
	"testing"
)

func TestFirstLine(t *testing.T) {
	t.Parallel()
	f := &firstLine{line: make(chan string, 1)}
	for _, p := range []string{"Listen", "ing at 127.0.0.1:4", "0000\r\nopen 0 ...\n", "more\n"} {
		if n, err := f.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if got, want := <-f.line, "Listening at 127.0.0.1:40000"; got != want {
		t.Errorf("first line %q, want %q", got, want)
	}
}
