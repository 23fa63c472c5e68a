// Package config holds what the libraries' Config types share: the error
// for a value that cannot work, naming the field, so that a caller can tell
// a bad setting from a failed run and name the setting in its own terms (a
// command line, its flag). Each library checks its Config in one place, its
// withDefaults, and returns an *Error from there.
package config

import "fmt"

// Error is a Config value that cannot work.
type Error struct {
	// Pkg is the package whose Config refused the value: "server".
	Pkg string
	// Field is the Config field at fault, as Go spells it: "ReadSize".
	Field string
	// Err says what is wrong with its value.
	Err error
}

// Error is the package, then what is wrong: "server: loops must not be
// negative, got -1".
func (e *Error) Error() string { return e.Pkg + ": " + e.Err.Error() }

// Unwrap returns what is wrong with the value.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error for pkg's Config field, its Err formatted as
// fmt.Errorf does.
func Errorf(pkg, field, format string, args ...any) error {
	return &Error{Pkg: pkg, Field: field, Err: fmt.Errorf(format, args...)}
}
