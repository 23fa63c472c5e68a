//go:build !linux

package load

import "syscall"

// bindAddressNoPort does nothing where IP_BIND_ADDRESS_NO_PORT does not
// exist: the source address's port is then picked at bind time.
func bindAddressNoPort(string, string, syscall.RawConn) error { return nil }
