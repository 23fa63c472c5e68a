//go:build !linux

package load

import (
	"net"
	"syscall"
)

// bindAddressNoPort does nothing where IP_BIND_ADDRESS_NO_PORT does not
// exist: the source address's port is then picked at bind time.
func bindAddressNoPort(string, string, syscall.RawConn) error { return nil }

// unsentBytes is 0 where SIOCOUTQ does not exist: every byte written then
// counts as taken by the server.
func unsentBytes(net.Conn) int { return 0 }

func setsockoptRcvbuf(fd uintptr, n int) error {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
}

// setRcvLowat does nothing here: the loop wakes for every read, as it would.
func setRcvLowat(int, int) error { return nil }
