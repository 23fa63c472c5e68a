package testkit

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Log collects what a server or a child process writes to its log, safely
// from many goroutines, for a test to search and, should it fail, to show.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// NewLog returns an empty Log that is shown in the test's output if the
// test has failed when it ends.
func NewLog(t testing.TB) *Log {
	l := new(Log)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", l.String())
		}
	})
	return l
}

// NewLogger returns a logger at Info and above into a NewLog, and the Log.
func NewLogger(t testing.TB) (*slog.Logger, *Log) {
	l := NewLog(t)
	return l.Logger(), l
}

// Logger returns a text logger at Info and above that writes into l.
func (l *Log) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Write appends p.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// ReadFrom appends everything r yields until EOF.
func (l *Log) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(writerOnly{l}, r)
}

// writerOnly hides Log's ReadFrom from io.Copy, which would call it again.
type writerOnly struct{ io.Writer }

// String is everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Tail is the last n lines written, for a failure message.
func (l *Log) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
