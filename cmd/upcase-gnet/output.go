package main

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/upcase-gnet/upcase-gnet/server"
)

// progressEvery throttles the "bytes processed so far" line: the original
// prints it on every recv, which is a terminal flood at 1 KiB a line.
const progressEvery = 100 * time.Millisecond

// originalOutput prints the original Python server's progress lines from
// the server's hooks: on a terminal one line a connection rewritten with
// "\r", elsewhere (plain) whole lines, one a connection every plainEvery.
type originalOutput struct {
	w        io.Writer
	readSize int
	plain    bool

	mu   sync.Mutex
	last map[string]time.Time
}

func newOriginalOutput(w io.Writer, readSize int) *originalOutput {
	return &originalOutput{w: w, readSize: readSize, plain: !terminal(w), last: make(map[string]time.Time)}
}

func (o *originalOutput) hooks() server.Hooks {
	return server.Hooks{Open: o.open, Progress: o.progress, Close: o.close}
}

func (o *originalOutput) open(remote net.Addr) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, "Processing up to %d bytes at a time from %s\n", o.readSize, remote)
}

func (o *originalOutput) progress(remote net.Addr, n int64) {
	key := remote.String()
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	last, seen := o.last[key]
	if o.plain {
		if !seen { // the first line plainEvery after the connection's first bytes
			o.last[key] = now
			return
		}
		if now.Sub(last) >= plainEvery {
			o.last[key] = now
			fmt.Fprintf(o.w, "%d bytes processed so far\n", n)
		}
		return
	}
	if now.Sub(last) < progressEvery {
		return
	}
	o.last[key] = now
	fmt.Fprintf(o.w, "\r%d bytes processed so far", n)
}

func (o *originalOutput) close(remote net.Addr, n int64, reason server.CloseReason, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.last, remote.String())
	cr := "\r" // ends the line progress has been rewriting
	if o.plain {
		cr = ""
	}
	fmt.Fprintf(o.w, "%s%d bytes processed so far\n", cr, n)
	if reason == server.ClosedPeer {
		fmt.Fprintln(o.w, "Completed processing")
		return
	}
	if err != nil {
		fmt.Fprintf(o.w, "Closed (%s): %v\n", reason, err)
		return
	}
	fmt.Fprintf(o.w, "Closed (%s)\n", reason)
}
