package compare

import (
	"math"
	"time"
)

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
	// ServerSockets and ServerMem are the server's own TCP sockets (those
	// of its port) and the buffer memory charged to them, from sock_diag,
	// if ServerRead: exact, and blind to every other socket of the
	// machine.
	ServerSockets int64 `json:"server_sockets"`
	ServerMem     int64 `json:"server_socket_mem_bytes"`
	ServerRead    bool  `json:"server_read"`
}

// tcp is the TCP buffer memory the sample stands for: the server's
// sockets' where sock_diag could tell, else sockstat's, of every socket.
func (s KernelSample) tcp() int64 {
	if s.ServerRead {
		return s.ServerMem
	}
	return s.TCPMem
}

// socketSlabs are the slab caches that grow with each open TCP socket: the
// socket itself, its inode, its file and dentry, its epoll item. The
// buffers' sk_buff heads are left out: the TCP buffer memory counts them
// (an skb's truesize includes its head).
var socketSlabs = []string{
	"TCP", "TCPv6", "sock_inode_cache", "filp", "dentry",
	"eventpoll_epi", "eventpoll_pwq",
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
	// SlabSpread is how far apart the slab readings within the measured
	// time lie, largest less smallest: the connections stand still there,
	// so it is the slab figure's noise (other processes' files and
	// sockets, caches growing and shrinking by whole slabs).
	SlabSpread int64 `json:"slab_spread_bytes"`
	// TCPBy says where the per-connection TCP buffer memory comes from:
	// "sock_diag" (the server's sockets alone) or "sockstat" (half of
	// what every socket of the machine added).
	TCPBy string `json:"tcp_by,omitempty"`
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
	var slabLo, slabHi int64
	slabs := 0
	for _, s := range samples[1:] {
		if s.At >= from && s.At <= to && s.SlabRead {
			if slabs == 0 || s.Slab < slabLo {
				slabLo = s.Slab
			}
			slabHi = max(slabHi, s.Slab)
			slabs++
		}
		switch {
		case s.At > to:
		case s.At < from:
			if !found {
				k.Loaded = s
			}
		case !found || s.tcp()+s.Slab > k.Loaded.tcp()+k.Loaded.Slab:
			k.Loaded, found = s, true
		}
	}
	if slabs > 0 {
		k.SlabSpread = slabHi - slabLo
	}
	k.TCPBy = "sockstat"
	if k.Baseline.ServerRead && k.Loaded.ServerRead {
		k.TCPBy = "sock_diag"
	}
}

// perConn is the kernel memory, TCP buffers and slab objects, that one
// connection of conns added over the baseline at the server's end, in
// bytes. The TCP buffers are the server's sockets' own where sock_diag
// could read them. Otherwise, and for the slab objects always, they are
// half of what every socket of the machine added: on loopback, where load
// always runs, both ends of each connection are in this kernel, and
// sockstat and the slab caches do not tell them apart. The two ends hold
// the same structures; their buffers differ where bytes are queued one
// way and not the other.
//
// A machine-wide figure is ok only if the machine's TCP sockets grew by the
// two per connection expected, give or take a tenth: otherwise other
// processes were opening or closing sockets, and their memory would be
// counted as the server's.
func (k *KernelStats) perConn(conns int) kernelPerConn {
	var pc kernelPerConn
	n := float64(2 * conns)
	grew := float64(k.Loaded.TCPSockets - k.Baseline.TCPSockets)
	quiet := math.Abs(grew-n) <= max(2, n/10)
	if k.TCPBy == "sock_diag" {
		pc.tcp, pc.tcpOK = float64(k.Loaded.ServerMem-k.Baseline.ServerMem)/float64(conns), true
	} else {
		pc.tcp, pc.tcpOK = float64(k.Loaded.TCPMem-k.Baseline.TCPMem)/n, quiet
	}
	pc.slabRead = k.Loaded.SlabRead && k.Baseline.SlabRead
	if pc.slabRead {
		pc.slab, pc.slabOK = float64(k.Loaded.Slab-k.Baseline.Slab)/n, quiet
		pc.slabNoise = float64(k.SlabSpread) / n
	}
	return pc
}

// kernelPerConn is what perConn found, in bytes: each figure with whether
// it holds, and whether the slab caches could be read at all (root); and
// the slab figure's noise, SlabSpread a connection.
type kernelPerConn struct {
	tcp, slab, slabNoise    float64
	tcpOK, slabOK, slabRead bool
}
