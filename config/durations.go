package config

import "time"

// Duration is one time.Duration field of a Config, for NoNegative.
type Duration struct {
	// Field is the field's name in Config, Name how a message names it.
	Field, Name string
	// Value is the field's value.
	Value time.Duration
}

// NoNegative returns an *Error for p's first field in ds that is negative,
// or nil when none is: the check every library's timeouts share.
func (p Pkg) NoNegative(ds ...Duration) error {
	for _, d := range ds {
		if d.Value < 0 {
			return p.Errorf(d.Field, d.Name, "must not be negative, got %v", d.Value)
		}
	}
	return nil
}
