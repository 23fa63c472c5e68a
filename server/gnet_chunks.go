package server

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The gnet engine holds what a client's socket will not take yet in chunks
// of chunkSize bytes, mapped outside Go's heap, so that the memory the
// process holds follows the bytes it holds: no buffer that doubles as it
// grows, no garbage that waits for a collection (the heap may grow to twice
// its live size before one), and memory given back to the system (madvise)
// as soon as a connection drains.
const (
	chunkSize = 16 << 10
	slabSize  = 64 * chunkSize // one mmap call for 64 chunks
	// hotChunks is how many freed chunks stay resident for reuse before
	// the next ones are given back to the system.
	hotChunks = 256
)

// chunks is the process's chunk pool, shared by every server in it: slabs
// are never unmapped (a chunk's pages are given back instead), so no chunk
// can outlive its mapping whatever a server does.
var chunks chunkPool

// mapSlab maps a slab of chunks: mapChunkSlab, but for a test that refuses
// it.
var mapSlab = mapChunkSlab

func mapChunkSlab() ([]byte, error) {
	return unix.Mmap(-1, 0, slabSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
}

// chunkPool hands out chunks; each server counts what its connections hold
// (Stats.Memory).
type chunkPool struct {
	mu     sync.Mutex
	hot    [][]byte // free, resident
	cold   [][]byte // free, pages given back to the system
	mapped atomic.Int64
}

// get returns a chunk, or an error when the system will not map memory.
func (p *chunkPool) get() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var c []byte
	switch {
	case len(p.hot) > 0:
		c = p.hot[len(p.hot)-1]
		p.hot = p.hot[:len(p.hot)-1]
	case len(p.cold) > 0:
		c = p.cold[len(p.cold)-1]
		p.cold = p.cold[:len(p.cold)-1]
	default:
		slab, err := mapSlab()
		if err != nil {
			return nil, fmt.Errorf("map buffer memory: %w", err)
		}
		p.mapped.Add(slabSize)
		for i := slabSize - chunkSize; i > 0; i -= chunkSize {
			p.cold = append(p.cold, slab[i:i+chunkSize:i+chunkSize])
		}
		c = slab[:chunkSize:chunkSize]
	}
	return c, nil
}

// put frees chunks. Beyond hotChunks free, their pages go back to the
// system, so that memory falls when slow readers drain or leave.
func (p *chunkPool) put(cs ...[]byte) {
	if len(cs) == 0 {
		return
	}
	p.mu.Lock()
	for _, c := range cs {
		// Whole: a chunk held short now may have been full before, its
		// pages resident past its length.
		c = c[:cap(c)]
		if len(p.hot) < hotChunks {
			p.hot = append(p.hot, c)
			continue
		}
		_ = unix.Madvise(c, releasePages)
		p.cold = append(p.cold, c)
	}
	p.mu.Unlock()
}
