package server

import (
	"net"
	"testing"
	"unsafe"
)

// TestOwnAddr: a peer address with a zone is copied, its zone into memory
// of its own, since gnet pools a zone's bytes when it releases the
// connection; one without is kept as it is.
func TestOwnAddr(t *testing.T) {
	zone := string([]byte("eth0"))
	a := &net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 1060, Zone: zone}
	got, ok := ownAddr(a).(*net.TCPAddr)
	if !ok || got == a || got.String() != a.String() {
		t.Fatalf("ownAddr(%v) = %v, want a copy equal to it", a, got)
	}
	if unsafe.StringData(got.Zone) == unsafe.StringData(zone) || &got.IP[0] == &a.IP[0] {
		t.Error("the copy shares its zone or IP with the address gnet releases")
	}
	plain := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1060}
	if ownAddr(plain) != net.Addr(plain) {
		t.Error("an address without a zone was copied")
	}
	if ownAddr(nil) != nil {
		t.Error("ownAddr(nil) is not nil")
	}
}
