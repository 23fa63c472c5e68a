package config

import (
	"errors"
	"fmt"
	"testing"
)

// TestErrorf: an *Error says its package, the field's name and the problem
// in one line, keeps the field's Go name, and is found through wrapping.
func TestErrorf(t *testing.T) {
	err := fmt.Errorf("starting: %w", Errorf("server", "ReadSize", "read size", "must be 1 to %d bytes, got %d", 1<<20, -1))
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
