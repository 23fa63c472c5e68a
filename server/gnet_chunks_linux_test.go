package server

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestChunkPutReleasesWholeChunk: a chunk freed past the hot ones gives
// back all its pages, not only those of the bytes it held last: one filled
// once and freed holding a few bytes keeps nothing resident.
func TestChunkPutReleasesWholeChunk(t *testing.T) {
	var p chunkPool
	c, err := p.get()
	if err != nil {
		t.Fatal(err)
	}
	hot := make([][]byte, hotChunks)
	for i := range hot {
		if hot[i], err = p.get(); err != nil {
			t.Fatal(err)
		}
	}
	p.put(hot...) // the hot ones are full: c goes cold
	c = c[:cap(c)]
	for i := range c {
		c[i] = 'x' // every page resident
	}
	p.put(c[:100]) // held 100 bytes last
	vec := make([]byte, (chunkSize+unix.Getpagesize()-1)/unix.Getpagesize())
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&c[0])), uintptr(len(c)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Skip("mincore:", errno)
	}
	resident := 0
	for _, v := range vec {
		resident += int(v & 1)
	}
	if resident != 0 {
		t.Errorf("%d of %d pages of a freed chunk still resident, want 0", resident, len(vec))
	}
}
