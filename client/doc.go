// Package client is the conventional blocking client of the classic
// socket-deadlock example: it sends a number of bytes as writes of
// codec.Message, shuts down its sending side, reads everything back and
// checks that every byte came back uppercased.
//
// Sent sequentially, as the original does, a transfer larger than the two
// sides' socket buffers deadlocks against a server that blocks while writing:
// the client does not read until it has sent everything, so the server's
// write blocks, so the server stops reading, so the client's write blocks.
// Run notices when no byte has moved for Config.StallTimeout and returns a
// *StallError that explains it; Config.Duplex reads while sending and never
// deadlocks.
//
// The package never prints on its own and never exits: it writes the
// original's progress text to Config.Output and returns errors.
package client
