package load

import (
	"bytes"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// payload is what every connection sends and expects back. Its buffers are
// read-only once made, so all connections share one.
//
// A connection's byte stream is its messages back to back, each the same
// Size bytes, so the byte at stream offset k is message[k%Size] and the reply
// byte expected there is Upper(message)[k%Size]: checking a reply needs no
// record of what was sent, only how far the reply has got.
type payload struct {
	size int
	// out is the message repeated to hold at least one window: any run of
	// whole messages a connection writes at once is out[:n*size].
	out []byte
	// want is Upper(out) with one more message, so that any chunk starting
	// at a message offset below size compares against one slice of it.
	want []byte
}

// newPayload makes the payload for messages of size bytes written at most
// window bytes at a time.
func newPayload(size, window int) *payload {
	msg := message(size)
	n := (max(window, size) + size - 1) / size // messages in out
	out := bytes.Repeat(msg, n)
	want := codec.Upper(bytes.Repeat(msg, n+1))
	return &payload{size: size, out: out, want: want}
}

// message is codec.Message repeated or cut to size bytes.
func message(size int) []byte {
	m := bytes.Repeat([]byte(codec.Message), size/len(codec.Message)+1)
	return m[:size]
}

// messages is n whole messages to write.
func (p *payload) messages(n int) []byte { return p.out[:n*p.size] }

// check reports whether b is the reply expected at stream offset off.
func (p *payload) check(off uint64, b []byte) bool {
	o := int(off % uint64(p.size))
	step := len(p.want) - p.size // the most one comparison can cover from any o
	for len(b) > 0 {
		n := min(len(b), step)
		if !bytes.Equal(b[:n], p.want[o:o+n]) {
			return false
		}
		b = b[n:]
		o = (o + n) % p.size
	}
	return true
}
