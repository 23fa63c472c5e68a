package load

import (
	"testing"
)

func TestAutoSourceAddrs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr  string
		conns int
		want  int // addresses; -1 for an error
	}{
		{"127.0.0.1:1060", PortsPerSource, 0},
		{"127.0.0.1:1060", PortsPerSource + 1, 2},
		{"127.0.0.5:1060", 3*PortsPerSource + 7, 4},
		{"[::1]:1060", PortsPerSource + 1, -1},
		{"10.1.2.3:1060", PortsPerSource + 1, -1},
		{"127.0.0.1:1060", MaxSourceAddrs*PortsPerSource + 1, -1},
	} {
		cfg, err := Config{Address: tc.addr, Conns: tc.conns}.withDefaults()
		switch {
		case tc.want < 0 && err == nil:
			t.Errorf("%s, %d conns: no error, want one", tc.addr, tc.conns)
		case tc.want >= 0 && err != nil:
			t.Errorf("%s, %d conns: %v", tc.addr, tc.conns, err)
		case tc.want >= 0 && len(cfg.SourceAddrs) != tc.want:
			t.Errorf("%s, %d conns: %d source addresses, want %d", tc.addr, tc.conns, len(cfg.SourceAddrs), tc.want)
		}
	}
	got, err := ParseSourceAddrs("3")
	if err != nil || len(got) != 3 || got[2].String() != "127.0.0.3" {
		t.Errorf(`ParseSourceAddrs("3") = %v, %v`, got, err)
	}
	got, err = ParseSourceAddrs("127.0.0.9, ::1")
	if err != nil || len(got) != 2 || got[1].String() != "::1" {
		t.Errorf(`ParseSourceAddrs(list) = %v, %v`, got, err)
	}
}
