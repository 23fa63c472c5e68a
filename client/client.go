package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// progressEvery throttles the "bytes sent" line: printing it after each of
// millions of 16-byte writes would cost more than the writes.
const progressEvery = 100 * time.Millisecond

// readSize is the client's read buffer. The original reads 42 bytes at a
// time; reading more changes nothing the server sees and is much faster.
const readSize = 64 << 10

// Result is what a run did, complete or not: Run returns it with its error
// too, so that a failed run still tells how far it got.
type Result struct {
	// Sent is the bytes written to the server.
	Sent int64 `json:"sent"`
	// Received is the bytes read back and found correct, plus, after a
	// mismatch, the bytes up to the wrong one.
	Received int64 `json:"received"`
	// First is the first codec.ChunkSize bytes received (fewer if fewer
	// came), what the original prints as "The first data received says".
	First string `json:"first"`
	// Elapsed is the time from dialling to the end of the run.
	Elapsed time.Duration `json:"elapsed"`
}

// Run connects to the server, sends cfg.Bytes bytes of codec.Message,
// shuts down its sending side and reads and checks everything that comes
// back, sequentially or, with cfg.Duplex, at the same time.
//
// It returns a *config.Error for a value of cfg that cannot work, a
// *StallError when no byte moved for cfg.StallTimeout, a
// *MismatchError for a wrong byte, a *ShortError when the server closed
// early, a *CutOffError when it reset a sequential client's connection,
// ErrExtraData when it sent more than it was sent, and a wrapped error
// with the counts so far for anything else, a reset in duplex mode
// included.
// Cancelling ctx stops the run.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	r := &runner{cfg: cfg, start: time.Now()}
	r.progress.w = cfg.Output
	d := net.Dialer{Timeout: cfg.StallTimeout}
	conn, err := d.DialContext(ctx, cfg.Network, cfg.Address)
	if err != nil {
		return r.result(), fmt.Errorf("client: %w", err)
	}
	r.conn = conn
	defer conn.Close()
	// Closing the connection is the one way to interrupt a blocked read or
	// write at once; the goroutines then see net.ErrClosed and the error
	// recorded first (here, the context's) wins.
	stop := context.AfterFunc(ctx, func() {
		r.fail(fmt.Errorf("client: stopped after sending %d of %d bytes and receiving %d: %w",
			r.sent.Load(), cfg.Bytes, r.received.Load(), ctx.Err()))
	})

	if cfg.Duplex {
		r.duplex()
	} else {
		r.sequential()
	}
	stop()
	// The run is over: a cancellation arriving now must not turn it into a
	// failure. Once.Do also waits for a fail already under way.
	r.failOnce.Do(func() {})
	if r.err != nil {
		r.progress.end()
	}
	return r.result(), r.err
}

// runner is one run's state, shared by the sending and receiving sides.
type runner struct {
	cfg   Config
	conn  net.Conn
	start time.Time

	sent, received atomic.Int64
	// lastMove is when a byte last moved either way, as time since start;
	// both sides' deadlines are armed from it, so that in duplex mode one
	// side's progress keeps the other from reporting a stall.
	lastMove atomic.Int64
	// lastPrint is when, since start, a progress line was last written.
	lastPrint atomic.Int64
	// closedWrite is set once the sending side has been shut down.
	closedWrite atomic.Bool

	// first collects the first codec.ChunkSize bytes received and
	// firstShown says whether they were printed; only the receiving side
	// touches them until the run is over.
	first      []byte
	firstShown bool

	progress progress

	failOnce sync.Once
	err      error
}

// fail records the run's first error and closes the connection so that the
// other side, blocked or not, stops too. Later errors are consequences of
// the first (mostly net.ErrClosed) and are dropped.
func (r *runner) fail(err error) {
	r.failOnce.Do(func() {
		r.err = err
		r.conn.Close()
	})
}

func (r *runner) result() Result {
	return Result{
		Sent:     r.sent.Load(),
		Received: r.received.Load(),
		First:    string(r.first),
		Elapsed:  time.Since(r.start),
	}
}

// moved records that a byte moved now and returns now, as time since start.
func (r *runner) moved() time.Duration {
	now := time.Since(r.start)
	r.lastMove.Store(int64(now))
	return now
}

// deadline is when the run stalls if no byte moves before then.
func (r *runner) deadline() time.Time {
	return r.start.Add(time.Duration(r.lastMove.Load()) + r.cfg.StallTimeout)
}

// stalled is called when a deadline expired. It reports whether no byte has
// moved for the stall timeout; if bytes did move, it re-arms the deadline
// with set for one stall timeout after the last move. Deadlines are armed
// this lazily, not at every write, because a healthy run of 16-byte writes
// would otherwise reset a timer millions of times.
func (r *runner) stalled(set func(time.Time) error) bool {
	d := r.deadline()
	if !time.Now().Before(d) {
		return true
	}
	set(d)
	return false
}

// stallError describes the stall as it stands now; it reads the socket's
// queues, so it must run before the connection is closed.
func (r *runner) stallError() *StallError {
	e := &StallError{
		Timeout:     r.cfg.StallTimeout,
		Total:       r.cfg.Bytes,
		Sent:        r.sent.Load(),
		Received:    r.received.Load(),
		Duplex:      r.cfg.Duplex,
		ClosedWrite: r.closedWrite.Load(),
	}
	if q, ok := socketQueues(r.conn); ok {
		e.Queues = &q
	}
	return e
}

// sequential is the original client: send everything, then read everything.
func (r *runner) sequential() {
	r.progress.print(fmt.Sprintf("Sending %d bytes of data, in chunks of %d bytes\n", r.cfg.Bytes, r.cfg.ChunkSize))
	if !r.send() {
		return
	}
	r.progress.print("Receiving all the data the server sends back\n")
	if !r.receive() {
		return
	}
	r.summary()
}

// duplex sends from this goroutine while another one receives.
func (r *runner) duplex() {
	r.progress.print(fmt.Sprintf("Sending %d bytes of data, in chunks of %d bytes, while receiving all the data the server sends back\n",
		r.cfg.Bytes, r.cfg.ChunkSize))
	received := make(chan bool, 1)
	go func() { received <- r.receive() }()
	sent := r.send()
	if ok := <-received; !ok || !sent {
		return
	}
	r.summary()
}

func (r *runner) summary() {
	r.progress.print(fmt.Sprintf("Sent %d bytes and received %d bytes back, all uppercase, in %v\n",
		r.sent.Load(), r.received.Load(), time.Since(r.start).Round(time.Millisecond)))
}

// progressLine is the current "\r  N bytes sent" line, or with
// Config.Plain a line of its own: in duplex mode it shows both directions,
// since both move at once.
func (r *runner) progressLine(receiving bool) string {
	var s string
	switch {
	case r.cfg.Duplex:
		s = fmt.Sprintf("  %d bytes sent, %d bytes received", r.sent.Load(), r.received.Load())
	case receiving:
		s = fmt.Sprintf("  %d bytes received", r.received.Load())
	default:
		s = fmt.Sprintf("  %d bytes sent", r.sent.Load())
	}
	if r.cfg.Plain {
		return s + "\n"
	}
	return "\r" + s
}

// due reports whether a progress line is due at now (since start), and if
// so claims it: the two sides of a duplex run, which print the same line,
// keep one pace.
func (r *runner) due(now time.Duration) bool {
	every := progressEvery
	if r.cfg.Plain {
		every = PlainEvery
	}
	last := r.lastPrint.Load()
	return now-time.Duration(last) >= every && r.lastPrint.CompareAndSwap(last, int64(now))
}

// send writes cfg.Bytes of the message pattern and shuts down the sending
// side. It reports whether it succeeded; on failure it has called fail.
func (r *runner) send() bool {
	total := r.cfg.Bytes
	size := int64(r.cfg.ChunkSize)
	if size > total {
		size = total
	}
	// One buffer of the repeated message, codec.ChunkSize longer than a
	// chunk, so that a write resuming mid-message (after a partial write)
	// still starts at the right byte of the pattern.
	pattern := repeat(codec.Message, size+int64(codec.ChunkSize))
	r.conn.SetWriteDeadline(r.deadline())
	for sent := int64(0); sent < total; {
		n := min(size, total-sent)
		phase := sent % int64(codec.ChunkSize)
		w, err := r.conn.Write(pattern[phase : phase+n])
		if w > 0 {
			sent = r.sent.Add(int64(w))
			if r.due(r.moved()) {
				r.progress.print(r.progressLine(false))
			}
		}
		if err != nil {
			if isTimeout(err) && !r.stalled(r.conn.SetWriteDeadline) {
				continue
			}
			r.failSend(err)
			return false
		}
	}
	r.progress.print(r.progressLine(false))
	if !r.cfg.Duplex {
		r.progress.end()
	}
	if err := codec.CloseWrite(r.conn); err != nil {
		r.failSend(err)
		return false
	}
	r.closedWrite.Store(true)
	return true
}

// failSend turns an error on the sending side into the run's error.
func (r *runner) failSend(err error) {
	if isTimeout(err) {
		r.fail(r.stallError())
		return
	}
	if !r.cfg.Duplex && isCutOff(err) {
		r.fail(&CutOffError{Total: r.cfg.Bytes, Sent: r.sent.Load(), Received: r.received.Load(), Err: err})
		return
	}
	r.fail(fmt.Errorf("client: sending failed after sending %d of %d bytes and receiving %d: %w",
		r.sent.Load(), r.cfg.Bytes, r.received.Load(), err))
}

// receive reads until EOF, checking every byte against the uppercased
// message. It reports whether it succeeded; on failure it has called fail.
func (r *runner) receive() bool {
	total := r.cfg.Bytes
	want := repeat(codec.Uppered, readSize+int64(codec.ChunkSize))
	buf := make([]byte, readSize)
	r.conn.SetReadDeadline(r.deadline())
	for {
		n, err := r.conn.Read(buf)
		if n > 0 {
			got := r.received.Load()
			if mm := check(buf[:n], got, want, total); mm != nil {
				r.received.Store(mm.Offset)
				r.noteFirst(buf[:mm.Offset-got])
				r.fail(mm)
				return false
			}
			if got+int64(n) > total {
				r.received.Store(total)
				r.fail(fmt.Errorf("%w: %d bytes sent, at least %d received", ErrExtraData, total, got+int64(n)))
				return false
			}
			r.noteFirst(buf[:n])
			r.received.Add(int64(n))
			if r.due(r.moved()) {
				r.progress.print(r.progressLine(true))
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			if !r.cfg.Duplex {
				// Fewer than a whole message came: the original prints
				// what it got, even nothing, before its counts.
				r.printFirst()
			}
			r.progress.print(r.progressLine(true))
			r.progress.end()
			r.printFirst()
			if got := r.received.Load(); got < total {
				r.fail(&ShortError{Sent: r.sent.Load(), Received: got, Total: total})
				return false
			}
			return true
		case isTimeout(err) && !r.stalled(r.conn.SetReadDeadline):
		case isTimeout(err):
			r.fail(r.stallError())
			return false
		case !r.cfg.Duplex && isCutOff(err):
			r.fail(&CutOffError{Total: total, Sent: r.sent.Load(), Received: r.received.Load(), Receiving: true, Err: err})
			return false
		default:
			r.fail(fmt.Errorf("client: receiving failed after sending %d of %d bytes and receiving %d: %w",
				r.sent.Load(), total, r.received.Load(), err))
			return false
		}
	}
}

// noteFirst keeps the start of the stream for Result.First and, in the
// sequential mode, prints it as soon as a whole message has come, where the
// original prints it.
func (r *runner) noteFirst(b []byte) {
	if len(r.first) >= codec.ChunkSize {
		return
	}
	r.first = append(r.first, b[:min(len(b), codec.ChunkSize-len(r.first))]...)
	if len(r.first) == codec.ChunkSize && !r.cfg.Duplex {
		r.printFirst()
	}
}

// printFirst prints the original's "The first data received says" line
// once. In duplex mode it waits for the end, so as not to break into the
// progress line of the other side.
func (r *runner) printFirst() {
	if r.firstShown {
		return
	}
	r.firstShown = true
	r.progress.print(fmt.Sprintf("  The first data received says %s\n", pyQuote(r.first)))
}

// check compares b, received at offset off of the stream, with the
// expected pattern; want is the uppered message repeated, at least
// codec.ChunkSize longer than b. It returns the first wrong byte, if any,
// among those within the total.
func check(b []byte, off int64, want []byte, total int64) *MismatchError {
	if off+int64(len(b)) > total {
		b = b[:max(total-off, 0)]
	}
	phase := off % int64(codec.ChunkSize)
	exp := want[phase : phase+int64(len(b))]
	if string(b) == string(exp) {
		return nil
	}
	for i := range b {
		if b[i] != exp[i] {
			return &MismatchError{Offset: off + int64(i), Want: exp[i], Got: b[i]}
		}
	}
	return nil
}

// repeat returns s repeated up to n bytes.
func repeat(s string, n int64) []byte {
	b := make([]byte, n)
	for i := 0; i < len(b); i += copy(b[i:], s) {
	}
	return b
}

// isTimeout reports whether err is an expired deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
