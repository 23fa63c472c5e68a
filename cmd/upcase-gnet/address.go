package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// joinHostPort makes a TCP address from a --host and a --port. It accepts
// an IPv6 host with or without brackets ("::1", "[::1]"), since people copy
// it either way, and checks the port range, which net.JoinHostPort does not.
func joinHostPort(host string, port int) (string, error) {
	if port < 0 || port > 65535 {
		return "", fmt.Errorf("invalid port %d: want 0 to 65535", port)
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if host == "" {
		return "", fmt.Errorf("invalid host: empty")
	}
	if strings.ContainsAny(host, "[]/ \t\r\n") {
		return "", fmt.Errorf("invalid host %q", host)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}
