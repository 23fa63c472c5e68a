package config

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestErrorf: an *Error says its package, the field's name and the problem
// in one line, keeps the field's Go name, and is found through wrapping.
func TestErrorf(t *testing.T) {
	err := fmt.Errorf("starting: %w", Pkg("server").Errorf("ReadSize", "read size", "must be 1 to %d bytes, got %d", 1<<20, -1))
	var bad *Error
	if !errors.As(err, &bad) {
		t.Fatalf("errors.As(%v, *Error) = false", err)
	}
	if bad.Pkg != "server" || bad.Field != "ReadSize" || bad.Name != "read size" {
		t.Errorf("Pkg, Field, Name = %q, %q, %q; want server, ReadSize, read size", bad.Pkg, bad.Field, bad.Name)
	}
	if got, want := bad.Error(), "server: read size must be 1 to 1048576 bytes, got -1"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestNoNegative: zero and positive durations pass; the first negative one
// is an *Error that names its field and value.
func TestNoNegative(t *testing.T) {
	if err := Pkg("load").NoNegative(Duration{"Warmup", "warmup", 0}, Duration{"Timeout", "timeout", time.Second}); err != nil {
		t.Fatalf("NoNegative(0, 1s) = %v, want nil", err)
	}
	err := Pkg("server").NoNegative(
		Duration{"IdleTimeout", "idle timeout", time.Second},
		Duration{"WriteTimeout", "write timeout", -time.Millisecond},
		Duration{"DrainTimeout", "drain timeout", -time.Second})
	var bad *Error
	if !errors.As(err, &bad) || bad.Field != "WriteTimeout" {
		t.Fatalf("NoNegative = %v, want an *Error for WriteTimeout, the first negative one", err)
	}
	if got, want := err.Error(), "server: write timeout must not be negative, got -1ms"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestNetwork: an empty network is TCP, the four an Address can name pass,
// and any other is an *Error for Network.
func TestNetwork(t *testing.T) {
	for in, want := range map[string]string{"": "tcp", "tcp": "tcp", "tcp4": "tcp4", "tcp6": "tcp6", "unix": "unix"} {
		if got, err := Pkg("load").Network(in); got != want || err != nil {
			t.Errorf("Network(%q) = %q, %v; want %q, nil", in, got, err, want)
		}
	}
	_, err := Pkg("load").Network("udp")
	if got, want := fmt.Sprint(err), `load: network "udp" is not supported (want tcp, tcp4, tcp6 or unix)`; got != want {
		t.Errorf("Network(udp) = %q, want %q", got, want)
	}
}
