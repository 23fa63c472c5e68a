package load

import (
	"errors"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

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
// up, the last write and the last byte taken are the latest, and the
// readings the least often taken.
func (s *SlowResult) merge(sum *SlowResult) *SlowResult {
	if s == nil {
		return sum
	}
	if sum == nil {
		c := *s
		return &c
	}
	return &SlowResult{
		SendBytes:    s.SendBytes,
		WrittenBytes: sum.WrittenBytes + s.WrittenBytes,
		TakenBytes:   sum.TakenBytes + s.TakenBytes,
		Complete:     sum.Complete + s.Complete,
		LastWrite:    max(sum.LastWrite, s.LastWrite),
		LastTaken:    max(sum.LastTaken, s.LastTaken),
		TakenEvery:   max(sum.TakenEvery, s.TakenEvery),
	}
}

// mergeStart folds the start of another process's window into r's: the
// earliest start, the worst skew, late if any was.
func (r *Result) mergeStart(o *Result) {
	if r.WindowStart.IsZero() || (!o.WindowStart.IsZero() && o.WindowStart.Before(r.WindowStart)) {
		r.WindowStart = o.WindowStart
	}
	if abs(o.StartSkew) > abs(r.StartSkew) {
		r.StartSkew = o.StartSkew
	}
	r.Late = r.Late || o.Late
}

func abs(d time.Duration) time.Duration { return max(d, -d) }
