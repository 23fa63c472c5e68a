package codec

import (
	"net"
	"strconv"
	"testing"
)

// TestDefaultAddress: the address is made of the host and port the flags
// default to, so the three cannot drift apart.
func TestDefaultAddress(t *testing.T) {
	if want := net.JoinHostPort(DefaultHost, strconv.Itoa(DefaultPort)); DefaultAddress != want {
		t.Fatalf("DefaultAddress = %q, want %q from DefaultHost and DefaultPort", DefaultAddress, want)
	}
}
