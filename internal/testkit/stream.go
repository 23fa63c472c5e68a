package testkit

import (
	"bytes"
	"fmt"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// Stream is what a test client sends: a deterministic byte stream of Size
// bytes, a block repeated, and its expected reply, checked byte for byte.
// Streams are generated, not stored, so a 128 MiB transfer costs no 128 MiB
// buffer; a block whose length is not a power of two shows a shifted or
// repeated piece of the reply as a wrong byte.
type Stream struct {
	// Size is the stream's length; Endless for one written until the
	// connection fails.
	Size  int64
	block []byte
	upper []byte
}

// Endless as a Stream's Size marks one written until the connection fails.
const Endless = int64(1) << 62

// NewStream is size bytes of block repeated.
func NewStream(block []byte, size int64) Stream {
	return Stream{Size: size, block: block, upper: codec.Upper(bytes.Clone(block))}
}

// At returns the next piece of the stream to send from offset off: at most
// max bytes, never past the end of the block or the stream.
func (s Stream) At(off int64, max int) []byte {
	i := int(off % int64(len(s.block)))
	n := int(min(int64(len(s.block)-i), int64(max), s.Size-off))
	return s.block[i : i+n]
}

// Check verifies that got is the reply expected at stream offset off, and
// names the first wrong byte.
func (s Stream) Check(off int64, got []byte) error {
	if end := off + int64(len(got)); end > s.Size {
		return fmt.Errorf("got %d bytes back, more than the %d sent", end, s.Size)
	}
	for len(got) > 0 {
		i := int(off % int64(len(s.block)))
		n := min(len(s.block)-i, len(got))
		if want := s.upper[i : i+n]; !bytes.Equal(got[:n], want) {
			j := 0
			for got[j] == want[j] {
				j++
			}
			return fmt.Errorf("wrong byte at offset %d: got %#02x, want %#02x (sent %#02x)",
				off+int64(j), got[j], want[j], s.block[i+j])
		}
		got, off = got[n:], off+int64(n)
	}
	return nil
}
