// Package config holds what the libraries' Config types share: the error
// for a value that cannot work, naming the field, so that a caller can tell
// a bad setting from a failed run and name the setting in its own terms (a
// command line, its flag); and how a size in bytes is written and read
// ("16MiB"), in flags and in those errors alike. Each library checks its Config in one place, its
// withDefaults, and returns an *Error from there.
package config

import "fmt"

// Error says which Config field holds a value that cannot work.
type Error struct {
	// Pkg is the package whose Config refused the value, such as "server".
	Pkg string
	// Field is the field's name in Config, such as "ReadSize".
	Field string
	// Name is how the message names the field, such as "read size".
	Name string
	// Problem is what is wrong with the value, such as "must not be
	// negative, got -1".
	Problem string
}

// Error is the one line "PKG: NAME PROBLEM".
func (e *Error) Error() string { return e.Pkg + ": " + e.Name + " " + e.Problem }

// Pkg is the package whose Config is checked, such as "server": each
// library names itself once, and its checks make their *Error through it.
type Pkg string

// Errorf returns an *Error for p's Config field, named name, whose Problem
// is format filled in with args.
func (p Pkg) Errorf(field, name, format string, args ...any) error {
	return &Error{Pkg: string(p), Field: field, Name: name, Problem: fmt.Sprintf(format, args...)}
}

// Network returns a Config's Network, "tcp" when it is empty, or an *Error
// for Network when it is none of the networks an Address can name.
func (p Pkg) Network(network string) (string, error) {
	switch network {
	case "":
		return "tcp", nil
	case "tcp", "tcp4", "tcp6", "unix":
		return network, nil
	}
	return network, p.Errorf("Network", "network", "%q is not supported (want tcp, tcp4, tcp6 or unix)", network)
}
