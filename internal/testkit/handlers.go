package testkit

import (
	"context"
	"net"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// The handlers of Peer: how a server treats each connection, well or in
// one known wrong way.

// Upper is the well-behaved server: every byte back uppercased, in order,
// until the client ends.
func Upper(_ context.Context, c *net.TCPConn) { Echo(c, nil) }

// Echo is the original server's loop, reading at most codec.MaxRead bytes
// at a time, until c ends. alter, if set, may change each uppercased block
// before it goes back; off is the block's offset in the stream.
func Echo(c net.Conn, alter func(b []byte, off int64) []byte) {
	buf := make([]byte, codec.MaxRead)
	var off int64
	for {
		n, err := c.Read(buf)
		if n > 0 {
			out := codec.Upper(buf[:n])
			if alter != nil {
				out = alter(out, off)
			}
			off += int64(n)
			if _, err := c.Write(out); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Flipper uppercases like Upper but flips one bit of its first reply.
func Flipper(ctx context.Context, c *net.TCPConn) {
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return
	}
	out := codec.Upper(buf[:n])
	out[0] ^= 0x01
	if _, err := c.Write(out); err != nil {
		return
	}
	Upper(ctx, c)
}

// Closer reads the first bytes and ends its side without a reply. It goes
// on reading, so that closing with unread bytes does not turn its EOF into
// a reset.
func Closer(ctx context.Context, c *net.TCPConn) {
	buf := make([]byte, 4096)
	if _, err := c.Read(buf); err != nil {
		return
	}
	_ = c.CloseWrite()
	Mute(ctx, c)
}

// Resetter reads the first bytes and resets the connection.
func Resetter(_ context.Context, c *net.TCPConn) {
	buf := make([]byte, 4096)
	_, _ = c.Read(buf)
	_ = Reset(c)
}

// Mute reads everything and never replies.
func Mute(_ context.Context, c *net.TCPConn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}
