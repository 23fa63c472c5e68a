package server

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Output waits in chunks mapped outside Go's heap, so that the memory held
// follows the bytes held: no doubling, no garbage, pages given back at once.
const (
	chunkSize = 16 << 10
	slabSize  = 64 * chunkSize // one mmap call for 64 chunks
	hotChunks = 256            // freed chunks kept resident for reuse
)

// chunks is the process's pool, for every server in it: slabs are never
// unmapped, so that no chunk outlives its mapping whatever a server does.
var chunks chunkPool

// mapSlab is mapChunkSlab, but for a test that refuses it.
var mapSlab = mapChunkSlab

func mapChunkSlab() ([]byte, error) {
	return unix.Mmap(-1, 0, slabSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
}

// chunkPool hands out chunks; each server counts its own (Stats.Memory).
type chunkPool struct {
	mu     sync.Mutex
	hot    [][]byte // free, resident
	cold   [][]byte // free, pages given back to the system
	mapped atomic.Int64
}

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

// put frees chunks; past hotChunks their pages go back, so that memory falls.
func (p *chunkPool) put(cs ...[]byte) {
	if len(cs) == 0 {
		return
	}
	p.mu.Lock()
	for _, c := range cs {
		// Whole: a chunk held short may have pages resident past its length.
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
