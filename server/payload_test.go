package server

import (
	"bytes"
	"fmt"
	"math/rand/v2"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// The payloads of the tests: deterministic byte streams of any length and
// their expected replies, checked byte for byte.

// payload is a deterministic byte stream of size bytes, block repeated, and
// its expected reply. Streams are generated, not stored, so a 128 MiB
// transfer costs no 128 MiB buffer, and the block length is not a power of
// two, so a shifted or repeated piece of the reply shows as a wrong byte.
type payload struct {
	block []byte
	upper []byte
	size  int64
}

// randomBlock is 65521 (a prime) random bytes, every byte value many times
// over, letters included.
var randomBlock = func() []byte {
	r := rand.New(rand.NewPCG(1060, 1024))
	b := make([]byte, 65521)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

// randomPayload is size bytes of randomBlock repeated.
func randomPayload(size int64) payload { return blockPayload(randomBlock, size) }

// blockPayload is size bytes of block repeated.
func blockPayload(block []byte, size int64) payload {
	upper := codec.Upper(bytes.Clone(block))
	return payload{block: block, upper: upper, size: size}
}

// endless marks a payload whose writer goes on until the connection fails.
const endless = int64(1) << 62

// at returns the next piece of the stream to send from offset off: at most
// max bytes, never past the end of the block or the stream.
func (p payload) at(off int64, max int) []byte {
	i := int(off % int64(len(p.block)))
	n := int(min(int64(len(p.block)-i), int64(max), p.size-off))
	return p.block[i : i+n]
}

// check verifies that got is the reply expected at stream offset off, and
// names the first wrong byte.
func (p payload) check(off int64, got []byte) error {
	if end := off + int64(len(got)); end > p.size {
		return fmt.Errorf("got %d bytes back, more than the %d sent", end, p.size)
	}
	for len(got) > 0 {
		i := int(off % int64(len(p.block)))
		n := min(len(p.block)-i, len(got))
		if want := p.upper[i : i+n]; !bytes.Equal(got[:n], want) {
			j := 0
			for got[j] == want[j] {
				j++
			}
			return fmt.Errorf("wrong byte at offset %d: got %#02x, want %#02x (sent %#02x)",
				off+int64(j), got[j], want[j], p.block[i+j])
		}
		got, off = got[n:], off+int64(n)
	}
	return nil
}
