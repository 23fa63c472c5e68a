package server

import (
	"math/rand/v2"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// The payload of most tests: random bytes, every byte value, as a
// testkit.Stream of any length.

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
func randomPayload(size int64) testkit.Stream { return testkit.NewStream(randomBlock, size) }
