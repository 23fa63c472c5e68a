package engine

import (
	"strings"
	"testing"
)

// FuzzParse: only the two engine names parse, each to itself; any other
// input is one line of error that names what was given.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"gnet", "goroutine", "", "GNET", "gnet ", "epoll", "goroutine\n", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := Parse(name)
		valid := name == string(Gnet) || name == string(Goroutine)
		switch {
		case valid && (err != nil || string(n) != name):
			t.Fatalf("Parse(%q) = %q, %v; want %q", name, n, err, name)
		case !valid && err == nil:
			t.Fatalf("Parse(%q) = %q; want an error", name, n)
		case !valid && (strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "unknown engine ")):
			t.Fatalf("Parse(%q) error %q: want one line that starts unknown engine", name, err)
		}
	})
}

// TestAll: All lists each engine once, gnet first, and each parses.
func TestAll(t *testing.T) {
	all := All()
	if len(all) != 2 || all[0] != Gnet || all[1] != Goroutine {
		t.Fatalf("All() = %q, want [gnet goroutine]", all)
	}
	for _, n := range all {
		if _, err := Parse(string(n)); err != nil {
			t.Errorf("Parse(%q): %v", n, err)
		}
	}
}

// FuzzParseServe: the two engines and the two floors parse, each to
// itself; any other input is one line of error that names what was given.
func FuzzParseServe(f *testing.F) {
	for _, s := range []string{"gnet", "goroutine", "bare-gnet", "bare-goroutine", "", "bare", "bare-gnet ", "BARE-GNET", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := ParseServe(name)
		valid := name == string(Gnet) || name == string(Goroutine) || name == string(BareGnet) || name == string(BareGoroutine)
		switch {
		case valid && (err != nil || string(n) != name):
			t.Fatalf("ParseServe(%q) = %q, %v; want %q", name, n, err, name)
		case !valid && err == nil:
			t.Fatalf("ParseServe(%q) = %q; want an error", name, n)
		case !valid && (strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "unknown engine ")):
			t.Fatalf("ParseServe(%q) error %q: want one line that starts unknown engine", name, err)
		}
	})
}

// TestFloors: the floors are named apart from the engines: each parses
// with ParseServe, neither with Parse, and All leaves them out.
func TestFloors(t *testing.T) {
	floors := Floors()
	if len(floors) != 2 || floors[0] != BareGnet || floors[1] != BareGoroutine {
		t.Fatalf("Floors() = %q, want [bare-gnet bare-goroutine]", floors)
	}
	for _, n := range floors {
		if !IsFloor(n) {
			t.Errorf("IsFloor(%q) = false", n)
		}
		if _, err := Parse(string(n)); err == nil {
			t.Errorf("Parse(%q) accepted a floor", n)
		}
		if got, err := ParseServe(string(n)); err != nil || got != n {
			t.Errorf("ParseServe(%q) = %q, %v", n, got, err)
		}
	}
	for _, n := range All() {
		if IsFloor(n) {
			t.Errorf("IsFloor(%q) = true for an engine", n)
		}
	}
}
