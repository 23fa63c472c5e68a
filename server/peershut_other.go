//go:build !linux

package server

// peerShutWrite reports false: without POLLRDHUP a half-close behind unread
// input is not seen, and a parked connection's finish waits for its read.
func peerShutWrite(int) bool { return false }
