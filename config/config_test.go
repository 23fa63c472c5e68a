package config

import (
	"errors"
	"fmt"
	"testing"
)

// TestErrorf: an *Error says its package and the problem in one line,
// names its field, and is found through wrapping, with what it wraps.
func TestErrorf(t *testing.T) {
	cause := errors.New("cause")
	err := fmt.Errorf("starting: %w", Errorf("server", "Loops", "loops must not be negative, got %d: %w", -1, cause))
	var bad *Error
	if !errors.As(err, &bad) {
		t.Fatalf("errors.As(%v, *Error) = false", err)
	}
	if bad.Pkg != "server" || bad.Field != "Loops" {
		t.Errorf("Pkg, Field = %q, %q; want server, Loops", bad.Pkg, bad.Field)
	}
	if got, want := bad.Error(), "server: loops must not be negative, got -1: cause"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(%v, cause) = false", err)
	}
}
