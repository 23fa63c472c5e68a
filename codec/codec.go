package codec

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
