package client

import (
	"io"
	"strings"
	"sync"
)

// progress writes the run's text to Config.Output. In duplex mode both
// sides print, so it serialises them; and it remembers whether a
// "\r  N bytes" line is left open, so that what follows starts on a line
// of its own.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	pending bool
}

// print writes s; a line without a final newline stays pending.
func (p *progress) print(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending && !strings.HasPrefix(s, "\r") {
		io.WriteString(p.w, "\n")
	}
	io.WriteString(p.w, s)
	p.pending = !strings.HasSuffix(s, "\n")
}

// end closes a pending progress line.
func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending {
		io.WriteString(p.w, "\n")
		p.pending = false
	}
}
