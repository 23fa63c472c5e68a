package main

import "github.com/upcase-gnet/upcase-gnet/config"

// sizeFlag is the value of a size flag such as serve's --max-buffer: as a
// cli.Generic, it lets urfave/cli parse "64MiB" from the command line or
// from the flag's environment variable, and --help show its default as
// "64MiB".
type sizeFlag struct{ n int64 }

// newSizeFlag returns a size flag value holding the default n.
func newSizeFlag(n int64) *sizeFlag { return &sizeFlag{n: n} }

// Set parses s with config.ParseSize.
func (f *sizeFlag) Set(s string) error {
	n, err := config.ParseSize(s)
	if err != nil {
		return err
	}
	f.n = n
	return nil
}

// String formats the size as config.FormatSize does.
func (f *sizeFlag) String() string {
	if f == nil {
		return "0"
	}
	return config.FormatSize(f.n)
}

// Bytes is the size in bytes.
func (f *sizeFlag) Bytes() int64 { return f.n }
