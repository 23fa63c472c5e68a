package codec

import (
	"fmt"
	"net"
)

const (
	// DefaultHost and DefaultPort make up DefaultAddress.
	DefaultHost = "127.0.0.1"
	DefaultPort = 1060
	// DefaultAddress is the original example's address, where the server
	// listens and the clients and the load connect unless told otherwise.
	DefaultAddress = "127.0.0.1:1060"

	// MaxRead is the most bytes a server processes per read, as the original
	// server's recv(1024).
	MaxRead = 1024

	// ChunkSize is the size of each write of the conventional client.
	ChunkSize = len(Message)

	// Message is what the conventional client sends, over and over.
	Message = "capitalize this!"
)

// Uppered is Message as every server sends it back.
const Uppered = "CAPITALIZE THIS!"

// CloseWrite shuts down c's sending side, as the original client's
// shutdown(SHUT_WR): the end of a client's stream, after which the server
// still owes it the replies.
func CloseWrite(c net.Conn) error {
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok {
		return fmt.Errorf("codec: a %T cannot shut down its sending side", c)
	}
	return cw.CloseWrite()
}
