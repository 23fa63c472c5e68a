package compare

import "time"

// DefaultKernelEvery is how often the kernel's socket memory is read: less
// often than the server, as reading the slab caches walks every cache of
// the machine, and socket memory moves with connections, which come and go
// slowly.
const DefaultKernelEvery = 250 * time.Millisecond

// KernelSample is one reading of the kernel's memory for TCP sockets. It
// is the whole network namespace's, not one process's: on loopback, where
// load always runs, both ends of every connection are in it.
type KernelSample struct {
	At time.Duration `json:"at_ns"` // on the server's clock, as Sample.At
	// TCPSockets is the TCP sockets in use (sockstat's TCP and TCP6
	// "inuse"), TIME_WAIT ones left out.
	TCPSockets int64 `json:"tcp_sockets"`
	// TCPMem is the memory charged to TCP socket buffers (sockstat's TCP
	// "mem", in pages), in bytes.
	TCPMem int64 `json:"tcp_mem_bytes"`
	// Slab is the bytes of the allocated objects of the slab caches a
	// socket takes (socketSlabs), if SlabRead.
	Slab     int64 `json:"slab_bytes"`
	SlabRead bool  `json:"slab_read"`
}

// socketSlabs are the slab caches that grow with each open TCP socket: the
// socket itself, its inode, its file and dentry, its epoll item, and the
// headers of the buffers it holds.
var socketSlabs = []string{
	"TCP", "TCPv6", "sock_inode_cache", "filp", "dentry",
	"eventpoll_epi", "eventpoll_pwq",
	"skbuff_head_cache", "skbuff_fclone_cache", "skbuff_small_head",
}

// KernelStats is the kernel's socket memory during one run.
type KernelStats struct {
	// Sampled says whether sockstat could be read (Linux only).
	Sampled bool `json:"sampled"`
	// Baseline is the reading right after the server started, before any
	// load. Loaded is the reading with the most socket memory (TCPMem+Slab)
	// within the load's measured time: not the highest of the run, as
	// connections closing at its end queue their last bytes and FINs for a
	// moment.
	Baseline KernelSample `json:"baseline"`
	Loaded   KernelSample `json:"loaded"`
	// Samples are the readings, the first one the baseline.
	Samples []KernelSample `json:"samples,omitempty"`
}

// fill picks the baseline and the loaded reading from the samples, the
// latter within [from, to] on the samples' clock, or the one closest
// before to if none is within.
func (k *KernelStats) fill(samples []KernelSample, err error, from, to time.Duration) {
	k.Samples = samples
	if err != nil || len(samples) == 0 {
		return
	}
	k.Sampled = true
	k.Baseline, k.Loaded = samples[0], samples[0]
	found := false
	for _, s := range samples[1:] {
		switch {
		case s.At > to:
		case s.At < from:
			if !found {
				k.Loaded = s
			}
		case !found || s.TCPMem+s.Slab > k.Loaded.TCPMem+k.Loaded.Slab:
			k.Loaded, found = s, true
		}
	}
}

// perConn is the kernel memory, TCP buffers and slab objects, that one
// connection of conns added over the baseline, in bytes, counting the
// server's end alone: half of what both ends of a loopback connection add,
// as sockstat and the slab caches do not tell the ends apart. The two ends
// hold the same structures; their buffers differ only while bytes are
// queued one way and not the other.
func (k *KernelStats) perConn(conns int) (tcp, slab float64, slabOK bool) {
	n := float64(2 * conns)
	tcp = float64(k.Loaded.TCPMem-k.Baseline.TCPMem) / n
	slabOK = k.Loaded.SlabRead && k.Baseline.SlabRead
	if slabOK {
		slab = float64(k.Loaded.Slab-k.Baseline.Slab) / n
	}
	return tcp, slab, slabOK
}

// kernelSampler reads the kernel's socket memory at a steady pace from a
// goroutine of its own until stopped.
type kernelSampler struct {
	t0      time.Time
	samples []KernelSample // written by the loop, read after done
	err     error          // why the first reading failed
	quit    chan struct{}
	done    chan struct{}
}

// startKernelSampler takes the first reading (the baseline) at once and
// the others every period.
func startKernelSampler(t0 time.Time, every time.Duration) *kernelSampler {
	s := &kernelSampler{t0: t0, quit: make(chan struct{}), done: make(chan struct{})}
	if s.take(); s.err != nil {
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-t.C:
				s.take()
			}
		}
	}()
	return s
}

func (s *kernelSampler) take() {
	k, err := readKernel()
	if err != nil {
		if len(s.samples) == 0 {
			s.err = err
		}
		return
	}
	k.At = time.Since(s.t0)
	s.samples = append(s.samples, k)
}

// stop takes a last reading and returns them all, or why there are none.
func (s *kernelSampler) stop() ([]KernelSample, error) {
	close(s.quit)
	<-s.done
	if s.err == nil {
		s.take()
	}
	return s.samples, s.err
}
