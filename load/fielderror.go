package load

import "fmt"

// A FieldError says which Config field holds a value that cannot work. Run
// returns one for every value its Config's defaults refuse, so that a
// command line can name the flag that set the field.
type FieldError struct {
	// Field is the field's name in Config, such as "SlowBytes".
	Field string
	// Name is how the message names the field, such as "slow bytes".
	Name string
	// Problem is what is wrong with the value, such as "must not be
	// negative, got -1".
	Problem string
}

// Error is the one line "load: NAME PROBLEM".
func (e *FieldError) Error() string { return "load: " + e.Name + " " + e.Problem }

// badField is a FieldError whose Problem is format filled in with args.
func badField(field, name, format string, args ...any) error {
	return &FieldError{Field: field, Name: name, Problem: fmt.Sprintf(format, args...)}
}
