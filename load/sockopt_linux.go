package load

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// bindAddressNoPort sets IP_BIND_ADDRESS_NO_PORT before the dialer binds
// its source address. Without it, bind(addr, 0) must pick a port unused by
// any socket of that address, TIME_WAIT ones from earlier runs included;
// with it the port is picked at connect time per destination, and the
// kernel may reuse loopback TIME_WAIT ports (tcp_tw_reuse=2).
func bindAddressNoPort(network, _ string, rc syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return nil
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}); err != nil {
		return err
	}
	return serr
}

// unsentBytes is what c's socket still holds to send, not yet acknowledged
// by the peer (SIOCOUTQ); 0 if it cannot be asked.
func unsentBytes(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = rc.Control(func(fd uintptr) {
		n, _ = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	})
	return max(n, 0)
}

func setsockoptRcvbuf(fd uintptr, n int) error {
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
}

// setRcvLowat sets SO_RCVLOWAT: epoll reports the socket readable only once
// n bytes are queued (or at EOF or an error).
func setRcvLowat(fd, n int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVLOWAT, n)
}
