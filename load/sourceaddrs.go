package load

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// The bounds of automatic source addressing.
const (
	// PortsPerSource is how many connections automatic source addressing
	// puts on one source address towards one server port: the ephemeral
	// range here (32768-60999) holds about 28,000, less a margin for
	// sockets still in TIME_WAIT from earlier runs.
	PortsPerSource = 25000
	// MaxSourceAddrs is how many 127.0.0.x source addresses automatic
	// source addressing may use (127.0.0.1 to 127.0.0.254).
	MaxSourceAddrs = 254
)

// autoSourceAddrs is nil (the kernel's choice) up to PortsPerSource
// connections; past it, towards an IPv4 loopback server, it is the first
// 127.0.0.x addresses that hold conns at PortsPerSource each.
func autoSourceAddrs(network, address string, conns int) ([]netip.Addr, error) {
	if network == "unix" || conns <= PortsPerSource {
		return nil, nil
	}
	host, _, _ := net.SplitHostPort(address)
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().Is4() || !ip.IsLoopback() {
		return nil, fmt.Errorf("load: %d connections to one server port need more than one source address; "+
			"automatic source addresses (127.0.0.x) only reach an IPv4 loopback server, give them with source addresses", conns)
	}
	n := (conns + PortsPerSource - 1) / PortsPerSource
	if n > MaxSourceAddrs {
		return nil, fmt.Errorf("load: %d connections need %d source addresses, more than the %d of 127.0.0.1-254", conns, n, MaxSourceAddrs)
	}
	return LoopbackSourceAddrs(n), nil
}

// LoopbackSourceAddrs is 127.0.0.1 to 127.0.0.n.
func LoopbackSourceAddrs(n int) []netip.Addr {
	addrs := make([]netip.Addr, n)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 1)})
	}
	return addrs
}

// ParseSourceAddrs reads a count (0 = automatic, N = 127.0.0.1 to
// 127.0.0.N) or a comma-separated list of IP addresses.
func ParseSourceAddrs(s string) ([]netip.Addr, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > MaxSourceAddrs {
			return nil, fmt.Errorf("load: source address count must be 0 to %d, got %d", MaxSourceAddrs, n)
		}
		if n == 0 {
			return nil, nil
		}
		return LoopbackSourceAddrs(n), nil
	}
	var addrs []netip.Addr
	for _, f := range strings.Split(s, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("load: source address %q: want a count or a list of IP addresses", f)
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}
