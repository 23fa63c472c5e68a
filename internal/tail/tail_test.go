package tail

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestKeepsTheEnd: whatever is written, in whatever pieces, the buffer holds
// exactly the last Size bytes of it.
func TestKeepsTheEnd(t *testing.T) {
	var all strings.Builder
	b := &Buffer{Size: 100}
	for i := range 50 {
		piece := fmt.Sprintf("line %d %s\n", i, strings.Repeat("x", i%7))
		all.WriteString(piece)
		if n, err := b.Write([]byte(piece)); n != len(piece) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(piece))
		}
		want := all.String()
		want = want[max(0, len(want)-100):]
		if got := b.String(); got != want {
			t.Fatalf("after %d writes: %q, want %q", i+1, got, want)
		}
	}
	if got, want := b.LastLine(), strings.TrimSpace("line 49 "+strings.Repeat("x", 49%7)); got != want {
		t.Fatalf("LastLine = %q, want %q", got, want)
	}
}

// TestZeroValue keeps DefaultSize, and a buffer that has only blank lines
// has no last line.
func TestZeroValue(t *testing.T) {
	var b Buffer
	b.Write([]byte(strings.Repeat("a", DefaultSize+10)))
	if got := len(b.String()); got != DefaultSize {
		t.Fatalf("zero Buffer keeps %d bytes, want %d", got, DefaultSize)
	}
	var blank Buffer
	blank.Write([]byte("\n \n\t\n"))
	if got := blank.LastLine(); got != "" {
		t.Fatalf("LastLine of blank lines = %q, want empty", got)
	}
}

// TestConcurrentWrites: writers at once lose no byte of what is kept (run
// with -race).
func TestConcurrentWrites(t *testing.T) {
	b := &Buffer{Size: 1 << 20}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("0123456789"))
			}
		})
	}
	wg.Wait()
	if got := len(b.String()); got != 8*100*10 {
		t.Fatalf("kept %d bytes, want %d", got, 8*100*10)
	}
}
