package load

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The kinds of error counted in Result.Errors. Each ends the connection it
// happened on, so a connection counts at most one.
const (
	// ErrMismatch: a byte back is not the uppercase of the byte sent, or
	// more bytes came back than were sent.
	ErrMismatch = "mismatch"
	// ErrShort: the server closed the connection before the whole reply.
	ErrShort = "short"
	// ErrClosed: the server closed the connection while it owed nothing.
	ErrClosed = "closed"
	// ErrReset: the connection was reset (or the write found it broken).
	ErrReset = "reset"
	// ErrTimeout: bytes owed did not come back within Config.Timeout (or
	// before the drain after the measured time ended).
	ErrTimeout = "timeout"
	// ErrOther: any other read or write error.
	ErrOther = "other"
)

var errorKinds = [...]string{ErrMismatch, ErrShort, ErrClosed, ErrReset, ErrTimeout, ErrOther}

// errorCounts counts errors by kind, from any goroutine.
type errorCounts [len(errorKinds)]atomic.Uint64

func (e *errorCounts) add(kind string) {
	for i, k := range errorKinds {
		if k == kind {
			e[i].Add(1)
			return
		}
	}
	e[len(e)-1].Add(1)
}

// total is the errors counted so far.
func (e *errorCounts) total() uint64 {
	var n uint64
	for i := range e {
		n += e[i].Load()
	}
	return n
}

// snapshot is the non-zero counts by kind; never nil, so JSON shows {}.
func (e *errorCounts) snapshot() map[string]uint64 {
	m := make(map[string]uint64)
	for i, k := range errorKinds {
		if n := e[i].Load(); n > 0 {
			m[k] = n
		}
	}
	return m
}

// classify names the kind of a read or write error; owed says whether the
// server owed bytes when it happened.
func classify(err error, owed bool) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if owed {
			return ErrShort
		}
		return ErrClosed
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return ErrReset
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	}
	return ErrOther
}

// The reasons a dial fails, in Result.ConnectFailed.
const (
	DialRefused     = "refused"        // ECONNREFUSED: nothing listening, or its backlog full
	DialTimeout     = "timeout"        // no answer within Config.DialTimeout
	DialNoPorts     = "no_local_ports" // EADDRNOTAVAIL: the source address ran out of ports
	DialNoFiles     = "no_files"       // EMFILE/ENFILE: this process ran out of descriptors
	DialReset       = "reset"          // reset during the handshake
	DialUnreachable = "unreachable"    // no route, network down
	DialCancelled   = "cancelled"      // the run was cancelled
	DialOther       = "other"
)

// classifyDial names the reason a dial failed.
func classifyDial(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return DialRefused
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return DialNoPorts
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return DialNoFiles
	case errors.Is(err, syscall.ECONNRESET):
		return DialReset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETDOWN):
		return DialUnreachable
	case errors.Is(err, errCancelled):
		return DialCancelled
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return DialTimeout
	}
	return DialOther
}

// tally is what one event loop, or one shard of goroutines, measured. Its
// plain fields belong to one goroutine at a time (an event loop, or whoever
// holds the shard's lock); messagesSeen is read by the progress reporter.
type tally struct {
	hist          *hdr.Histogram // from the intended send time
	histSent      *hdr.Histogram // from the actual send
	messages      uint64         // completed in the measured time
	bytesSent     uint64         // written in the measured time
	bytesReceived uint64         // verified in the measured time
	// messagesSeen counts every completed message, warm-up included, for
	// progress.
	messagesSeen atomic.Uint64
	_            [64]byte // keep neighbouring tallies off this cache line
}

func newTally() *tally { return &tally{hist: newHistogram(), histSent: newHistogram()} }

// fill fills in the measured totals of r from the tallies, the window and
// the CPU used.
func (r *Result) fill(ts []*tally, window time.Duration, cpu time.Duration) error {
	hs := make([]*hdr.Histogram, 0, len(ts))
	us := make([]*hdr.Histogram, 0, len(ts))
	for _, t := range ts {
		r.Messages += t.messages
		r.BytesSent += t.bytesSent
		r.BytesReceived += t.bytesReceived
		hs = append(hs, t.hist)
		us = append(us, t.histSent)
	}
	r.Duration = window
	r.GeneratorCPU = cpu
	if err := r.setLatency(hs, us); err != nil {
		return err
	}
	r.rates()
	return nil
}

// setLatency merges the corrected (hs) and uncorrected (us) histograms into
// Histogram, HistogramUncorrected and their summaries.
func (r *Result) setLatency(hs, us []*hdr.Histogram) error {
	h, err := MergeHistograms(hs...)
	if err != nil {
		return err
	}
	if r.Histogram, err = EncodeHistogram(h); err != nil {
		return err
	}
	r.Latency = summarize(h)
	if h, err = MergeHistograms(us...); err != nil {
		return err
	}
	if r.HistogramUncorrected, err = EncodeHistogram(h); err != nil {
		return err
	}
	r.LatencyUncorrected = summarize(h)
	return nil
}

// rates derives the per-second and per-message figures from the totals.
func (r *Result) rates() {
	r.MessagesPerS, r.MBPerSOut, r.MBPerSIn, r.GeneratorCPUPerMsg = 0, 0, 0, 0
	if s := r.Duration.Seconds(); s > 0 {
		r.MessagesPerS = float64(r.Messages) / s
		r.MBPerSOut = float64(r.BytesSent) / s / 1e6
		r.MBPerSIn = float64(r.BytesReceived) / s / 1e6
	}
	if r.Messages > 0 {
		r.GeneratorCPUPerMsg = float64(r.GeneratorCPU.Nanoseconds()) / 1e3 / float64(r.Messages)
	}
}

// ErrorCount is the errors of every kind added up.
func (r *Result) ErrorCount() uint64 {
	var n uint64
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// FailedDials is the dials that failed, for every reason.
func (r *Result) FailedDials() uint64 {
	var n uint64
	for _, v := range r.ConnectFailed {
		n += v
	}
	return n
}

// Merge combines the results of workers that ran the same load at the same
// time into one: counts add up, histograms merge exactly, the measured time
// is the longest worker's, and CPU is the sum of the workers'.
func Merge(rs ...*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, errors.New("load: nothing to merge")
	}
	m := *rs[0]
	m.Conns, m.Workers, m.Connected = 0, 0, 0
	m.ConnectFailed = map[string]uint64{}
	m.Errors = map[string]uint64{}
	m.Messages, m.BytesSent, m.BytesReceived, m.GeneratorCPU, m.Duration = 0, 0, 0, 0, 0
	m.Slow = nil
	m.WindowStart, m.StartSkew, m.Late = time.Time{}, 0, false
	var lat, sent, conn []*hdr.Histogram
	for _, r := range rs {
		m.Conns += r.Conns
		m.Workers += max(r.Workers, 1)
		m.Connected += r.Connected
		for k, v := range r.ConnectFailed {
			m.ConnectFailed[k] += v
		}
		for k, v := range r.Errors {
			m.Errors[k] += v
		}
		m.Messages += r.Messages
		m.BytesSent += r.BytesSent
		m.BytesReceived += r.BytesReceived
		m.GeneratorCPU += r.GeneratorCPU
		m.Duration = max(m.Duration, r.Duration)
		m.ConnectTime = max(m.ConnectTime, r.ConnectTime)
		m.mergeStart(r)
		m.Slow = r.Slow.merge(m.Slow)
		for _, x := range []struct {
			enc string
			to  *[]*hdr.Histogram
		}{{r.Histogram, &lat}, {r.HistogramUncorrected, &sent}, {r.ConnectHistogram, &conn}} {
			h, err := DecodeHistogram(x.enc)
			if err != nil {
				return nil, err
			}
			*x.to = append(*x.to, h)
		}
	}
	if err := m.setLatency(lat, sent); err != nil {
		return nil, err
	}
	h, err := MergeHistograms(conn...)
	if err != nil {
		return nil, err
	}
	if m.ConnectHistogram, err = EncodeHistogram(h); err != nil {
		return nil, err
	}
	m.setConnectLatency(h)
	m.rates()
	return &m, nil
}

// merge is s added to sum (either may be nil): bytes and connections add
// up, the last write is the latest.
func (s *SlowResult) merge(sum *SlowResult) *SlowResult {
	if s == nil {
		return sum
	}
	if sum == nil {
		return &SlowResult{SendBytes: s.SendBytes, WrittenBytes: s.WrittenBytes, TakenBytes: s.TakenBytes, Complete: s.Complete, LastWrite: s.LastWrite}
	}
	return &SlowResult{
		SendBytes:    s.SendBytes,
		WrittenBytes: sum.WrittenBytes + s.WrittenBytes,
		TakenBytes:   sum.TakenBytes + s.TakenBytes,
		Complete:     sum.Complete + s.Complete,
		LastWrite:    max(sum.LastWrite, s.LastWrite),
	}
}

// setConnectLatency sets the connect percentiles from h.
func (r *Result) setConnectLatency(h *hdr.Histogram) {
	c := summarize(h)
	r.ConnectP50, r.ConnectP99 = c.P50, c.P99
}
