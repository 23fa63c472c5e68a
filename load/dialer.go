package load

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// dialer establishes a run's connections: at most Config.DialsInFlight at a
// time, no faster than Config.ConnectRate, each from its source address.
type dialer struct {
	cfg       *Config
	connected atomic.Int64
	failed    atomic.Int64

	mu      sync.Mutex
	reasons map[string]uint64
	hist    *hdr.Histogram
}

func newDialer(cfg *Config) *dialer {
	return &dialer{cfg: cfg, reasons: map[string]uint64{}, hist: newHistogram()}
}

// dialAll dials every connection and hands each one established to add,
// which takes it over (and may fail, counted like a failed dial). It returns
// when every dial has ended or ctx is done.
func (d *dialer) dialAll(ctx context.Context, add func(c net.Conn, i int) error) {
	cfg := d.cfg
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(cfg.DialsInFlight, cfg.Conns) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Conns {
					return
				}
				if err := d.waitTurn(ctx, start, i); err != nil {
					d.fail(err)
					continue
				}
				d.dialOne(ctx, i, add)
			}
		})
	}
	wg.Wait()
}

// waitTurn waits until connection i may be dialed under ConnectRate.
func (d *dialer) waitTurn(ctx context.Context, start time.Time, i int) error {
	if ctx.Err() != nil {
		return errCancelled
	}
	if d.cfg.ConnectRate <= 0 {
		return nil
	}
	at := start.Add(time.Duration(float64(i) / d.cfg.ConnectRate * float64(time.Second)))
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return errCancelled
	case <-t.C:
		return nil
	}
}

func (d *dialer) dialOne(ctx context.Context, i int, add func(net.Conn, int) error) {
	nd := net.Dialer{Timeout: d.cfg.DialTimeout}
	var controls []func(string, string, syscall.RawConn) error
	if src := d.cfg.SourceAddrs; len(src) > 0 {
		nd.LocalAddr = &net.TCPAddr{IP: src[(d.cfg.firstConn+i)%len(src)].AsSlice()}
		controls = append(controls, bindAddressNoPort)
	}
	if d.cfg.Mode == Slow {
		controls = append(controls, func(_, _ string, rc syscall.RawConn) error { return setRecvBuffer(rc) })
	}
	if len(controls) > 0 {
		nd.Control = func(network, address string, rc syscall.RawConn) error {
			for _, f := range controls {
				if err := f(network, address, rc); err != nil {
					return err
				}
			}
			return nil
		}
	}
	t0 := time.Now()
	c, err := nd.DialContext(ctx, d.cfg.Network, d.cfg.Address)
	took := time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			err = errCancelled
		}
		d.fail(err)
		return
	}
	if err := add(c, i); err != nil {
		d.fail(err)
		return
	}
	d.mu.Lock()
	record(d.hist, took)
	d.mu.Unlock()
	d.connected.Add(1)
}

func (d *dialer) fail(err error) {
	d.failed.Add(1)
	d.mu.Lock()
	d.reasons[classifyDial(err)]++
	d.mu.Unlock()
}

// fill puts the connection figures into r; call it after dialAll.
func (d *dialer) fill(r *Result) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	r.Connected = int(d.connected.Load())
	r.ConnectFailed = make(map[string]uint64, len(d.reasons))
	for k, v := range d.reasons {
		r.ConnectFailed[k] = v
	}
	r.setConnectLatency(d.hist)
	var err error
	r.ConnectHistogram, err = EncodeHistogram(d.hist)
	for _, a := range d.cfg.SourceAddrs {
		r.SourceAddrs = append(r.SourceAddrs, a.String())
	}
	return err
}
