package main

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestJoinHostPort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host string
		port int
		want string
	}{
		{"127.0.0.1", 1060, "127.0.0.1:1060"},
		{"::1", 1060, "[::1]:1060"},
		{"[::1]", 1060, "[::1]:1060"},
		{"localhost", 0, "localhost:0"},
		{"fe80::1%lo", 80, "[fe80::1%lo]:80"},
	} {
		got, err := joinHostPort(tc.host, tc.port)
		if err != nil || got != tc.want {
			t.Errorf("joinHostPort(%q, %d) = %q, %v; want %q", tc.host, tc.port, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		host string
		port int
	}{{"127.0.0.1", -1}, {"127.0.0.1", 65536}, {"", 1060}, {"[]", 1060}, {"a b", 1}, {"[::1]:80", 1}} {
		if got, err := joinHostPort(tc.host, tc.port); err == nil {
			t.Errorf("joinHostPort(%q, %d) = %q; want an error", tc.host, tc.port, got)
		}
	}
}

// FuzzJoinHostPort: whatever joinHostPort accepts, net.SplitHostPort takes
// apart again into the same host (brackets dropped) and port.
func FuzzJoinHostPort(f *testing.F) {
	f.Add("127.0.0.1", 1060)
	f.Add("::1", 0)
	f.Add("[::1]", 65535)
	f.Add("fe80::1%eth0", 80)
	f.Fuzz(func(t *testing.T, host string, port int) {
		addr, err := joinHostPort(host, port)
		if err != nil {
			return
		}
		h, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("joinHostPort(%q, %d) = %q, which SplitHostPort rejects: %v", host, port, addr, err)
		}
		if want := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"); h != want || p != strconv.Itoa(port) {
			t.Fatalf("joinHostPort(%q, %d) = %q, split into %q %q", host, port, addr, h, p)
		}
	})
}
