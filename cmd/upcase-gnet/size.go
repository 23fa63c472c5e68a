package main

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
)

// sizeHelp is the one sentence every size flag and argument can point to.
const sizeHelp = "a byte count such as 16, 64KiB, 16MiB or 1GiB (KiB, MiB, GiB are powers of 1024; kB, MB, GB powers of 1000)"

// parseSize reads a byte count as people write one: "16", "64KiB", "16MiB",
// "1GiB", "1.5GiB", "64 MB". go-humanize does the parsing, so the units are
// its units: KiB/Ki, MiB/Mi, GiB/Gi... are powers of 1024 and kB/k, MB/M,
// GB/G... powers of 1000, in any letter case; a fraction of a byte is
// dropped. Negative, empty or unknown sizes, and sizes past an int64, are
// errors that say what was expected.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("invalid size %q: it must not be negative", s)
	}
	n, err := humanize.ParseBytes(t)
	if err != nil {
		if strings.HasPrefix(err.Error(), "too large") {
			return 0, fmt.Errorf("invalid size %q: too large", s)
		}
		return 0, fmt.Errorf("invalid size %q: want %s", s, sizeHelp)
	}
	if n > math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(n), nil
}

// binaryUnits are the units formatSize writes, largest first.
var binaryUnits = []struct {
	name  string
	bytes int64
}{
	{"EiB", 1 << 60}, {"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
}

// formatSize writes n so that parseSize reads back exactly n: in the
// largest binary unit that divides it ("64MiB"), else in bytes ("1000"). It
// never rounds, because a flag's default shown in --help must be the value
// in force.
func formatSize(n int64) string {
	if n > 0 {
		for _, u := range binaryUnits {
			if n%u.bytes == 0 {
				return strconv.FormatInt(n/u.bytes, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(n, 10)
}

// sizeFlag is the value of a size flag such as serve's --max-buffer: as a
// cli.Generic, it lets urfave/cli parse "64MiB" from the command line or
// from the flag's environment variable, and --help show its default as
// "64MiB".
type sizeFlag struct{ n int64 }

// newSizeFlag returns a size flag value holding the default n.
func newSizeFlag(n int64) *sizeFlag { return &sizeFlag{n: n} }

// Set parses s with parseSize.
func (f *sizeFlag) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	f.n = n
	return nil
}

// String formats the size as formatSize does.
func (f *sizeFlag) String() string {
	if f == nil {
		return "0"
	}
	return formatSize(f.n)
}

// Bytes is the size in bytes.
func (f *sizeFlag) Bytes() int64 { return f.n }

// joinHostPort makes a TCP address from a --host and a --port. It accepts
// an IPv6 host with or without brackets ("::1", "[::1]"), since people copy
// it either way, and checks the port range, which net.JoinHostPort does not.
func joinHostPort(host string, port int) (string, error) {
	if port < 0 || port > 65535 {
		return "", fmt.Errorf("invalid port %d: want 0 to 65535", port)
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if host == "" {
		return "", fmt.Errorf("invalid host: empty")
	}
	if strings.ContainsAny(host, "[]/ \t\r\n") {
		return "", fmt.Errorf("invalid host %q", host)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}
