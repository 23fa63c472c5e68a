package compare

import (
	"net"
	"strconv"
	"time"
)

// DefaultKernelEvery is how often the kernel's socket memory is read: less
// often than the server, as reading the slab caches walks every cache of
// the machine, and socket memory moves with connections, which come and go
// slowly.
const DefaultKernelEvery = 250 * time.Millisecond

// startKernelSampler reads the kernel's socket memory, and that of port's
// sockets, at a steady pace from a goroutine of its own until stopped: the
// first reading (the baseline) at once and the others every period, each
// At its time since t0.
func startKernelSampler(port uint16, t0 time.Time, every time.Duration) *periodic[KernelSample] {
	return startPeriodic(every, func() (KernelSample, error) {
		k, err := readKernel(port)
		k.At = time.Since(t0)
		return k, err
	})
}

// portOf is the port of a host:port address, 0 if it has none.
func portOf(addr string) uint16 {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return 0
	}
	return uint16(n)
}
