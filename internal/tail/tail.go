// Package tail keeps the last bytes a child process wrote to its standard
// error: its last words, for the one-line error that says why it ended.
package tail

import (
	"strings"
	"sync"
)

// Buffer is an io.Writer, safe for concurrent use, that keeps the last Size
// bytes written to it. Its zero value keeps DefaultSize.
type Buffer struct {
	// Size is how many bytes it keeps; 0 means DefaultSize.
	Size int

	mu  sync.Mutex
	buf []byte
}

// DefaultSize is how much a zero Buffer keeps.
const DefaultSize = 4 << 10

// Write keeps the end of what has been written so far, p included; it never
// fails.
func (t *Buffer) Write(p []byte) (int, error) {
	size := t.Size
	if size <= 0 {
		size = DefaultSize
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - size; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String is what the buffer keeps.
func (t *Buffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// LastLine is the last line that is not blank, trimmed; "" if none.
func (t *Buffer) LastLine() string {
	lines := strings.Split(strings.TrimSpace(t.String()), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
